// Ingest bench (issue #5): the same N heartbeat points written to InfluxDB 1.6.7 two ways, in one
// run:
//   (a) raw: a separate process (bench/ingest/influx-load.ts) POSTs the exact line protocol the
//       ingest writes for them to /write?db=..&rp=raw&precision=ms in batches of 5,000, one
//       request at a time ("seq", the ingest's own pattern) and, reported apart, two at a time;
//   (b) end to end: BENCH_DEVICES MQTT.js device connections publish them QoS 1 (each keeps
//       BENCH_INFLIGHT unacknowledged publishes at most) to our broker (`node
//       dist/apps/broker/src/main.js`, PostgreSQL registry), which delivers them to the ingest
//       (`node dist/apps/ingest/src/main.js`: decode, durable SQLite spool, PUBACK, batches of
//       5,000 to InfluxDB). Rate = N / (first publish → the ingest's points_written_total counts
//       all N; each batch is counted after InfluxDB's 204, i.e. fsynced and queryable),
//       checked afterwards with count() in InfluxDB.
// Before (b), BENCH_WARMUP_POINTS other heartbeats go through unmeasured (fresh processes run
// cold). Then the lag: devices publish paced at BENCH_LAG_SHARE (50%) of that round's (b) rate
// for BENCH_LAG_S with ts = publish time; p50/p99 of (written − published), measured two ways:
// our own (the k-th point published is the k-th written, the pipeline being FIFO; written time =
// the midpoint between the last scrape of points_written_total, every 50 ms, that did not count
// it and the first that did) and the ingest's orfleet_ingest_lag_seconds histogram (point ts →
// InfluxDB's 204; bucketed, interpolated).
// Ingest RSS from /proc/<pid>/status: VmHWM (peak) and VmRSS during the paced phase (steady).
// CPU time of every process from /proc/<pid>/stat: 2 cores are shared by the load generator
// (this process), the broker, the ingest and influxd, and that is the first thing to look at;
// other processes' share is recorded per phase (a busy machine skews every figure).
//
// Each round starts a fresh broker and ingest; every phase writes to a fresh database, dropped
// afterwards; the phase order rotates between rounds. `--quick`: one round of 50,000 points.
// A full run that misses (b)/(a) >= 0.85 runs one more round, not measured, with the broker and
// the ingest under --cpu-prof and puts their top self-time functions in the JSON
// (BENCH_PROFILE_EXTRA); BENCH_PROFILE_DIR=/tmp/prof profiles the measured rounds too (slower).
// To try a change without touching the tree: BENCH_DIST=tmp/x/dist (a patched copy of dist/),
// BENCH_INGEST_ENV / BENCH_BROKER_ENV=NAME=value,... (recorded in the JSON), BENCH_NO_BUILD=1.
// Last, disk per device-day (bench/ingest/disk.ts): one day of heartbeats of BENCH_DISK_DEVICES
// dispensers written to a private influxd with the ingest's schema, compacted, measured.
// Prints a table; writes bench/results/ingest.json (a quick run writes ingest.quick.json, so it
// never replaces the full figures; BENCH_OUT overrides).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { buildTopic, decodeMessage, toLines } from '@orfleet/devices';
import { startEmbeddedPostgres } from '../apps/api/src/database/embedded-postgres';
import { setupInfluxSchema } from '../apps/ingest/src/influx/influx-schema';
import { InfluxHttp } from '../apps/ingest/src/influx/influx-http';
import { startEmbeddedInfluxd } from '../apps/ingest/src/influx/embedded-influxd';
import { countField, influxQuery } from '../apps/ingest/test/influxd';
import { printProfile, summarizeProfile } from './ingest/cpuprofile';
import { measureDisk } from './ingest/disk';
import type { DiskResult } from './ingest/disk';
import { machineInfo } from './proc';
import { distribution, perSecond } from './series';
import type { Distribution } from './series';
import type { ProfileSummary } from './ingest/cpuprofile';
import {
  SITE,
  answers200,
  buckets,
  cpuMs,
  freePort,
  histogramQuantile,
  machineBusyMs,
  makeFleet,
  memoryKb,
  ownCpuMs,
  sample,
  seedRegistry,
  sleep,
  spawnService,
  waitQuiet,
} from './ingest/kit';
import type { Device, Service } from './ingest/kit';

const QUICK = process.argv.includes('--quick');
const envNumber = (name: string, fallback: number, min = 1): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min)
    throw new Error(`${name}: expected a number >= ${min}`);
  return value;
};
/** N: points per phase (rounded down to a multiple of BENCH_DEVICES). */
const POINTS_WANTED = envNumber('BENCH_POINTS', QUICK ? 50_000 : 200_000);
const DEVICES = envNumber('BENCH_DEVICES', 200);
/** Unacknowledged QoS 1 publishes per device connection at most. */
const INFLIGHT = envNumber('BENCH_INFLIGHT', 4);
const ROUNDS = envNumber('BENCH_ROUNDS', QUICK ? 1 : 3);
/** The ingest's ORFLEET_INGEST_BATCH_LINES and the baseline's batch. */
const BATCH = envNumber('BENCH_BATCH_LINES', 5_000);
/** The ingest's ORFLEET_INGEST_FLUSH_MS (its default: 1000). */
const FLUSH_MS = envNumber('BENCH_FLUSH_MS', 1_000, 0);
/** Seconds of the paced phase; 0 skips it (profiling the saturated pipeline alone). */
const LAG_S = envNumber('BENCH_LAG_S', QUICK ? 10 : 20, 0);
/** The paced phase's rate as a share of the round's end-to-end rate. */
const LAG_SHARE = envNumber('BENCH_LAG_SHARE', 0.5, 0.01);
const PROFILE_DIR = process.env['BENCH_PROFILE_DIR'];
/** Dispensers of the disk measurement, one day of heartbeats each; 0 skips it. */
const DISK_DEVICES = envNumber('BENCH_DISK_DEVICES', QUICK ? 20 : 100, 0);
/** A phase in which other processes took more than this (% of one core) is flagged. */
const OTHER_MAX_PCT = envNumber('BENCH_OTHER_MAX_PCT', 25);
const QUIET_WAIT_MS = QUICK ? 5_000 : 15_000;
/** All waits for a quiet machine together at most (ms): a busy machine cannot stretch the run. */
let quietBudgetMs = QUICK ? 10_000 : 45_000;
/**
 * One more round, not measured, with the broker and ingest under --cpu-prof, its top self-time
 * functions put in the JSON: `auto` (default of a full run) when (b)/(a) misses the goal, `1`
 * always, `0` never (default of a quick run).
 */
const PROFILE_EXTRA = process.env['BENCH_PROFILE_EXTRA'] ?? (QUICK ? '0' : 'auto');
const PROFILE_POINTS = 50_000;
/**
 * Scrape interval of the ingest's /metrics while waiting for the points: a scrape costs the ingest
 * ~1-2 ms of CPU (measured each round: scrapeCpuMs), so not more often than this.
 */
