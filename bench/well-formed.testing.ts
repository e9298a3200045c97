// Test helper of the SVG specs: the charts must be XML a browser and a markdown viewer accept.

/**
 * A strict check of XML well-formedness for what the chart writer emits (no DTD, no CDATA, no
 * processing instructions): balanced, properly nested tags, quoted unique attributes, only the
 * five predefined entities or character references, no stray `<` or `&` in text. Returns the
 * element names in document order.
 */
export function wellFormed(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const entity = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
  const checkText = (text: string, where: number) => {
    for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
      if (!entity.test(text.slice(i))) throw new Error(`bad entity at ${where + i}`);
    }
    if (text.includes('>') && text.includes('<')) throw new Error(`stray markup at ${where}`);
  };
  let i = 0;
  while (i < xml.length) {
    const open = xml.indexOf('<', i);
    if (open < 0) {
      checkText(xml.slice(i), i);
      break;
    }
    checkText(xml.slice(i, open), i);
    const close = xml.indexOf('>', open);
    if (close < 0) throw new Error(`unclosed tag at ${open}`);
    const tag = xml.slice(open + 1, close);
    if (tag.includes('<')) throw new Error(`'<' inside a tag at ${open}`);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const top = stack.pop();
      if (top !== name) throw new Error(`</${name}> closes <${top ?? 'nothing'}> at ${open}`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([A-Za-z][\w:-]*)((?:\s+[A-Za-z][\w:-]*="[^"<]*")*)\s*$/.exec(body);
      if (!m) throw new Error(`malformed tag <${tag}> at ${open}`);
      const attrs = [...m[2]!.matchAll(/([A-Za-z][\w:-]*)="([^"]*)"/g)];
      const seen = new Set<string>();
      for (const [, name, value] of attrs) {
        if (seen.has(name!)) throw new Error(`duplicate attribute ${name} at ${open}`);
        seen.add(name!);
        checkText(value!, open);
      }
      names.push(m[1]!);
      if (!selfClosing) stack.push(m[1]!);
    }
    i = close + 1;
  }
  if (stack.length > 0) throw new Error(`unclosed elements: ${stack.join(', ')}`);
  return names;
}
