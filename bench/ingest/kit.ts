// Process and machine helpers of bench/ingest.bench.ts: ephemeral ports, CPU time and memory of a
// process (/proc/<pid>/stat and status, proc(5)), the machine's busy time, a service spawned in
// its own process and awaited until ready, and the fleet the broker authenticates.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { DEVICE_CATALOG, DEVICE_KINDS, buildTopic } from '@orfleet/devices';
import type { DeviceKind } from '@orfleet/devices';

import { machineBusyMs, sleep } from '../proc';

export { CLK_TCK, cpuMs, freePort, machineBusyMs, memoryKb, sleep } from '../proc';

/** The bench process's own CPU time so far, in ms (the load generator runs in it). */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
}

/**
 * Waits (maxWaitMs at most) for a second in which everything but this process took less than
 * maxPct of one core: our own idle services count, so a compaction influxd still runs from the
 * last phase is waited out too. Returns that share (%), the last one measured if never quiet.
 */
export async function waitQuiet(maxPct: number, maxWaitMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    const busy0 = machineBusyMs();
    const own0 = ownCpuMs();
    const t0 = performance.now();
    await sleep(1_000);
    const other = machineBusyMs() - busy0 - (ownCpuMs() - own0);
    const pct = Math.round((other / (performance.now() - t0)) * 100);
    if (pct < maxPct || performance.now() - start > maxWaitMs) return pct;
  }
}

export interface Service<T> {
  readonly pid: number;
  /** What `ready` found in the output (a port, a URL). */
  readonly ready: T;
  /** The last 8 kB it printed. */
  output(): string;
  /** SIGTERM, then wait for the exit (SIGKILL after timeoutMs). */
  stop(timeoutMs?: number): Promise<void>;
}

/** Spawns a process; resolves once `ready` returns a value; fails with its output if it exits. */
export function spawnService<T>(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: (output: string) => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<Service<T>> {
  const child: ChildProcess = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (stopTimeoutMs = 20_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + timeoutMs;
    let done = false;
    child.once('exit', (code, signal) => {
      if (done) return;
      done = true;
      reject(new Error(`${name} exited before it was ready (${code ?? signal}):\n${output}`));
    });
    const poll = async (): Promise<void> => {
      while (!done) {
        const value = await ready(output);
        if (done) return;
        if (value !== undefined) {
          done = true;
          return resolve({ pid: child.pid!, ready: value, output: () => output, stop });
        }
        if (performance.now() > deadline) {
          done = true;
          await stop();
          return reject(new Error(`${name} not ready within ${timeoutMs} ms; output:\n${output}`));
        }
        await sleep(50);
      }
    };
    void poll();
  });
}

/** GET url; true on a 200 (false on anything else, a refused connection included). */
export async function answers200(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
}

// ---- the fleet ---------------------------------------------------------------------------

export interface Device {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly secret: string;
  readonly topic: string;
}

export const SITE = 'st-bench';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** `count` devices of every MQTT kind that sends heartbeats, round-robin, and a service token. */
export function makeFleet(count: number): { devices: Device[]; serviceToken: string } {
  const kinds = DEVICE_KINDS.filter(
    (k) =>
      DEVICE_CATALOG[k].transport === 'mqtt' && DEVICE_CATALOG[k].channels.includes('heartbeat'),
  );
  const devices = Array.from({ length: count }, (_, i) => {
    const kind = kinds[i % kinds.length]!;
    const id = `bench-${i + 1}`;
    return {
      id,
      kind,
      secret: randomBytes(24).toString('base64url'),
      topic: buildTopic({ siteId: SITE, kind, deviceId: id }, 'heartbeat'),
    };
  });
  return { devices, serviceToken: `orf_${randomBytes(32).toString('base64url')}` };
}

/**
 * The API's schema (its migrations, as `npm run migrate` applies them, from dist/), the fleet
 * with its secrets' hashes, and a device-service token named `service` (the ingest logs in as
 * `svc:<service>`).
 */
export async function seedRegistry(
  root: string,
  url: string,
  devices: readonly Device[],
  service: string,
  serviceToken: string,
): Promise<void> {
  execFileSync(process.execPath, [path.join(root, 'dist/apps/api/src/database/migrate.cli.js')], {
    env: { ...process.env, DATABASE_URL: url, ORFLEET_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO api_token (name, role, secret_sha256, created_by) VALUES ($1, 'device-service', $2, 'bench')`,
      [service, sha256(serviceToken)],
    );
    await db.query(
      `INSERT INTO site (id, name, zone, timezone, region, created_by, updated_by)
       VALUES ($1, 'Bench Hospital', 'city', 'UTC', 'east', 'bench', 'bench')`,
      [SITE],
    );
    await db.query(
      `INSERT INTO device (id, kind, model, serial, site_id, install_date, warranty_end, secret_sha256, created_by, updated_by)
       SELECT d.id, d.kind, 'M-1', 'SN-' || d.id, $4, '2026-01-01', '2031-01-01', d.sha, 'bench', 'bench'
         FROM unnest($1::text[], $2::text[], $3::text[]) AS d(id, kind, sha)`,
      [
        devices.map((d) => d.id),
        devices.map((d) => d.kind),
        devices.map((d) => sha256(d.secret)),
        SITE,
      ],
    );
  } finally {
    await db.end();
  }
}

// ---- Prometheus text ---------------------------------------------------------------------

/** The value of an unlabelled sample (`name value`), or NaN when absent. */
export function sample(text: string, name: string): number {
  const match = new RegExp(`^${name} ([^\\s]+)`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
}

/** A histogram's cumulative buckets: [upper bound (s), count], +Inf last. */
export function buckets(text: string, name: string): [number, number][] {
  const out: [number, number][] = [];
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} ([^\\s]+)`, 'gm');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  }
  return out;
}

/**
 * The p-quantile of the observations between two scrapes of a cumulative histogram, by linear
 * interpolation within the bucket it falls in (Prometheus's histogram_quantile does the same);
 * the lowest bucket interpolates from 0. In seconds; NaN without observations.
 */
export function histogramQuantile(
  before: [number, number][],
  after: [number, number][],
  p: number,
): number {
  const delta = after.map(([le, n], i) => [le, n - (before[i]?.[1] ?? 0)] as const);
  const total = delta.at(-1)?.[1] ?? 0;
  if (total <= 0) return NaN;
  const rank = p * total;
  let lower = 0;
  let below = 0;
  for (const [le, n] of delta) {
    if (n >= rank) {
      if (le === Infinity) return lower; // past the last finite bound: all we can say
      return lower + ((le - lower) * (rank - below)) / Math.max(1, n - below);
    }
    lower = le;
    below = n;
  }
  return lower;
}