const SCRAPE_MS = 100;
const LAG_SCRAPE_MS = 50;
/** Heartbeats sent through the pipeline before (b), unmeasured: fresh processes run cold. */
const WARMUP_POINTS = envNumber('BENCH_WARMUP_POINTS', QUICK ? 5_000 : 10_000, 0);
/** Where the compiled broker and ingest are (a patched copy under tmp/ to try a change). */
const DIST = path.resolve(process.env['BENCH_DIST'] ?? path.join(__dirname, '..', 'dist'));
/** Extra settings for the experiment: `NAME=value,NAME=value`, recorded in the JSON. */
const envList = (name: string): Record<string, string> =>
  Object.fromEntries(
    (process.env[name] ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
const INGEST_EXTRA = envList('BENCH_INGEST_ENV');
const BROKER_EXTRA = envList('BENCH_BROKER_ENV');
const SERVICE = 'bench-ingest';
const root = path.resolve(__dirname, '..');

const P = Math.floor(POINTS_WANTED / DEVICES); // points per device
const N = P * DEVICES;
const PW = Math.floor(WARMUP_POINTS / DEVICES);
const W = PW * DEVICES;

/**
 * Our broker's settings for the run: production defaults except the flood gate (20 msg/s per
 * device by default; each device sends far more here) and the per-IP connect limits (every device
 * connects from 127.0.0.1 at once). The ingest: production defaults except BATCH/FLUSH_MS above.
 */
const BROKER_RELAXED: Record<string, string> = {
  ORFLEET_BROKER_FLOOD_LIMITS: 'default=1000',
  ORFLEET_BROKER_CONNECT_RATE_PER_IP: '1000',
  ORFLEET_BROKER_CONNECT_BURST_PER_IP: String(Math.max(1_000, 2 * (DEVICES + 2))),
};

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2 === 1
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1_000) / 1_000;
const mib = (kb: number) => round1(kb / 1024);

/** The child environment: ours, without any orfleet setting a developer may have exported. */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !k.startsWith('ORFLEET_') &&
        !k.startsWith('MQTT_') &&
        !k.startsWith('INFLUX_') &&
        k !== 'REDIS_URL' &&
        k !== 'DATABASE_URL' &&
        k !== 'NODE_OPTIONS',
    ),
  );
}

