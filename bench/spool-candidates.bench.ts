// Which embedded store backs the ingest spool (apps/ingest/src/spool): better-sqlite3 12 (WAL),
// classic-level (LevelDB) and lmdb, each driven the same way with a durable sync per group
// commit, plus a hand-written append-only file with fdatasync as the disk's floor. Only one of
// them is a dependency of the repo, so this runs in a scratch folder holding all three:
//
//   mkdir /tmp/spoolcand && cd /tmp/spoolcand && npm init -y &&
//     npm pkg set allowScripts.better-sqlite3=true --json && npm i better-sqlite3@12 classic-level lmdb
//   SPOOL_CANDIDATES_DIR=/tmp/spoolcand npx tsx --tsconfig tsconfig.json bench/spool-candidates.bench.ts
//
// Prints a table and writes the `candidates` key of bench/results/spool.json (the rest of that
// file is bench/spool.bench.ts's). BENCH_DIR picks where the stores live (default: os.tmpdir()).
import {
  closeSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { line, machine, medianOfRuns, mergeResults, percentile, sleep } from './spool-bench-kit';

const modulesDir = path.resolve(process.env['SPOOL_CANDIDATES_DIR'] ?? '');
if (!process.env['SPOOL_CANDIDATES_DIR'])
  throw new Error('set SPOOL_CANDIDATES_DIR to a folder with the candidates installed');
const load = createRequire(path.join(modulesDir, 'package.json'));
const benchDir = process.env['BENCH_DIR'] ?? os.tmpdir();

/** What the spool needs of a store; `commit` returns once the group is durable. */
interface Store {
  commit(first: number, lines: readonly string[]): Promise<void> | void;
  readOldest(
    n: number,
  ): Promise<{ lastId: number; lines: string[] }> | { lastId: number; lines: string[] };
  removeUpTo(id: number): Promise<void> | void;
  /** Payload bytes of every stored record, found by reading them all (what open would cost). */
  scanBytes(): Promise<number> | number;
  close(): Promise<void> | void;
}

interface Candidate {
  name: string;
  package: string;
  durable: string;
  open(dir: string): Promise<Store>;
}

// Minimal shapes of the three packages, so this file type-checks without them installed.
interface SqliteStatement {
  run(...args: unknown[]): unknown;
  all(...args: unknown[]): unknown[];
  get(...args: unknown[]): unknown;
}
interface SqliteDb {
  pragma(source: string): unknown;
  exec(source: string): void;
  prepare(source: string): SqliteStatement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
interface LevelIterator {
  all(): Promise<[Uint8Array, string][]>;
}
interface LevelDb {
  open(): Promise<void>;
  batch(
    ops: { type: 'put'; key: Uint8Array; value: string }[],
    o: { sync: boolean },
  ): Promise<void>;
  iterator(o: { limit?: number }): LevelIterator;
  values(): AsyncIterable<string>;
  clear(o: { lte: Uint8Array }): Promise<void>;
  close(): Promise<void>;
}
interface LmdbDb {
  put(key: number, value: string): Promise<boolean>;
  remove(key: number): Promise<boolean>;
  getRange(o: {
    start?: number;
    end?: number;
    limit?: number;
  }): Iterable<{ key: number; value: string }>;
  getKeys(o: { end: number }): Iterable<number>;
  transaction(fn: () => void): Promise<unknown>;
  close(): Promise<void>;
}

function sqlite(synchronous: 'FULL' | 'NORMAL'): Candidate {
  return {
    name: `better-sqlite3 WAL synchronous=${synchronous}`,
    package: 'better-sqlite3',
    durable:
      synchronous === 'FULL'
        ? 'WAL fsync on every commit'
        : 'reference only: WAL fsync at checkpoints, a power loss can lose acknowledged commits',
    open(dir) {
      const Database = load('better-sqlite3') as new (file: string) => SqliteDb;
      const db = new Database(path.join(dir, 'spool.sqlite'));
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      db.exec('CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY, line TEXT NOT NULL)');
      const insert = db.prepare('INSERT INTO spool (id, line) VALUES (?, ?)');
      const oldest = db.prepare('SELECT id, line FROM spool ORDER BY id LIMIT ?');
      const del = db.prepare('DELETE FROM spool WHERE id <= ?');
      const total = db.prepare('SELECT total(octet_length(line)) AS bytes FROM spool');
      const group = db.transaction((first: number, lines: readonly string[]) => {
        for (let i = 0; i < lines.length; i++) insert.run(first + i, lines[i]);
      });
      return Promise.resolve({
        commit: (first, lines) => group(first, lines),
        readOldest(n) {
          const rows = oldest.all(n) as { id: number; line: string }[];
          return { lastId: rows.at(-1)?.id ?? 0, lines: rows.map((r) => r.line) };
        },
        removeUpTo: (id) => void del.run(id),
        scanBytes: () => (total.get() as { bytes: number }).bytes,
        close: () => db.close(),
      });
    },
  };
}

const key = (id: number) => {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setBigUint64(0, BigInt(id));
  return k;
};

const level: Candidate = {
  name: 'classic-level (LevelDB) batch sync:true',
  package: 'classic-level',
  durable: 'log fsync on every batch',
  async open(dir) {
    const { ClassicLevel } = load('classic-level') as {
      ClassicLevel: new (dir: string, o: object) => LevelDb;
    };
    const db = new ClassicLevel(path.join(dir, 'level'), {
      keyEncoding: 'view',
      valueEncoding: 'utf8',
    });
    await db.open();
    return {
      commit: (first, lines) =>
        db.batch(
          lines.map((value, i) => ({ type: 'put' as const, key: key(first + i), value })),
          { sync: true },
        ),
      async readOldest(n) {
        const entries = await db.iterator({ limit: n }).all();
        const last = entries.at(-1)?.[0];
        return {
          lastId: last ? Number(new DataView(last.buffer, last.byteOffset).getBigUint64(0)) : 0,
          lines: entries.map(([, v]) => v),
        };
      },
      removeUpTo: (id) => db.clear({ lte: key(id) }),
      async scanBytes() {
        let bytes = 0;
        for await (const v of db.values()) bytes += Buffer.byteLength(v);
        return bytes;
      },
      close: () => db.close(),
    };
  },
};

const lmdb: Candidate = {
  name: 'lmdb overlappingSync:false',
  package: 'lmdb',
  durable: 'msync/fsync on every transaction commit',
  open(dir) {
    const { open } = load('lmdb') as { open: (o: object) => LmdbDb };
    // overlappingSync (the default on Linux) resolves a write at commit, before its flush.
    const db = open({ path: path.join(dir, 'lmdb'), encoding: 'string', overlappingSync: false });
    return Promise.resolve({
      async commit(first, lines) {
        // lmdb-js puts the writes of one event turn in one transaction
        let last: Promise<boolean> | undefined;
        for (let i = 0; i < lines.length; i++) last = db.put(first + i, lines[i]!);
        await last;
      },
      readOldest(n) {
        const lines: string[] = [];
        let lastId = 0;
        for (const { key: k, value } of db.getRange({ limit: n })) {
          lines.push(value);
          lastId = k;
        }
        return { lastId, lines };
      },
      async removeUpTo(id) {
        await db.transaction(() => {
          for (const k of db.getKeys({ end: id + 1 })) void db.remove(k);
        });
      },
      scanBytes() {
        let bytes = 0;
        for (const { value } of db.getRange({})) bytes += Buffer.byteLength(value);
        return bytes;
      },
      close: () => db.close(),
    });
  },
};

/** The floor: one append-only file, one write + fdatasync per group, no index, no delete. */
const rawFile: Candidate = {
  name: 'append-only file + fdatasync (floor, not a candidate)',
  package: 'node:fs',
  durable: 'fdatasync on every group',
  open(dir) {
    const fd = openSync(path.join(dir, 'log'), 'a');
    return Promise.resolve({
      commit(_first, lines) {
        writeSync(fd, lines.join('\n') + '\n');
        fdatasyncSync(fd);
      },
      readOldest: () => ({ lastId: 0, lines: [] }),
      removeUpTo: () => undefined,
      scanBytes: () => 0,
      close: () => closeSync(fd),
    });
  },
};

function dirBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((s, e) => s + statSync(path.join(e.parentPath, e.name)).blocks * 512, 0);
}

async function withStore<T>(c: Candidate, run: (s: Store, dir: string) => Promise<T>) {
  const dir = mkdtempSync(path.join(benchDir, 'spool-cand-'));
  const store = await c.open(dir);
  try {
    return await run(store, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const GROUPS = [
  { size: 1, commits: 2_000 },
  { size: 10, commits: 1_000 },
  { size: 100, commits: 300 },
  { size: 1_000, commits: 50 },
];

async function groupCommits(c: Candidate) {
  const rows = [];
  for (const { size, commits } of GROUPS) {
    rows.push(
      await withStore(c, async (store) => {
        const lines = Array.from({ length: size }, (_, i) => line(i));
        const ms: number[] = [];
        let id = 1;
        const start = performance.now();
        for (let i = 0; i < commits; i++) {
          const t = performance.now();
          await store.commit(id, lines);
          ms.push(performance.now() - t);
          id += size;
        }
        const s = (performance.now() - start) / 1000;
        return {
          group: size,
          recordsPerS: Math.round((size * commits) / s),
          commitP50Ms: percentile(ms, 0.5),
          commitP99Ms: percentile(ms, 0.99),
        };
      }),
    );
  }
  return rows;
}

/**
 * Appenders over the store through a plain group committer (the spool's own is in
 * apps/ingest/src/spool): a group is committed `windowMs` after its first record, or at 1000.
 */
async function appenders(c: Candidate, mode: { ratePerS: number } | { concurrency: number }) {
  const WINDOW_MS = 2;
  const DURATION_MS = 3_000;
  return withStore(c, async (store) => {
    let group: { line: string; done: () => void; fail: (e: unknown) => void }[] = [];
    let timer: NodeJS.Timeout | undefined;
    let committing: Promise<void> = Promise.resolve();
    let nextId = 1;
    let commits = 0;
    const flush = () => {
      timer = undefined;
      const g = group;
      group = [];
      const first = nextId;
      nextId += g.length;
      committing = committing.then(async () => {
        try {
          await store.commit(
            first,
            g.map((r) => r.line),
          );
          commits++;
          for (const r of g) r.done();
        } catch (e) {
          for (const r of g) r.fail(e);
        }
      });
    };
    const append = (l: string) =>
      new Promise<void>((done, fail) => {
        group.push({ line: l, done, fail });
        if (group.length >= 1_000) {
          clearTimeout(timer);
          flush();
        } else timer ??= setTimeout(flush, WINDOW_MS);
      });
    const latencies: number[] = [];
    const timed = async (i: number) => {
      const t = performance.now();
      await append(line(i));
      latencies.push(performance.now() - t);
    };
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const start = performance.now();
    const end = start + DURATION_MS;
    let n = 0;
    if ('ratePerS' in mode) {
      const pending: Promise<void>[] = [];
      const TICK_MS = 1; // 2 or 3 messages a turn, as socket reads would bring them
      while (performance.now() < end) {
        const due = Math.floor(((performance.now() - start) / 1000) * mode.ratePerS);
        while (n < due) pending.push(timed(n++));
        await sleep(TICK_MS);
      }
      await Promise.all(pending);
    } else {
      await Promise.all(
        Array.from({ length: mode.concurrency }, async () => {
          while (performance.now() < end) await timed(n++);
        }),
      );
    }
    const s = (performance.now() - start) / 1000;
    loop.disable();
    return {
      records: n,
      commits,
      recordsPerS: Math.round(n / s),
      appendP50Ms: percentile(latencies, 0.5),
      appendP99Ms: percentile(latencies, 0.99),
      eventLoopDelayP99Ms: Number((loop.percentile(99) / 1e6).toFixed(2)),
      eventLoopDelayMaxMs: Number((loop.max / 1e6).toFixed(2)),
    };
  });
}

const DRAIN_RECORDS = 100_000;
const DRAIN_BATCH = 1_000;

async function drain(c: Candidate) {
  return withStore(c, async (store, dir) => {
    const lines = Array.from({ length: DRAIN_BATCH }, (_, i) => line(i));
    for (let id = 1; id <= DRAIN_RECORDS; id += DRAIN_BATCH) await store.commit(id, lines);
    const payloadBytes =
      lines.reduce((s, l) => s + Buffer.byteLength(l), 0) * (DRAIN_RECORDS / DRAIN_BATCH);
    const diskBytes = dirBytes(dir);
    let t = performance.now();
    const scanned = await store.scanBytes();
    const scanMs = performance.now() - t;
    let readMs = 0;
    let removeMs = 0;
    let read = 0;
    for (;;) {
      t = performance.now();
      const batch = await store.readOldest(DRAIN_BATCH);
      readMs += performance.now() - t;
      if (batch.lines.length === 0) break;
      read += batch.lines.length;
      t = performance.now();
      await store.removeUpTo(batch.lastId);
      removeMs += performance.now() - t;
    }
    if (read !== DRAIN_RECORDS && c !== rawFile) throw new Error(`${c.name}: drained ${read}`);
    return {
      records: DRAIN_RECORDS,
      readOldestPerS: Math.round(read / (readMs / 1000)),
      removeUpToPerS: Math.round(read / (removeMs / 1000)),
      payloadBytes,
      diskBytes,
      diskBytesAfterDrain: dirBytes(dir),
      scanBytesMs: Math.round(scanMs),
      scanBytesOk: scanned === payloadBytes,
    };
  });
}

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);

async function measure(c: Candidate) {
  let version = 'node';
  if (c.package !== 'node:fs') {
    const manifest = path.join(modulesDir, 'node_modules', c.package, 'package.json');
    version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  }
  return {
    name: c.name,
    package: `${c.package}@${version}`,
    durable: c.durable,
    groupCommits: await groupCommits(c),
    appenders2kPerS: await appenders(c, { ratePerS: 2_000 }),
    saturation200: await appenders(c, { concurrency: 200 }),
    drain: c === rawFile ? undefined : await drain(c),
  };
}

async function main() {
  const host = machine(benchDir);
  const candidates = [sqlite('FULL'), level, lmdb, sqlite('NORMAL'), rawFile];
  const runs: Awaited<ReturnType<typeof measure>>[][] = candidates.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of candidates.entries()) {
      console.error(`… round ${round + 1}/${ROUNDS}: ${c.name}`);
      runs[i]!.push(await measure(c));
    }
  }
  const results = runs.map((r) => medianOfRuns(r));

  console.log(
    `\nspool store candidates, ~${Buffer.byteLength(line(0))} B records, durable sync per group, ` +
      `median of ${ROUNDS} rounds\n`,
  );
  console.log(
    '| store | group 1 | group 10 | group 100 | group 1000 | commit p50/p99 ms (1 / 1000) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) {
    const g = r.groupCommits;
    const fmt = (x: number) => x.toLocaleString('en');
    console.log(
      `| ${r.name} | ${g.map((x) => fmt(x.recordsPerS)).join(' | ')} | ${g[0]!.commitP50Ms}/${g[0]!.commitP99Ms} · ${g[3]!.commitP50Ms}/${g[3]!.commitP99Ms} |`,
    );
  }
  console.log(
    '\n| store | 2k/s: append p50/p99 ms | loop delay p99 ms | 200 appenders: records/s | p50/p99 ms | loop delay max ms |',
  );
  console.log('| --- | --- | ---: | ---: | --- | ---: |');
  for (const r of results) {
    const a = r.appenders2kPerS;
    const s = r.saturation200;
    console.log(
      `| ${r.name} | ${a.appendP50Ms}/${a.appendP99Ms} | ${a.eventLoopDelayP99Ms} | ${s.recordsPerS.toLocaleString('en')} | ${s.appendP50Ms}/${s.appendP99Ms} | ${s.eventLoopDelayMaxMs} |`,
    );
  }
  console.log(
    '\n| store | readOldest(1000) rec/s | removeUpTo rec/s | disk / payload | scan for bytes at open (100k) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    const d = r.drain;
    if (!d) continue;
    console.log(
      `| ${r.name} | ${d.readOldestPerS.toLocaleString('en')} | ${d.removeUpToPerS.toLocaleString('en')} | ${(d.diskBytes / d.payloadBytes).toFixed(2)} | ${d.scanBytesMs} ms |`,
    );
  }
  const out = mergeResults({
    candidates: {
      machine: host,
      rounds: ROUNDS,
      statistic: 'median of rounds',
      results,
    },
  });
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

void main();
