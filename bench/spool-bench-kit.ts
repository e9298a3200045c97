// Shared by bench/spool.bench.ts and bench/spool-candidates.bench.ts: the record they write, the
// machine they ran on (with the disk's own fdatasync latency, which bounds every durable commit)
// and bench/results/spool.json, which both fill, each its own keys.
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One heartbeat as InfluxDB line protocol, ~300 bytes, like the ingest writes for a message. */
export function line(i: number): string {
  const site = `site-${i % 20}`;
  const device = `gd-${String(i % 5_000).padStart(5, '0')}`;
  return (
    `heartbeat,site=${site},device_type=gown_dispenser,device=${device},fw_channel=stable ` +
    `seq=${1_000 + i}i,fw="2.${i % 7}.${i % 13}",uptime_s=${86_400 + i}i,battery_pct=${20 + (i % 80)}i,` +
    `rssi_dbm=${-40 - (i % 50)}i,temp_c=${(30 + (i % 100) / 10).toFixed(1)},door_open=false,` +
    `dispensed_total=${10_000 + i}i,jam_count=${i % 3}i,humidity_pct=${40 + (i % 30)}i,` +
    `supply_mv=${3_300 + (i % 200)}i,received_ms=${1_767_225_600_000 + i}i ` +
    `${1_767_225_600_000_000_000n + BigInt(i) * 1_000_000n}`
  );
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const v = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
  return Number(v.toFixed(3));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// statfs(2) f_type magic numbers (linux/magic.h) of the usual suspects
const FILESYSTEMS: Record<number, string> = {
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
};

/** The machine, and what one 300-byte write + fdatasync costs on the disk under `dir`. */
export function machine(dir: string) {
  const probe = mkdtempSync(path.join(dir, 'fsync-probe-'));
  const fd = openSync(path.join(probe, 'f'), 'w');
  const record = Buffer.from(line(0));
  const ms: number[] = [];
  for (let i = 0; i < 1_000; i++) {
    const t = performance.now();
    writeSync(fd, record);
    fdatasyncSync(fd);
    ms.push(performance.now() - t);
  }
  closeSync(fd);
  rmSync(probe, { recursive: true, force: true });
  return {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    kernel: os.release(),
    // others' work on the machine moves the numbers: what was running when this one started
    loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)),
    filesystem: FILESYSTEMS[statfsSync(dir).type] ?? `0x${statfsSync(dir).type.toString(16)}`,
    fdatasync300BP50Ms: percentile(ms, 0.5),
    fdatasync300BP99Ms: percentile(ms, 0.99),
  };
}

/** Writes `keys` into bench/results/spool.json, keeping what the other spool bench wrote. */
export function mergeResults(keys: Record<string, unknown>): string {
  const out = path.join(__dirname, 'results', 'spool.json');
  mkdirSync(path.dirname(out), { recursive: true });
  const previous = existsSync(out)
    ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>)
    : {};
  writeFileSync(out, `${JSON.stringify({ bench: 'spool', ...previous, ...keys }, null, 2)}\n`);
  return out;
}

/**
 * The per-field median of runs of one shape (numbers, nested objects and arrays of them): the
 * benches repeat in interleaved rounds, since other work on a 2-core machine moves single runs.
 */
export function medianOfRuns<T>(runs: readonly T[]): T {
  const first = runs[0];
  if (typeof first === 'number') {
    const sorted = (runs as readonly number[]).slice().sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] as T;
  }
  if (Array.isArray(first)) {
    return first.map((_, i) => medianOfRuns(runs.map((r) => (r as unknown[])[i]))) as T;
  }
  if (first !== null && typeof first === 'object') {
    return Object.fromEntries(
      Object.keys(first).map((k) => [
        k,
        medianOfRuns(runs.map((r) => (r as Record<string, unknown>)[k])),
      ]),
    ) as T;
  }
  return first as T;
}