const profileArgs = (dir: string | undefined, name: string) =>
  dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`] : [];

/** Waits for a quiet machine within what is left of the budget; the share others took (%). */
async function quietly(): Promise<number> {
  const started = performance.now();
  const pct = await waitQuiet(OTHER_MAX_PCT, Math.min(QUIET_WAIT_MS, quietBudgetMs));
  quietBudgetMs = Math.max(0, quietBudgetMs - (performance.now() - started - 1_000));
  return pct;
}

// ---- the data set ------------------------------------------------------------------------

interface DataSet {
  /** payloads[device][k]: the k-th heartbeat of a device, as published. */
  readonly payloads: Buffer[][];
  /** The warm-up's heartbeats, 3 h back (before the measured ones). */
  readonly warmup: Buffer[][];
  /** The line-protocol file the ingest writes for them (seq-major, as they arrive). */
  readonly linesFile: string;
  readonly lineBytes: number;
}

const heartbeat = (ts: number, seq: number) =>
  JSON.stringify({
    ts,
    seq,
    fw: '2.3.1',
    uptime_s: 86_400 + seq,
    battery_pct: 87,
    rssi_dbm: -52,
    temp_c: 36.5,
  });

/**
 * N heartbeats, P per device, 1 s apart per device and 2 h in the past (inside the raw retention
 * of 30 d, outside the rollup CQ's 10-minute window): unique per (device, seq), so no point
 * overwrites another; the same in every phase and round.
 */
function makeDataSet(devices: readonly Device[], dir: string): DataSet {
  const baseTs = Date.now() - 2 * 3_600_000;
  const receivedAt = Date.now();
  const payloads = devices.map(() => new Array<Buffer>(P));
  const lines: string[] = [];
  for (let k = 0; k < P; k++) {
    for (let d = 0; d < devices.length; d++) {
      const text = heartbeat(baseTs + k * 1_000, k + 1);
      payloads[d]![k] = Buffer.from(text);
      // what the ingest's accept() does with it (apps/ingest/src/ingest.ts)
      const decoded = decodeMessage(devices[d]!.topic, text, receivedAt);
      if (!decoded.ok)
        throw new Error(`bench heartbeat invalid: ${JSON.stringify(decoded.errors)}`);
      if (decoded.message.warnings.length > 0) throw new Error('bench heartbeat has warnings');
      lines.push(...toLines(decoded.message));
    }
  }
  const linesFile = path.join(dir, 'points.lp');
  const text = `${lines.join('\n')}\n`;
  writeFileSync(linesFile, text);
  const warmup = devices.map((_, d) =>
    Array.from({ length: PW }, (_, k) =>
      Buffer.from(heartbeat(baseTs - 3_600_000 + k * 1_000 + d, k + 1)),
    ),
  );
  return { payloads, warmup, linesFile, lineBytes: Buffer.byteLength(text) };
}

// ---- CPU accounting ----------------------------------------------------------------------

interface Pids {
  broker?: number;
  ingest?: number;
  influxd: number;
}

interface Snapshot {
  readonly t: number;
  readonly busy: number;
  readonly own: number;
  readonly broker: number;
  readonly ingest: number;
  readonly influxd: number;
}

const snapshot = (pids: Pids): Snapshot => ({
  t: performance.now(),
  busy: machineBusyMs(),
  own: ownCpuMs(),
  broker: pids.broker === undefined ? 0 : cpuMs(pids.broker),
  ingest: pids.ingest === undefined ? 0 : cpuMs(pids.ingest),
  influxd: cpuMs(pids.influxd),
});

/** CPU per process over a window, in % of one core (200 = both cores), and in ms. */
interface CpuSplit {
  wallMs: number;
  loadgenPct: number;
  brokerPct: number;
  ingestPct: number;
  influxdPct: number;
  /** The baseline's writer process. */
  writerPct: number;
  /** Everything else on the machine: other work skews every figure. */
  otherPct: number;
  loadgenMs: number;
  brokerMs: number;
  ingestMs: number;
  influxdMs: number;
  writerMs: number;
}

function cpuSplit(a: Snapshot, b: Snapshot, writerMs = 0): CpuSplit {
  const wallMs = b.t - a.t;
  const ms = {
    loadgenMs: b.own - a.own,
    brokerMs: b.broker - a.broker,
    ingestMs: b.ingest - a.ingest,
    influxdMs: b.influxd - a.influxd,
    writerMs,
  };
  const ours = ms.loadgenMs + ms.brokerMs + ms.ingestMs + ms.influxdMs + ms.writerMs;
  const pct = (x: number) => Math.round((x / wallMs) * 100);
  return {
    wallMs: Math.round(wallMs),
    loadgenPct: pct(ms.loadgenMs),
    brokerPct: pct(ms.brokerMs),
    ingestPct: pct(ms.ingestMs),
    influxdPct: pct(ms.influxdMs),
    writerPct: pct(ms.writerMs),
    otherPct: Math.max(0, pct(b.busy - a.busy - ours)),
    loadgenMs: Math.round(ms.loadgenMs),
    brokerMs: Math.round(ms.brokerMs),
    ingestMs: Math.round(ms.ingestMs),
    influxdMs: Math.round(ms.influxdMs),
    writerMs: Math.round(ms.writerMs),
  };
}

// ---- InfluxDB ----------------------------------------------------------------------------

const quiet = { info: () => undefined, warn: (m: string) => console.warn(m) };

async function createDatabase(url: string, db: string): Promise<void> {
  // the ingest's own schema set-up: database, rp raw (default, 30 d), rollup rp and its CQ
  await setupInfluxSchema(new InfluxHttp({ url }), { database: db }, quiet);
}

async function dropDatabase(url: string, db: string): Promise<void> {
  await influxQuery(url, `DROP DATABASE "${db}"`);
}

const heartbeats = (url: string, db: string) => countField(url, db, 'raw', 'heartbeat', 'beat');

// ---- (a) baseline --------------------------------------------------------------------------

interface BaselineResult {
  concurrency: number;
  db: string;
  points: number;
  ms: number;
  perS: number;
  requests: number;
  requestP50Ms: number;
  requestP99Ms: number;
  cpu: CpuSplit;
  /** CPU ms of writer + influxd per 1,000 points. */
  cpuMsPer1k: number;
  counted: number;
}

interface LoadReport {
  points: number;
  requests: number;
  ms: number;
  cpuMs: number;
  requestP50Ms: number;
  requestP99Ms: number;
}

async function runBaseline(
  influxUrl: string,
  pids: Pids,
  data: DataSet,
  concurrency: number,
  db: string,
): Promise<BaselineResult> {
  await createDatabase(influxUrl, db);
  // the writer runs the TypeScript through tsx as this process does (process.execArgv)
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      path.join(__dirname, 'ingest/influx-load.ts'),
      influxUrl,
      db,
      'raw',
      data.linesFile,
      String(BATCH),
      String(concurrency),
    ],
    { env: baseEnv(), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  // the window: from the writer's "ready" (file read, bodies encoded) to its report
  let before: Snapshot | undefined;
  let after: Snapshot | undefined;
  child.stdout.on('data', () => {
    if (before === undefined && out.includes('ready\n')) {
      before = snapshot(pids);
      child.stdin.end('go\n');
    }
    if (after === undefined && /\{.*\}\n/.test(out)) after = snapshot(pids);
  });
  const hung = setTimeout(() => {
    err += `\ninflux-load: no exit within 120 s; killed`;
    child.kill('SIGKILL');
  }, 120_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(hung);
  if (code !== 0 || before === undefined || after === undefined) {
    throw new Error(`influx-load (${db}) failed (${code}):\n${err}${out}`);
  }
  const report = JSON.parse(/\{.*\}/.exec(out)![0]) as LoadReport;
  const cpu = cpuSplit(before, after, report.cpuMs);
  const counted = await heartbeats(influxUrl, db);
  if (counted !== N)
    throw new Error(`baseline ${db}: ${counted} points in InfluxDB, expected ${N}`);
  await dropDatabase(influxUrl, db);
  return {
    concurrency,
    db,
    points: report.points,
    ms: Math.round(report.ms),
    perS: Math.round((report.points / report.ms) * 1_000),
    requests: report.requests,
    requestP50Ms: round1(report.requestP50Ms),
    requestP99Ms: round1(report.requestP99Ms),
    cpu,
    cpuMsPer1k: round1(((cpu.writerMs + cpu.influxdMs) / report.points) * 1_000),
    counted,
  };
}

// ---- the pipeline: broker, ingest, devices ------------------------------------------------

interface Pipeline {
  broker: Service<{ port: number; ops: string }>;
  ingest: Service<string>;
  clients: MqttClient[];
  db: string;
  /** points_written_total once the probe was written: the phases count from here. */
  writtenBase: number;
  idleRssKb: number;
}

async function startPipeline(
  round: number,
  context: Context,
  db: string,
  dataDir: string,
  profileDir = PROFILE_DIR,
): Promise<Pipeline> {
  const broker = await spawnService(
    'broker',
    process.execPath,
    [
      ...profileArgs(profileDir, `broker-r${round}.cpuprofile`),
      path.join(DIST, 'apps/broker/src/main.js'),
    ],
    {
      ...baseEnv(),
      DATABASE_URL: context.databaseUrl,
      ORFLEET_BROKER_PORT: '0',
      ORFLEET_BROKER_WS_PORT: '0',
      ORFLEET_BROKER_OPS_PORT: '0',
      ORFLEET_LOG_LEVEL: 'info',
      ...BROKER_RELAXED,
      ...BROKER_EXTRA,
    },
    async (out) => {
      const m = /MQTT on [\d.]+:(\d+).*health and metrics on (http:\/\/[\d.]+:\d+)/.exec(out);
      return m && (await answers200(`${m[2]}/readyz`))
        ? { port: Number(m[1]), ops: m[2]! }
        : undefined;
    },
  );
  let ingest: Service<string> | undefined;
  const clients: MqttClient[] = [];
  try {
    ingest = await spawnService(
      'ingest',
      process.execPath,
      [
        ...profileArgs(profileDir, `ingest-r${round}.cpuprofile`),
        path.join(DIST, 'apps/ingest/src/main.js'),
      ],
      {
        ...baseEnv(),
        MQTT_URL: `mqtt://127.0.0.1:${broker.ready.port}`,
        MQTT_USERNAME: `svc:${SERVICE}`,
        MQTT_PASSWORD: context.serviceToken,
        MQTT_CLIENT_ID: `svc:${SERVICE}`,
        INFLUX_URL: context.influxUrl,
        INFLUX_DB: db,
        ORFLEET_INGEST_DATA_DIR: dataDir,
        ORFLEET_INGEST_OPS_PORT: '0',
        ORFLEET_LOG_LEVEL: 'warn',
        ORFLEET_INGEST_BATCH_LINES: String(BATCH),
        ORFLEET_INGEST_FLUSH_MS: String(FLUSH_MS),
        ...INGEST_EXTRA,
      },
      async (out) => {
        const m = /health and metrics on (http:\/\/[\d.]+:\d+)/.exec(out);
        return m && (await answers200(`${m[1]}/readyz`)) ? m[1] : undefined;
      },
    );
    const url = `mqtt://127.0.0.1:${broker.ready.port}`;
    let next = 0;
    // 50 CONNECTs at a time, as a fleet coming back after a power cut
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < context.devices.length) {
          const i = next++;
          const d = context.devices[i]!;
          const client = await connectAsync(url, {
            protocolVersion: 4,
            reconnectPeriod: 0,
            connectTimeout: 30_000,
            clientId: d.id,
            username: d.id,
            password: d.secret,
          });
          // device stacks send each packet at once
          (client.stream as unknown as Socket).setNoDelay(true);
          clients[i] = client;
        }
      }),
    );
    const writtenBase = await probe(ingest.ready, clients[0]!, context.devices[0]!);
    return { broker, ingest, clients, db, writtenBase, idleRssKb: memoryKb(ingest.pid).rssKb };
  } catch (error) {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await ingest?.stop();
    await broker.stop();
    throw error;
  }
}

