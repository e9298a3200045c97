// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time by function and by where the code
// lives (a package, our app, Node internals, GC): the evidence for "what limits it".
//
//   npx tsx bench/ingest/cpuprofile.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly file: string;
  /** Sampled wall time, ms. */
  readonly totalMs: number;
  /** Time not idle: JavaScript, GC, native code Node runs for JavaScript ("(program)"). */
  readonly busyMs: number;
  readonly top: readonly { name: string; where: string; selfMs: number; pctOfBusy: number }[];
  readonly byOrigin: readonly { origin: string; selfMs: number; pctOfBusy: number }[];
}

/** Where a frame's code lives: a package, an app or lib of ours, Node itself, or V8's buckets. */
function origin(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /dist\/((?:apps|libs)\/[^/]+)/.exec(url);
  if (ours) return ours[1]!;
  return path.basename(url);
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byOrigin = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    totalUs += us;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const where =
      url === '' ? '' : `${url.replace(/^.*\/(node_modules|dist)\//, '')}:${lineNumber + 1}`;
    const key = `${functionName} ${where}`;
    const entry = byFunction.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    const o = origin(url, functionName);
    byOrigin.set(o, (byOrigin.get(o) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const ms = (us: number) => Math.round(us / 100) / 10;
  const pct = (us: number) => Math.round((us / Math.max(1, busyUs)) * 1_000) / 10;
  return {
    file: path.basename(file),
    totalMs: ms(totalUs),
    busyMs: ms(busyUs),
    top: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: ms(f.us), pctOfBusy: pct(f.us) })),
    byOrigin: [...byOrigin.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([o, us]) => ({ origin: o, selfMs: ms(us), pctOfBusy: pct(us) })),
  };
}

export function printProfile(summary: ProfileSummary): void {
  console.log(
    `\n${summary.file}: ${summary.busyMs} ms busy of ${summary.totalMs} ms sampled; self time by origin:`,
  );
  for (const o of summary.byOrigin) console.log(`  ${o.pctOfBusy}%\t${o.selfMs} ms\t${o.origin}`);
  console.log('  top functions (self time):');
  for (const f of summary.top) {
    console.log(`  ${f.pctOfBusy}%\t${f.selfMs} ms\t${f.name}\t${f.where}`);
  }
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpuprofile.ts <file.cpuprofile> [top]');
  printProfile(summarizeProfile(file, Number(top ?? 20)));
}
