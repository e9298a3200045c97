// The ingest's durable spool (apps/ingest/src/spool) through its own API: appends per second and
// append latency at several group-commit settings, under 200 concurrent appenders (saturation)
// and at the 2k msg/s the ingest expects, then the drain (readOldest + remove) and what opening
// a full spool costs. Prints a table and writes bench/results/spool.json, keeping the
// `candidates` key that bench/spool-candidates.bench.ts writes there.
// BENCH_DIR picks where the spool lives (default: os.tmpdir()); BENCH_SECONDS the length of a
// row, BENCH_ROUNDS how many interleaved rounds (the median is kept).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Spool } from '../apps/ingest/src/spool/spool';
import { line, machine, medianOfRuns, mergeResults, percentile, sleep } from './spool-bench-kit';

const benchDir = process.env['BENCH_DIR'] ?? os.tmpdir();
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const APPENDERS = 200;
const RATE_PER_S = 2_000;
const DRAIN_RECORDS = 100_000;
const DRAIN_BATCH = 5_000;

const SETTINGS = [
  { name: 'one fsync per record', groupCommitMs: 0, maxGroup: 1 },
  { name: 'end of turn (0 ms)', groupCommitMs: 0, maxGroup: 1_000 },
  { name: '2 ms window', groupCommitMs: 2, maxGroup: 1_000 },
  { name: '5 ms window', groupCommitMs: 5, maxGroup: 1_000 },
];

function dirBytes(dir: string): number {
  return readdirSync(dir)
    .map((f) => statSync(path.join(dir, f)).blocks * 512)
    .reduce((a, b) => a + b, 0);
}

async function withSpool<T>(
  options: { groupCommitMs: number; maxGroup: number },
  run: (spool: Spool, dir: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(benchDir, 'spool-bench-'));
  const spool = await Spool.open({ dir, quotaBytes: 4 * 2 ** 30, ...options });
  try {
    return await run(spool, dir);
  } finally {
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Load = Awaited<ReturnType<typeof load>>;

async function load(spool: Spool, mode: 'saturation' | 'paced') {
  const latencies: number[] = [];
  const timed = async (i: number) => {
    const t = performance.now();
    await spool.append(line(i));
    latencies.push(performance.now() - t);
  };
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const start = performance.now();
  const end = start + SECONDS * 1_000;
  let n = 0;
  if (mode === 'paced') {
    const pending: Promise<void>[] = [];
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - start) / 1_000) * RATE_PER_S);
      while (n < due) pending.push(timed(n++));
      await sleep(1); // ~1 ms ticks: 2 or 3 messages a turn, as socket reads would bring them
    }
    await Promise.all(pending);
  } else {
    await Promise.all(
      Array.from({ length: APPENDERS }, async () => {
        while (performance.now() < end) await timed(n++);
      }),
    );
  }
  const s = (performance.now() - start) / 1_000;
  loop.disable();
  return {
    records: n,
    commits: spool.commits,
    recordsPerS: Math.round(n / s),
    recordsPerCommit: Number((n / spool.commits).toFixed(1)),
    commitsPerS: Math.round(spool.commits / s),
    appendP50Ms: percentile(latencies, 0.5),
    appendP99Ms: percentile(latencies, 0.99),
    // no sample at all: commits inside append() never let the loop turn (maxGroup 1)
    eventLoopDelayP99Ms: loop.count > 0 ? Number((loop.percentile(99) / 1e6).toFixed(2)) : null,
    eventLoopDelayMaxMs: loop.count > 0 ? Number((loop.max / 1e6).toFixed(2)) : null,
  };
}

