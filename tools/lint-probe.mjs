// Lints source text as if it stood at a given path, running only the module-boundary rule.
// Input on stdin: [{ "file": "libs/sla/src/x.ts", "code": "..." }]; output: one array of
// "ruleId: message" strings per input. Used by lint-boundaries.spec.ts (ESLint loads its config
// with a dynamic import, which Jest's module loader cannot do, hence a separate process).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '..');
const probes = JSON.parse(readFileSync(0, 'utf8'));
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});
const out = [];
for (const { file, code } of probes) {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  out.push(result.messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`));
}
process.stdout.write(JSON.stringify(out));
