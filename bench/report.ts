// Renders docs/performance.md and docs/performance/*.svg from bench/results/*.json
// (`npm run bench:report`; `npm run bench` runs it after the benches). `--check` writes nothing
// and fails when the committed page or plots differ from what the results render to.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SCHEMA_TARGET } from '../apps/ingest/src/influx/influx-schema.rules';
import { BENCHES, renderReport } from './report.rules';
import type { BenchRuns, ReportInput, Rendered, Retention } from './report.rules';

export const ROOT = path.resolve(__dirname, '..');
export const PAGE = 'docs/performance.md';
export const PLOTS = 'docs/performance';

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(
      `${path.relative(ROOT, file)}: not readable JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** bench/results/<name>.json and <name>.quick.json of every bench, where they exist. */
export function loadResults(root = ROOT): ReportInput {
  const dir = path.join(root, 'bench', 'results');
  const input = {} as Record<(typeof BENCHES)[number], BenchRuns>;
  for (const name of BENCHES) {
    const full = path.join(dir, `${name}.json`);
    const quick = path.join(dir, `${name}.quick.json`);
    input[name] = {
      ...(existsSync(full) ? { full: readJson(full) } : {}),
      ...(existsSync(quick) ? { quick: readJson(quick) } : {}),
    };
  }
  return input;
}

/** `30d` → 30; the ingest's retention defaults are whole days. */
function days(literal: string): number {
  const m = /^(\d+)d$/.exec(literal);
  if (!m) throw new Error(`retention ${literal}: expected whole days (e.g. 30d)`);
  return Number(m[1]);
}

export const RETENTION: Retention = {
  rawDays: days(DEFAULT_SCHEMA_TARGET.rawRetention),
  rollupDays: days(DEFAULT_SCHEMA_TARGET.rollupRetention),
};

/**
 * The page as the repository's Prettier settings format it (`npm run lint` checks docs/). Prettier
 * runs as its own CLI: its API is ESM-only inside, which Jest's CommonJS runtime cannot load.
 */
export function render(root = ROOT): Rendered {
  const rendered = renderReport(loadResults(root), RETENTION);
  const markdown = execFileSync(
    process.execPath,
    [require.resolve('prettier/bin/prettier.cjs'), '--stdin-filepath', PAGE],
    { cwd: root, input: rendered.markdown, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] },
  );
  return { ...rendered, markdown };
}

/** What differs between the committed files and `rendered` (empty: up to date). */
export function differences(rendered: Rendered, root = ROOT): string[] {
  const out: string[] = [];
  const page = path.join(root, PAGE);
  if (!existsSync(page) || readFileSync(page, 'utf8') !== rendered.markdown) out.push(PAGE);
  const dir = path.join(root, PLOTS);
  const present = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.svg')) : [];
  for (const [name, svg] of Object.entries(rendered.svgs)) {
    const file = path.join(dir, name);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== svg) out.push(`${PLOTS}/${name}`);
  }
  for (const name of present) {
    if (!(name in rendered.svgs)) out.push(`${PLOTS}/${name} (no longer rendered)`);
  }
  return out;
}

export function write(rendered: Rendered, root = ROOT): void {
  const dir = path.join(root, PLOTS);
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.svg') && !(name in rendered.svgs)) rmSync(path.join(dir, name));
  }
  for (const [name, svg] of Object.entries(rendered.svgs)) writeFileSync(path.join(dir, name), svg);
  writeFileSync(path.join(root, PAGE), rendered.markdown);
  if (root === ROOT) {
    console.log(`wrote ${PAGE} and ${Object.keys(rendered.svgs).length} plots in ${PLOTS}/`);
  }
}

function main(): void {
  const rendered = render();
  if (!process.argv.includes('--check')) return write(rendered);
  const stale = differences(rendered);
  if (stale.length > 0) {
    throw new Error(
      `out of date with bench/results (run npm run bench:report): ${stale.join(', ')}`,
    );
  }
  console.log(`${PAGE} is up to date`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