async function stopPipeline(p: Pipeline): Promise<void> {
  await Promise.all(p.clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await p.ingest.stop();
  await p.broker.stop();
}

async function scrape(ops: string): Promise<string> {
  return (await fetch(`${ops}/metrics`)).text();
}

/** The ingest's CPU time per /metrics scrape, ms (100 scrapes: /proc counts in 10 ms ticks). */
async function scrapeCost(p: Pipeline): Promise<number> {
  const before = cpuMs(p.ingest.pid);
  for (let i = 0; i < 100; i++) await scrape(p.ingest.ready);
  return round3((cpuMs(p.ingest.pid) - before) / 100);
}

const WRITTEN = 'orfleet_ingest_points_written_total';

/**
 * Until the ingest's subscription is in place a publish reaches nobody: a telemetry probe (its own
 * measurement, so the heartbeat count stays N) is sent until the ingest took one, then we wait
 * until it is written. Returns points_written_total then.
 */
async function probe(ops: string, client: MqttClient, device: Device): Promise<number> {
  const topic = buildTopic({ siteId: SITE, kind: device.kind, deviceId: device.id }, 'telemetry');
  const deadline = performance.now() + 30_000;
  for (;;) {
    await client.publishAsync(topic, JSON.stringify({ ts: Date.now(), temp_c: 36.5 }), { qos: 1 });
    const until = performance.now() + 2_000;
    while (performance.now() < until) {
      const text = await scrape(ops);
      const taken = sample(text, 'orfleet_ingest_messages_total\\{channel="telemetry"\\}');
      if (taken >= 1) {
        for (;;) {
          const written = sample(await scrape(ops), WRITTEN);
          if (written >= taken) return written;
          if (performance.now() > deadline) throw new Error('the probe was never written');
          await sleep(50);
        }
      }
      await sleep(50);
    }
    if (performance.now() > deadline) throw new Error('the ingest never took the probe');
  }
}

interface Timeline {
  t: number[];
  written: number[];
}

/** Scrapes points_written_total every `everyMs` until it reaches `target` (relative to base). */
async function waitWritten(
  p: Pipeline,
  target: number,
  everyMs: number,
  timeoutMs: number,
  timeline: Timeline,
  onTick?: () => void,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const text = await scrape(p.ingest.ready);
    const t = performance.now();
    const written = sample(text, WRITTEN) - p.writtenBase;
    timeline.t.push(t);
    timeline.written.push(written);
    onTick?.();
    if (written >= target) return t;
    if (t > deadline) {
      throw new Error(
        `waited ${timeoutMs} ms: ${written} of ${target} points written; spool ${sample(text, 'orfleet_ingest_spool_records')}`,
      );
    }
    await sleep(everyMs);
  }
}

// ---- (b) end to end --------------------------------------------------------------------------

interface E2EResult {
  db: string;
  points: number;
  /** First publish → all N written. */
  ms: number;
  perS: number;
  /** Written between 10% and 90% of N, per second: without the fill and the last flush. */
  steadyPerS: number;
  /** First publish → last PUBACK (the broker acknowledges before it delivers). */
  publishMs: number;
  publishPerS: number;
  clientErrors: number;
  cpu: CpuSplit;
  /** CPU ms per 1,000 points, by process. */
  cpuMsPer1k: { loadgen: number; broker: number; ingest: number; influxd: number; total: number };
  ingestRssMaxKb: number;
  brokerRssMaxKb: number;
  /** Points written in each second from the first publish (from the scrapes, interpolated). */
  writtenPerS: number[];
  /** The ingest's own counters at the end (cumulative, warm-up and probe included). */
  ingestCounters: { heartbeatsTaken: number; acknowledged: number; written: number };
}

/** Every device publishes its payloads in order, INFLIGHT unacknowledged at most. */
function publishAll(
  clients: readonly MqttClient[],
  devices: readonly Device[],
  payloads: readonly (readonly Buffer[])[],
): Promise<{ lastAckAt: number; errors: number }> {
  const perDevice = payloads[0]?.length ?? 0;
  const total = perDevice * devices.length;
  return new Promise((resolve) => {
    if (total === 0) return resolve({ lastAckAt: performance.now(), errors: 0 });
    const next = new Int32Array(devices.length);
    let settled = 0;
    let errors = 0;
    const send = (d: number) => {
      const k = next[d]!++;
      clients[d]!.publish(devices[d]!.topic, payloads[d]![k]!, { qos: 1 }, (error) => {
        if (error) errors++;
        settled++;
        if (next[d]! < perDevice) send(d);
        if (settled === total) resolve({ lastAckAt: performance.now(), errors });
      });
    };
    for (let j = 0; j < INFLIGHT; j++) {
      for (let d = 0; d < devices.length; d++) if (next[d]! < perDevice) send(d);
    }
  });
}

/** The warm-up: W heartbeats through the whole pipeline, all written. */
async function warmUp(p: Pipeline, context: Context, data: DataSet): Promise<void> {
  if (W === 0) return;
  const sent = await publishAll(p.clients, context.devices, data.warmup);
  if (sent.errors > 0) throw new Error(`warm-up: ${sent.errors} publishes failed`);
  await waitWritten(p, W, SCRAPE_MS, 120_000, { t: [], written: [] });
  p.writtenBase += W;
}

async function runE2E(
  p: Pipeline,
  pids: Pids,
  context: Context,
  data: DataSet,
): Promise<E2EResult> {
  const timeline: Timeline = { t: [], written: [] };
  let ingestRssMaxKb = 0;
  let brokerRssMaxKb = 0;
  let lastRss = 0;
  const before = snapshot(pids);
  const t0 = performance.now();
  const publishing = publishAll(p.clients, context.devices, data.payloads);
  const doneAt = await waitWritten(p, N, SCRAPE_MS, 300_000, timeline, () => {
    if (performance.now() - lastRss < 250) return;
    lastRss = performance.now();
    ingestRssMaxKb = Math.max(ingestRssMaxKb, memoryKb(p.ingest.pid).rssKb);
    brokerRssMaxKb = Math.max(brokerRssMaxKb, memoryKb(p.broker.pid).rssKb);
  });
  const after = snapshot(pids);
  const published = await publishing;
  const counters = await scrape(p.ingest.ready);
  const ms = doneAt - t0;
  const at = (share: number) => {
    const i = timeline.written.findIndex((w) => w >= share * N);
    return { t: timeline.t[i]!, w: timeline.written[i]! };
  };
  const p10 = at(0.1);
  const p90 = at(0.9);
  const cpu = cpuSplit(before, after);
  const per1k = (x: number) => round1((x / N) * 1_000);
  const counted = await heartbeats(context.influxUrl, p.db);
  if (counted !== W + N) {
    throw new Error(`e2e ${p.db}: ${counted} heartbeats in InfluxDB, expected ${W} + ${N}`);
  }
  return {
    db: p.db,
    points: N,
    ms: Math.round(ms),
    perS: Math.round((N / ms) * 1_000),
    steadyPerS: Math.round(((p90.w - p10.w) / Math.max(1, p90.t - p10.t)) * 1_000),
    publishMs: Math.round(published.lastAckAt - t0),
    publishPerS: Math.round((N / (published.lastAckAt - t0)) * 1_000),
    clientErrors: published.errors,
    cpu,
    cpuMsPer1k: {
      loadgen: per1k(cpu.loadgenMs),
      broker: per1k(cpu.brokerMs),
      ingest: per1k(cpu.ingestMs),
      influxd: per1k(cpu.influxdMs),
      total: per1k(cpu.loadgenMs + cpu.brokerMs + cpu.ingestMs + cpu.influxdMs),
    },
    ingestRssMaxKb,
    brokerRssMaxKb,
    writtenPerS: perSecond(timeline.t, timeline.written, t0),
    ingestCounters: {
      heartbeatsTaken: sample(counters, 'orfleet_ingest_messages_total\\{channel="heartbeat"\\}'),
      acknowledged: sample(counters, 'orfleet_ingest_acknowledged_total'),
      written: sample(counters, WRITTEN),
    },
  };
}

