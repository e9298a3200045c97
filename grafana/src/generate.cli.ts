/**
 * `npm run boards`: writes the dashboard JSON files and docs/boards.md from grafana/src/boards.
 * `--check` writes nothing and exits 1 when a committed file differs from what would be written.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatedFiles } from './boards';

const root = path.resolve(__dirname, '..', '..');
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const file of generatedFiles()) {
  const target = path.join(root, file.path);
  let current: string | undefined;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === file.text) continue;
  if (check) {
    stale.push(file.path);
    continue;
  }
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, file.text);
  console.log(`wrote ${file.path}`);
}
if (stale.length > 0) {
  console.error(`out of date (run npm run boards): ${stale.join(', ')}`);
  process.exitCode = 1;
}