async function drain() {
  return withSpool({ groupCommitMs: 0, maxGroup: 1_000 }, async (spool, dir) => {
    for (let i = 0; i < DRAIN_RECORDS; i += 1_000) {
      await Promise.all(Array.from({ length: 1_000 }, (_, j) => spool.append(line(i + j))));
    }
    const payloadBytes = spool.pendingBytes;
    const diskBytes = dirBytes(dir);
    await spool.close();
    let t = performance.now();
    const reopened = await Spool.open({ dir, quotaBytes: 4 * 2 ** 30 });
    const openMs = performance.now() - t;
    if (reopened.pendingBytes !== payloadBytes) throw new Error('reopen counted other bytes');
    let readMs = 0;
    let removeMs = 0;
    let drained = 0;
    const start = performance.now();
    for (;;) {
      t = performance.now();
      const batch = await reopened.readOldest(DRAIN_BATCH);
      readMs += performance.now() - t;
      if (!batch) break;
      drained += batch.lines.length;
      t = performance.now();
      await reopened.remove(batch.lastId);
      removeMs += performance.now() - t;
    }
    const totalS = (performance.now() - start) / 1_000;
    const diskBytesAfterDrain = dirBytes(dir);
    await reopened.close();
    if (drained !== DRAIN_RECORDS) throw new Error(`drained ${drained} of ${DRAIN_RECORDS}`);
    return {
      records: DRAIN_RECORDS,
      batch: DRAIN_BATCH,
      drainPerS: Math.round(drained / totalS),
      readOldestPerS: Math.round(drained / (readMs / 1_000)),
      removePerS: Math.round(drained / (removeMs / 1_000)),
      payloadBytes,
      diskBytes,
      diskPerPayload: Number((diskBytes / payloadBytes).toFixed(2)),
      diskBytesAfterDrain,
      openMs: Number(openMs.toFixed(1)),
    };
  });
}

async function main() {
  const host = machine(benchDir);
  const runs: { saturation: Load; paced: Load }[][] = SETTINGS.map(() => []);
  const drains: Awaited<ReturnType<typeof drain>>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, s] of SETTINGS.entries()) {
      console.error(`… round ${round + 1}/${ROUNDS}: ${s.name}`);
      const options = { groupCommitMs: s.groupCommitMs, maxGroup: s.maxGroup };
      runs[i]!.push({
        saturation: await withSpool(options, (spool) => load(spool, 'saturation')),
        paced: await withSpool(options, (spool) => load(spool, 'paced')),
      });
    }
    drains.push(await drain());
  }
  const rows = SETTINGS.map((s, i) => ({ ...s, ...medianOfRuns(runs[i]!) }));
  const drained = medianOfRuns(drains);

  const fmt = (x: number) => x.toLocaleString('en');
  console.log(
    `\nspool (better-sqlite3, WAL, synchronous=FULL), ${Buffer.byteLength(line(0))} B records, ` +
      `${SECONDS} s per row, median of ${ROUNDS} rounds; ` +
      `fdatasync of 300 B here: p50 ${host.fdatasync300BP50Ms} ms\n`,
  );
  console.log(
    `| setting | ${APPENDERS} appenders: records/s | per commit | p50 / p99 ms | loop delay max ms | ${fmt(RATE_PER_S)}/s: p50 / p99 ms | commits/s | loop delay p99 ms |`,
  );
  console.log('| --- | ---: | ---: | --- | ---: | --- | ---: | ---: |');
  for (const r of rows) {
    const s = r.saturation;
    const p = r.paced;
    console.log(
      `| ${r.name} | ${fmt(s.recordsPerS)} | ${s.recordsPerCommit} | ${s.appendP50Ms} / ${s.appendP99Ms} | ${s.eventLoopDelayMaxMs ?? 'no turn'} | ${p.appendP50Ms} / ${p.appendP99Ms} | ${fmt(p.commitsPerS)} | ${p.eventLoopDelayP99Ms ?? 'no turn'} |`,
    );
  }
  console.log(
    `\ndrain of ${fmt(drained.records)} records in batches of ${fmt(drained.batch)}: ${fmt(drained.drainPerS)}/s ` +
      `(readOldest ${fmt(drained.readOldestPerS)}/s, remove ${fmt(drained.removePerS)}/s); ` +
      `disk ${drained.diskPerPayload}× the payload; open with them pending ${drained.openMs} ms`,
  );

  const out = mergeResults({
    machine: host,
    store: 'better-sqlite3 12, WAL, synchronous=FULL, locking_mode=EXCLUSIVE',
    recordBytes: Buffer.byteLength(line(0)),
    seconds: SECONDS,
    rounds: ROUNDS,
    statistic: 'median of rounds',
    appenders: APPENDERS,
    pacedPerS: RATE_PER_S,
    results: rows,
    drain: drained,
  });
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

void main();