// ---- lag at a share of the rate --------------------------------------------------------------

interface LagResult {
  ratePerS: number;
  offeredPerS: number;
  points: number;
  /** Ours: publish → written (between two scrapes 50 ms apart; FIFO order assumed). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The ingest's histogram (point ts → 204), interpolated within its buckets. */
  histogramP50Ms: number;
  histogramP99Ms: number;
  /** The ingest's InfluxDB write requests meanwhile (orfleet_ingest_write_seconds, interpolated). */
  writeP50Ms: number;
  writeP99Ms: number;
  /** Longest time the written count stood still (the batch interval, or a stall). */
  maxGapMs: number;
  cpu: CpuSplit;
  ingestRssSteadyKb: number;
  /** Ours (publish → written) at the quantiles of series.ts. */
  distribution: Distribution;
}

const LAG = 'orfleet_ingest_lag_seconds';
const WRITE_SECONDS = 'orfleet_ingest_write_seconds';

async function runLag(
  p: Pipeline,
  pids: Pids,
  context: Context,
  rate: number,
  writtenBefore: number,
): Promise<LagResult> {
  const { devices } = context;
  const scrapeBefore = await scrape(p.ingest.ready);
  const histogramBefore = buckets(scrapeBefore, LAG);
  const writesBefore = buckets(scrapeBefore, WRITE_SECONDS);
  const total = Math.round(rate * LAG_S);
  const publishedAt = new Float64Array(total);
  const lastTs = new Float64Array(devices.length);
  const seq = new Int32Array(devices.length).fill(P);
  const timeline: Timeline = { t: [], written: [] };
  const rss: number[] = [];
  let lastRss = 0;
  const tick = () => {
    if (performance.now() - lastRss < 1_000) return;
    lastRss = performance.now();
    rss.push(memoryKb(p.ingest.pid).rssKb);
  };
  let errors = 0;
  const before = snapshot(pids);
  const start = performance.now();
  // open loop: `rate` per second round-robin over the devices, whatever the pipeline does
  const pacing = (async () => {
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor((rate * (performance.now() - start)) / 1_000));
      for (; sent < due; sent++) {
        const d = sent % devices.length;
        // ts: the publish time, unique per device (a point per device and ms)
        const ts = Math.max(Date.now(), lastTs[d]! + 1);
        lastTs[d] = ts;
        publishedAt[sent] = performance.now();
        p.clients[d]!.publish(devices[d]!.topic, heartbeat(ts, ++seq[d]!), { qos: 1 }, (e) => {
          if (e) errors++;
        });
      }
      await sleep(1);
    }
  })();
  // scrape the written count meanwhile
  const scraping = (async () => {
    await waitWritten(
      p,
      writtenBefore + total,
      LAG_SCRAPE_MS,
      LAG_S * 1_000 + 60_000,
      timeline,
      tick,
    );
  })();
  await pacing;
  const sentMs = performance.now() - start;
  await scraping;
  const after = snapshot(pids);
  if (errors > 0) throw new Error(`lag phase: ${errors} publishes failed`);
  const scrapeAfter = await scrape(p.ingest.ready);
  const histogramAfter = buckets(scrapeAfter, LAG);
  const writesAfter = buckets(scrapeAfter, WRITE_SECONDS);
  let maxGapMs = 0;
  let lastChange = timeline.t[0]!;
  for (let i = 1; i < timeline.t.length; i++) {
    if (timeline.written[i] === timeline.written[i - 1]) continue;
    maxGapMs = Math.max(maxGapMs, timeline.t[i]! - lastChange);
    lastChange = timeline.t[i]!;
  }
  // the k-th point published is written between the last scrape that did not count it and the
  // first that did: the midpoint, ± LAG_SCRAPE_MS / 2
  const lags = new Float64Array(total);
  let j = 0;
  for (let k = 0; k < total; k++) {
    while (timeline.written[j]! - writtenBefore <= k) j++;
    const writtenAt = j === 0 ? timeline.t[0]! : (timeline.t[j - 1]! + timeline.t[j]!) / 2;
    lags[k] = writtenAt - publishedAt[k]!;
  }
  lags.sort();
  const q = (x: number) => round1(lags[Math.min(total - 1, Math.floor(total * x))]!);
  const counted = await heartbeats(context.influxUrl, p.db);
  if (counted !== W + N + total) {
    throw new Error(`lag ${p.db}: ${counted} heartbeats in InfluxDB, expected ${W + N + total}`);
  }
  return {
    ratePerS: Math.round(rate),
    offeredPerS: Math.round((total / sentMs) * 1_000),
    points: total,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    maxMs: round1(lags[total - 1]!),
    histogramP50Ms: round1(histogramQuantile(histogramBefore, histogramAfter, 0.5) * 1_000),
    histogramP99Ms: round1(histogramQuantile(histogramBefore, histogramAfter, 0.99) * 1_000),
    writeP50Ms: round1(histogramQuantile(writesBefore, writesAfter, 0.5) * 1_000),
    writeP99Ms: round1(histogramQuantile(writesBefore, writesAfter, 0.99) * 1_000),
    maxGapMs: Math.round(maxGapMs),
    cpu: cpuSplit(before, after),
    ingestRssSteadyKb: median(rss),
    distribution: distribution(lags, { sorted: true, digits: 1 }),
  };
}

// ---- a round -----------------------------------------------------------------------------------

interface Context {
  databaseUrl: string;
  influxUrl: string;
  influxdPid: number;
  devices: Device[];
  serviceToken: string;
  dir: string;
}

type Unit = 'seq' | 'par2' | 'e2e';
const UNITS: readonly Unit[] = ['seq', 'par2', 'e2e'];

interface RoundResult {
  round: number;
  order: Unit[];
  quietPct: number[];
  seq: BaselineResult;
  par2: BaselineResult;
  e2e: E2EResult;
  lag: LagResult | undefined;
  ingestRss: { idleKb: number; peakKb: number; steadyKb: number | undefined };
  brokerRssPeakKb: number;
  /** The ingest's CPU per /metrics scrape (ms): what measuring costs it. */
  scrapeCpuMs: number;
  /** Worst share other processes took in a measured window (% of one core). */
  worstOtherPct: number;
  profiles: ProfileSummary[];
}

