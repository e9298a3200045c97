// `npm run bench`: every bench in sequence, each in its own process, then docs/performance.md.
//   npm run bench                      full runs (about 20 min), bench/results/<name>.json
//   npm run bench -- --quick           short runs (about 5 min, noisy), <name>.quick.json
//   npm run bench -- --only=api,rules  some of them; --with-spool adds the spool bench (full only)
//   npm run bench -- --no-report       skip rendering docs/performance.md
// A bench that fails does not stop the others; the run ends non-zero and names it, and the page
// is still rendered from the results there are.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { render, write } from './report';
import { BENCHES } from './report.rules';

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const known = new Set(['--quick', '--with-spool', '--no-report']);
const unknown = args.filter((a) => !known.has(a) && !a.startsWith('--only='));
if (unknown.length > 0) {
  console.error(`unknown option(s): ${unknown.join(' ')}`);
  console.error(
    'usage: npm run bench -- [--quick] [--only=devices,api,...] [--with-spool] [--no-report]',
  );
  process.exit(2);
}
const onlyArg = args.find((a) => a.startsWith('--only='));
const all: string[] = [...BENCHES, ...(args.includes('--with-spool') ? ['spool'] : [])];
const only = onlyArg === undefined ? all : onlyArg.slice('--only='.length).split(',');
const wrong = only.filter((name) => !all.includes(name) && name !== 'spool');
if (wrong.length > 0) {
  console.error(`--only: no bench named ${wrong.join(', ')} (benches: ${all.join(', ')}, spool)`);
  process.exit(2);
}

/**
 * Quick settings per bench, through the flags and variables each one reads: together about 5
 * minutes on 2 cores (devices ~5 s, api ~45 s, broker ~50 s, ingest ~70 s, rules ~100 s); the
 * spool bench has no quick mode of its own: one round of 1 s per case.
 */
const QUICK_ENV: Record<string, NodeJS.ProcessEnv> = {
  // half its own quick fleet: seeding and connecting take most of its time on a busy machine
  rules: { BENCH_RULES_DEVICES: '5000' },
  spool: { BENCH_SECONDS: '1', BENCH_ROUNDS: '1' },
};

function runBench(name: string): Promise<{ name: string; ok: boolean; seconds: number }> {
  const started = performance.now();
  const file = path.join(root, 'bench', `${name}.bench.ts`);
  const benchArgs = QUICK && name !== 'spool' ? ['--quick'] : [];
  console.log(`\n=== bench ${name}${QUICK ? ' (quick)' : ''} ===`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, file, ...benchArgs], {
      cwd: root,
      env: { ...process.env, ...(QUICK ? QUICK_ENV[name] : {}) },
      stdio: 'inherit',
    });
    const done = (ok: boolean) =>
      resolve({ name, ok, seconds: Math.round((performance.now() - started) / 1_000) });
    child.once('error', (error) => {
      console.error(`bench ${name}: ${error.message}`);
      done(false);
    });
    child.once('exit', (code) => done(code === 0));
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const results: { name: string; ok: boolean; seconds: number }[] = [];
  for (const name of only) results.push(await runBench(name));
  if (!args.includes('--no-report')) {
    write(render());
  }
  console.log(
    `\n${QUICK ? 'quick' : 'full'} run, ${Math.round((performance.now() - started) / 1_000)} s:`,
  );
  for (const r of results)
    console.log(`  ${r.ok ? 'ok    ' : 'FAILED'} ${r.name} (${r.seconds} s)`);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    console.error(`failed: ${failed.map((r) => r.name).join(', ')}`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
