import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

// STYLE.md: time is an argument and domain libs do no I/O. This guards the rule on every file
// of the library that is not a spec.
const sources = readdirSync(__dirname)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
  .map((file) => [file, readFileSync(path.join(__dirname, file), 'utf8')] as const);

describe('library sources', () => {
  it('exist', () => {
    expect(sources.map(([file]) => file)).toContain('engine.ts');
  });

  it.each(sources)('%s reads no clock and imports no node module', (_file, text) => {
    expect(text).not.toMatch(/Date\.now\s*\(/);
    expect(text).not.toMatch(/new Date\s*\(\s*\)/);
    expect(text).not.toMatch(/from '(node:|fs|net|http|child_process)/);
    expect(text).not.toMatch(/performance\.now|process\./);
  });
});