async function runRound(round: number, context: Context, data: DataSet): Promise<RoundResult> {
  // rotate: no unit always runs first (cold influxd) or last
  const order = UNITS.map((_, i) => UNITS[(i + round - 1) % UNITS.length]!);
  const db = `e2e_r${round}`;
  const dataDir = path.join(context.dir, `ingest-r${round}`);
  const pids: Pids = { influxd: context.influxdPid };
  const p = await startPipeline(round, context, db, dataDir);
  pids.broker = p.broker.pid;
  pids.ingest = p.ingest.pid;
  const results: Partial<Pick<RoundResult, 'seq' | 'par2' | 'e2e' | 'lag'>> = {};
  const quietPct: number[] = [];
  let stopped = false;
  let ingestPeakKb = 0;
  let brokerPeakKb = 0;
  let scrapeCpuMs = NaN;
  try {
    for (const unit of order) {
      quietPct.push(await quietly());
      switch (unit) {
        case 'seq':
          results.seq = await runBaseline(context.influxUrl, pids, data, 1, `base_seq_r${round}`);
          break;
        case 'par2':
          results.par2 = await runBaseline(context.influxUrl, pids, data, 2, `base_par2_r${round}`);
          break;
        case 'e2e': {
          await warmUp(p, context, data);
          quietPct.push(await quietly());
          results.e2e = await runE2E(p, pids, context, data);
          if (LAG_S > 0) {
            await sleep(FLUSH_MS + 500); // nothing left in flight
            results.lag = await runLag(p, pids, context, results.e2e.perS * LAG_SHARE, N);
          }
          ingestPeakKb = memoryKb(p.ingest.pid).hwmKb;
          brokerPeakKb = memoryKb(p.broker.pid).hwmKb;
          scrapeCpuMs = await scrapeCost(p);
          await stopPipeline(p);
          stopped = true;
          await dropDatabase(context.influxUrl, db);
          break;
        }
      }
      console.log(`  round ${round} ${unit}: ${describe(unit, results)}`);
    }
  } finally {
    if (!stopped) await stopPipeline(p);
  }
  const { seq, par2, e2e, lag } = results as Required<typeof results>;
  const profiles: ProfileSummary[] = [];
  if (PROFILE_DIR) {
    for (const name of [`ingest-r${round}.cpuprofile`, `broker-r${round}.cpuprofile`]) {
      if (readdirSync(PROFILE_DIR).includes(name)) {
        const summary = summarizeProfile(path.join(PROFILE_DIR, name), 15);
        profiles.push(summary);
        printProfile(summary);
      }
    }
  }
  const windows = [seq.cpu, par2.cpu, e2e.cpu, ...(lag ? [lag.cpu] : [])];
  return {
    round,
    order,
    quietPct,
    seq,
    par2,
    e2e,
    lag: results.lag,
    ingestRss: { idleKb: p.idleRssKb, peakKb: ingestPeakKb, steadyKb: lag?.ingestRssSteadyKb },
    brokerRssPeakKb: brokerPeakKb,
    scrapeCpuMs,
    worstOtherPct: Math.max(...windows.map((w) => w.otherPct)),
    profiles,
  };
}

function describe(
  unit: Unit,
  r: Partial<Pick<RoundResult, 'seq' | 'par2' | 'e2e' | 'lag'>>,
): string {
  const c = (s: CpuSplit) =>
    `CPU % loadgen ${s.loadgenPct}, writer ${s.writerPct}, broker ${s.brokerPct}, ingest ${s.ingestPct}, influxd ${s.influxdPct}, other ${s.otherPct}`;
  switch (unit) {
    case 'seq':
    case 'par2': {
      const b = r[unit]!;
      return `${b.perS} points/s in ${b.ms} ms (request p50 ${b.requestP50Ms} ms; ${c(b.cpu)})`;
    }
    case 'e2e': {
      const e = r.e2e!;
      const lag = r.lag;
      return (
        `${e.perS} points/s in ${e.ms} ms (steady ${e.steadyPerS}/s, published in ${e.publishMs} ms; ${c(e.cpu)})` +
        (lag
          ? `; lag at ${lag.ratePerS}/s: p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms (histogram ${lag.histogramP50Ms} / ${lag.histogramP99Ms} ms; writes p50 ${lag.writeP50Ms} p99 ${lag.writeP99Ms} ms; longest gap between writes ${lag.maxGapMs} ms; ${c(lag.cpu)})`
          : '')
      );
    }
  }
}

/**
 * The extra profiled round: warm-up, then PROFILE_POINTS of the heartbeats through the pipeline
 * at saturation, the broker and the ingest under --cpu-prof (whole process lifetime: start, warm
 * up and the saturated part, which takes most of the busy time).
 */
async function profileRound(context: Context, data: DataSet): Promise<ProfileSummary[]> {
  const dir = path.join(context.dir, 'profiles');
  mkdirSync(dir, { recursive: true });
  const db = 'e2e_profile';
  const p = await startPipeline(0, context, db, path.join(context.dir, 'ingest-profile'), dir);
  try {
    await warmUp(p, context, data);
    const perDevice = Math.min(P, Math.floor(PROFILE_POINTS / DEVICES));
    const sent = await publishAll(
      p.clients,
      context.devices,
      data.payloads.map((x) => x.slice(0, perDevice)),
    );
    if (sent.errors > 0) throw new Error(`profiled round: ${sent.errors} publishes failed`);
    await waitWritten(p, perDevice * DEVICES, SCRAPE_MS, 300_000, { t: [], written: [] });
  } finally {
    await stopPipeline(p);
  }
  await dropDatabase(context.influxUrl, db);
  return ['ingest-r0.cpuprofile', 'broker-r0.cpuprofile'].map((name) => {
    const summary = summarizeProfile(path.join(dir, name), 15);
    printProfile(summary);
    return summary;
  });
}

// ---- main --------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const loadAverage = os.loadavg().map((x) => Math.round(x * 100) / 100);
  if (process.env['BENCH_NO_BUILD'] !== '1') {
    execFileSync(process.execPath, [path.join(root, 'tools/build.cjs')], { stdio: 'ignore' });
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-bench-ingest-'));
  chmodSync(dir, 0o755); // the postgres system user must reach it
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const { devices, serviceToken } = makeFleet(DEVICES);
  const data = makeDataSet(devices, dir);
  const log = { info: () => undefined, warn: (m: string) => console.warn(m) };
  const pg = await startEmbeddedPostgres(path.join(dir, 'pg'), await freePort(), log);
  let influxd: Awaited<ReturnType<typeof startEmbeddedInfluxd>> | undefined;
  try {
    await seedRegistry(root, pg.url, devices, SERVICE, serviceToken);
    influxd = await startEmbeddedInfluxd({ dir: path.join(dir, 'influx') });
    const context: Context = {
      databaseUrl: pg.url,
      influxUrl: influxd.url,
      influxdPid: influxd.pid,
      devices,
      serviceToken,
      dir,
    };
    console.log(
      `ingest bench: N = ${N} heartbeats (${DEVICES} devices × ${P}), batches of ${BATCH}, ` +
        `${ROUNDS} round(s)${PROFILE_DIR ? ' (PROFILED: slower)' : ''}`,
    );
    const rows: RoundResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) rows.push(await runRound(round, context, data));
    const missed = median(rows.map((r) => r.e2e.perS / r.seq.perS)) < 0.85;
    let profile: ProfileSummary[] | undefined;
    if (PROFILE_EXTRA === '1' || (PROFILE_EXTRA === 'auto' && missed)) {
      console.log('\n(b)/(a) below 0.85: one more round, profiled (not measured)');
      profile = await profileRound(context, data);
    }
    let disk: DiskResult | undefined;
    if (DISK_DEVICES > 0) {
      console.log(`\ndisk: one day of heartbeats of ${DISK_DEVICES} dispensers, compacted`);
      disk = await measureDisk({
        dir: path.join(dir, 'disk'),
        devices: DISK_DEVICES,
        now: Date.now(),
      });
      console.log(
        `  raw ${disk.rawBytesPerDeviceDay} B + rollup ${disk.rollupBytesPerDeviceDay} B per device-day ` +
          `(${disk.rawBytesPerPoint} B per point)`,
      );
    }
    report(rows, profile, disk, {
      elapsedS: Math.round((performance.now() - started) / 1_000),
      loadAverage,
      lineBytes: data.lineBytes,
    });
  } finally {
    await influxd?.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const git = (args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: root, stdio: 'pipe' }).toString().trim();
  } catch {
    return '';
  }
};

