import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { renderCatalogTables } from './catalog-doc';
import { buildJsonSchemas } from './json-schema';

// The firmware teams read docs/device-protocol/; it must say what the code enforces.
// On a failure after an intended change, run `npm run docs` and commit the result.
const docs = path.join(__dirname, '..', '..', '..', 'docs', 'device-protocol');

function region(text: string, name: string): string {
  const start = `<!-- ${name}:start -->\n`;
  const from = text.indexOf(start);
  const to = text.indexOf(`\n<!-- ${name}:end -->`);
  if (from < 0 || to < from) throw new Error(`markers for ${name} missing`);
  return text.slice(from + start.length, to);
}

describe('docs/device-protocol', () => {
  const schemas = buildJsonSchemas();

  it('publishes exactly the schemas the validators use', () => {
    const files = readdirSync(path.join(docs, 'schemas')).sort();
    expect(files).toEqual(
      Object.keys(schemas)
        .map((id) => `${id}.schema.json`)
        .sort(),
    );
  });

  it.each(Object.keys(schemas))('schema %s is current', (id) => {
    const text = readFileSync(path.join(docs, 'schemas', `${id}.schema.json`), 'utf8');
    expect(JSON.parse(text)).toEqual(schemas[id]);
  });

  it('README catalog tables are current', () => {
    const text = readFileSync(path.join(docs, 'README.md'), 'utf8');
    expect(region(text, 'catalog')).toBe(renderCatalogTables());
  });
});