function report(
  rows: RoundResult[],
  profile: ProfileSummary[] | undefined,
  disk: DiskResult | undefined,
  meta: { elapsedS: number; loadAverage: number[]; lineBytes: number },
): void {
  // medians over the rounds whose windows other processes left alone, if there are any
  const clean = rows.filter((r) => r.worstOtherPct <= OTHER_MAX_PCT);
  const measured = clean.length > 0 ? clean : rows;
  const m = (pick: (r: RoundResult) => number) => median(measured.map(pick));
  const lagRows = measured.filter((r) => r.lag !== undefined);
  const ml = (pick: (l: LagResult) => number) => median(lagRows.map((r) => pick(r.lag!)));
  const cpuPoints = (ms: number) => Math.round((N / ms) * 1_000);
  const summary = {
    points: N,
    baselineSeqPerS: m((r) => r.seq.perS),
    baselinePar2PerS: m((r) => r.par2.perS),
    e2ePerS: m((r) => r.e2e.perS),
    e2eSteadyPerS: m((r) => r.e2e.steadyPerS),
    e2ePublishPerS: m((r) => r.e2e.publishPerS),
    /** Headline: (b)/(a) against the baseline that writes as the ingest does, one request at a time. */
    ratio: round3(m((r) => r.e2e.perS) / m((r) => r.seq.perS)),
    ratioVsPar2: round3(m((r) => r.e2e.perS) / m((r) => r.par2.perS)),
    ratioSteady: round3(m((r) => r.e2e.steadyPerS) / m((r) => r.seq.perS)),
    ratiosByRound: rows.map((r) => round3(r.e2e.perS / r.seq.perS)),
    /** Points per CPU-second of every process involved: (a) writer + influxd, (b) all four. */
    cpuNormalised: {
      baselineSeqPointsPerCpuS: m((r) => cpuPoints(r.seq.cpu.writerMs + r.seq.cpu.influxdMs)),
      e2ePointsPerCpuS: m((r) =>
        cpuPoints(
          r.e2e.cpu.loadgenMs + r.e2e.cpu.brokerMs + r.e2e.cpu.ingestMs + r.e2e.cpu.influxdMs,
        ),
      ),
      /** (b) without the simulated devices' CPU (MQTT.js clients in the bench process). */
      e2eWithoutLoadgenPointsPerCpuS: m((r) =>
        cpuPoints(r.e2e.cpu.brokerMs + r.e2e.cpu.ingestMs + r.e2e.cpu.influxdMs),
      ),
      ratio: NaN,
      ratioWithoutLoadgen: NaN,
    },
    cpuMsPer1kPoints: {
      baselineSeq: {
        writer: round1(m((r) => (r.seq.cpu.writerMs / N) * 1_000)),
        influxd: round1(m((r) => (r.seq.cpu.influxdMs / N) * 1_000)),
      },
      e2e: {
        loadgen: m((r) => r.e2e.cpuMsPer1k.loadgen),
        broker: m((r) => r.e2e.cpuMsPer1k.broker),
        ingest: m((r) => r.e2e.cpuMsPer1k.ingest),
        influxd: m((r) => r.e2e.cpuMsPer1k.influxd),
        total: m((r) => r.e2e.cpuMsPer1k.total),
      },
    },
    e2eCpuPct: {
      loadgen: m((r) => r.e2e.cpu.loadgenPct),
      broker: m((r) => r.e2e.cpu.brokerPct),
      ingest: m((r) => r.e2e.cpu.ingestPct),
      influxd: m((r) => r.e2e.cpu.influxdPct),
      other: m((r) => r.e2e.cpu.otherPct),
    },
    baselineSeqCpuPct: {
      writer: m((r) => r.seq.cpu.writerPct),
      influxd: m((r) => r.seq.cpu.influxdPct),
      other: m((r) => r.seq.cpu.otherPct),
    },
    lag:
      lagRows.length === 0
        ? undefined
        : {
            ratePerS: ml((l) => l.ratePerS),
            p50Ms: ml((l) => l.p50Ms),
            p99Ms: ml((l) => l.p99Ms),
            histogramP50Ms: ml((l) => l.histogramP50Ms),
            histogramP99Ms: ml((l) => l.histogramP99Ms),
            writeP50Ms: ml((l) => l.writeP50Ms),
            writeP99Ms: ml((l) => l.writeP99Ms),
            maxGapMs: ml((l) => l.maxGapMs),
          },
    ingestRssMiB: {
      idle: mib(m((r) => r.ingestRss.idleKb)),
      peak: mib(m((r) => r.ingestRss.peakKb)),
      steady:
        lagRows.length === 0 ? undefined : mib(median(lagRows.map((r) => r.ingestRss.steadyKb!))),
      peakWorst: mib(Math.max(...rows.map((r) => r.ingestRss.peakKb))),
    },
    brokerRssPeakMiB: mib(m((r) => r.brokerRssPeakKb)),
    /** Share of a core the ingest spent answering our scrapes during (b). */
    scrapeOverheadPct: round1((m((r) => r.scrapeCpuMs) / SCRAPE_MS) * 100),
    /** The last round's ingest counters: orfleet_ingest_acknowledged_total should equal taken. */
    ingestCounters: rows.at(-1)!.e2e.ingestCounters,
    rounds: rows.length,
    cleanRounds: clean.length,
    worstOtherPct: Math.max(...rows.map((r) => r.worstOtherPct)),
  };
  const cn = summary.cpuNormalised;
  cn.ratio = round3(cn.e2ePointsPerCpuS / cn.baselineSeqPointsPerCpuS);
  cn.ratioWithoutLoadgen = round3(cn.e2eWithoutLoadgenPointsPerCpuS / cn.baselineSeqPointsPerCpuS);
  const goals = { ratioAtLeast085: summary.ratio >= 0.85 };

  const cores = os.cpus().length;
  const f = (x: number | undefined) =>
    x === undefined || Number.isNaN(x) ? '–' : String(Math.round(x * 10) / 10);
  console.log(
    `\nIngest: ${N} heartbeat points, batches of ${BATCH}, flush ${FLUSH_MS} ms; ${DEVICES} devices × ${INFLIGHT} in flight; ` +
      `${rows.length} round(s), median of ${measured.length}; ${cores} cores shared by everything` +
      (PROFILE_DIR ? ' (PROFILED: slower)' : '') +
      '\n',
  );
  const table: [string, string][] = [
    ['(a) InfluxDB /write, 1 request at a time: points/s', f(summary.baselineSeqPerS)],
    ['(a) InfluxDB /write, 2 concurrent requests: points/s', f(summary.baselinePar2PerS)],
    ['(b) devices → broker → ingest → InfluxDB: points/s', f(summary.e2ePerS)],
    ['(b) steady part (10%→90% of N): points/s', f(summary.e2eSteadyPerS)],
    ['(b) publishers done (last PUBACK): points/s', f(summary.e2ePublishPerS)],
    ['**(b)/(a) (goal ≥ 0.85)**', `**${summary.ratio}**`],
    ['(b)/(a 2 concurrent)', String(summary.ratioVsPar2)],
    ['(b steady)/(a)', String(summary.ratioSteady)],
    ['(b)/(a) by round', summary.ratiosByRound.join(', ')],
    ['points per CPU-second: (a) writer + influxd', f(cn.baselineSeqPointsPerCpuS)],
    ['points per CPU-second: (b) all four processes', f(cn.e2ePointsPerCpuS)],
    ['points per CPU-second: (b) broker + ingest + influxd', f(cn.e2eWithoutLoadgenPointsPerCpuS)],
    [
      'CPU-normalised (b)/(a): all / without load generator',
      `${cn.ratio} / ${cn.ratioWithoutLoadgen}`,
    ],
    [
      '(a) CPU %: writer / influxd / other',
      [
        summary.baselineSeqCpuPct.writer,
        summary.baselineSeqCpuPct.influxd,
        summary.baselineSeqCpuPct.other,
      ].join(' / '),
    ],
    [
      '(b) CPU %: load gen / broker / ingest / influxd / other',
      [
        summary.e2eCpuPct.loadgen,
        summary.e2eCpuPct.broker,
        summary.e2eCpuPct.ingest,
        summary.e2eCpuPct.influxd,
        summary.e2eCpuPct.other,
      ].join(' / '),
    ],
    [
      '(a) CPU ms per 1k points: writer / influxd',
      [summary.cpuMsPer1kPoints.baselineSeq.writer, summary.cpuMsPer1kPoints.baselineSeq.influxd]
        .map(f)
        .join(' / '),
    ],
    [
      '(b) CPU ms per 1k points: load gen / broker / ingest / influxd',
      [
        summary.cpuMsPer1kPoints.e2e.loadgen,
        summary.cpuMsPer1kPoints.e2e.broker,
        summary.cpuMsPer1kPoints.e2e.ingest,
        summary.cpuMsPer1kPoints.e2e.influxd,
      ]
        .map(f)
        .join(' / '),
    ],
    ['lag: paced rate points/s (50% of (b))', f(summary.lag?.ratePerS)],
    [
      'lag p50 / p99 ms (ours: publish → written, ± 25 ms)',
      `${f(summary.lag?.p50Ms)} / ${f(summary.lag?.p99Ms)}`,
    ],
    [
      'lag p50 / p99 ms (ingest histogram, interpolated)',
      `${f(summary.lag?.histogramP50Ms)} / ${f(summary.lag?.histogramP99Ms)}`,
    ],
    [
      'paced: InfluxDB write p50 / p99 ms (ingest histogram) / longest gap between writes ms',
      `${f(summary.lag?.writeP50Ms)} / ${f(summary.lag?.writeP99Ms)} / ${f(summary.lag?.maxGapMs)}`,
    ],
    [
      'ingest RSS MiB: idle / peak (VmHWM) / steady (paced)',
      `${f(summary.ingestRssMiB.idle)} / ${f(summary.ingestRssMiB.peak)} / ${f(summary.ingestRssMiB.steady)}`,
    ],
    ['broker RSS peak MiB', f(summary.brokerRssPeakMiB)],
    [
      'measuring: ingest CPU per /metrics scrape ms / % of a core in (b)',
      `${f(m((r) => r.scrapeCpuMs))} / ${f(summary.scrapeOverheadPct)}`,
    ],
    [
      'ingest counters (last round): heartbeats taken / acknowledged_total / written',
      [
        summary.ingestCounters.heartbeatsTaken,
        summary.ingestCounters.acknowledged,
        summary.ingestCounters.written,
      ].join(' / '),
    ],
    [
      'clean rounds / worst other CPU %',
      `${summary.cleanRounds} of ${summary.rounds} / ${summary.worstOtherPct}`,
    ],
  ];
  console.log('| figure | value |\n| --- | ---: |');
  for (const [k, v] of table) console.log(`| ${k} | ${v} |`);
  console.log('goals:', goals);
  console.log(`broker settings relaxed for the run:`, BROKER_RELAXED);

  const out =
    process.env['BENCH_OUT'] ??
    path.join(__dirname, 'results', QUICK ? 'ingest.quick.json' : 'ingest.json');
  mkdirSync(path.dirname(out), { recursive: true });
  const version = (bin: string, args: string[]) => {
    try {
      return execFileSync(bin, args, { stdio: 'pipe' }).toString().trim();
    } catch {
      return 'unknown';
    }
  };
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        bench: 'ingest',
        machine: { ...machineInfo(new Date()), influxd: version('influxd', ['version']) },
        // what was measured: built from the working tree, committed or not
        source: {
          head: git(['rev-parse', '--short', 'HEAD']),
          uncommitted: git([
            'status',
            '--porcelain',
            '--',
            'apps/ingest',
            'apps/broker',
            'libs/devices',
          ])
            .split('\n')
            .filter(Boolean),
        },
        config: {
          quick: QUICK,
          points: N,
          devices: DEVICES,
          pointsPerDevice: P,
          inflightPerDevice: INFLIGHT,
          rounds: ROUNDS,
          batchLines: BATCH,
          flushMs: FLUSH_MS,
          lineProtocolBytes: meta.lineBytes,
          warmupPoints: W,
          dist: path.relative(root, DIST),
          ingestExtraEnv: INGEST_EXTRA,
          brokerExtraEnv: BROKER_EXTRA,
          lagSeconds: LAG_S,
          lagShare: LAG_SHARE,
          scrapeMs: SCRAPE_MS,
          lagScrapeMs: LAG_SCRAPE_MS,
          otherMaxPct: OTHER_MAX_PCT,
          profiled: PROFILE_DIR !== undefined,
          brokerRelaxed: BROKER_RELAXED,
          ingestEnv: {
            ORFLEET_INGEST_BATCH_LINES: BATCH,
            ORFLEET_INGEST_FLUSH_MS: FLUSH_MS,
            ORFLEET_LOG_LEVEL: 'warn',
            other:
              'production defaults (group commit 2 ms, max inflight 10000, synchronous=FULL spool)',
          },
          baseline:
            'bench/ingest/influx-load.ts in its own process: node:http keep-alive, bodies encoded before the clock starts',
          loadGenerator: 'MQTT.js device clients in the bench process, sharing the 2 cores',
          influxdb:
            'embedded influxd (apps/ingest/src/influx/embedded-influxd.ts), wal-fsync-delay 0s; schema by setupInfluxSchema',
          loadAverageAtStart: meta.loadAverage,
          elapsedS: meta.elapsedS,
        },
        summary,
        goals,
        disk,
        profile:
          profile === undefined
            ? undefined
            : {
                note:
                  `an extra round, not measured: warm-up, then ${Math.min(N, PROFILE_POINTS)} heartbeats at saturation; ` +
                  '--cpu-prof over the whole process lifetime; self time per function and per origin (package, our app, Node, GC); ' +
                  'blocking native calls (the spool commit fsync) count as self time of their caller',
                summaries: profile,
              },
        rounds: rows,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${path.relative(process.cwd(), out)} (${meta.elapsedS} s)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
