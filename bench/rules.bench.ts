// Health-rules bench (issue #6): 100,000 registered devices heartbeating at their kinds'
// intervals, base stations sending BLE sightings in batches; 1% of the devices die at random
// times. Reports detection latency after the deadline (p50/p99/max), tickets opened against the
// kills, and the rules process's CPU and memory per tracked device. Two layers:
//   1. the pure HealthEngine in a child process on a simulated clock (bench/rules/engine-sim.ts):
//      exact latency (the tick that saw it − the deadline), heap per device after a full GC;
//   2. end to end: the compiled API (`node dist/apps/api/src/main.js`, where the rule loop runs)
//      on an embedded PostgreSQL with the fleet seeded by SQL, our broker
//      (`node dist/apps/broker/src/main.js`) and a load generator process
//      (bench/rules/loadgen.ts: one MQTT.js session per MQTT device, as itself). Latency is read
//      from the rules process's own records: the ticket's created_at − the correlation window −
//      the deadline set by the device's last message (an upper bound: the ticket is stamped when
//      its opening starts, up to one tick and the ticket queue after the decision). Memory: the
//      API's RSS after a full GC (through the inspector) with the fleet tracked, minus the same
//      with an empty registry.
// `--quick` (about 3 min): layer 2 with 10,000 devices and intervals shortened per device (the
// registry's override columns) to 2 s / 5 s / 10 s and a 10 s correlation window. Prints a table;
// writes bench/results/rules.json (`full`; a quick run writes rules.quick.json: `quick`).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { DEVICE_CATALOG, PART_CATALOG } from '@orfleet/devices';
import { startEmbeddedPostgres } from '../apps/api/src/database/embedded-postgres';
import type { SimConfig, SimResult } from './rules/engine-sim';
import { Fleet, deviceSecret, siteIdOf } from './rules/fleet';
import type { FleetConfig } from './rules/fleet';
import { gcAndMeasure, inspectorUrl } from './rules/inspector';
import type { MemoryAfterGc } from './rules/inspector';
import type { LoadgenConfig, LoadgenReport } from './rules/loadgen';
import { deadlineOf, expectedUnknown, summarize } from './rules/outcome';
import type { LatencySummary, Outcome } from './rules/outcome';
import {
  answers200,
  childrenOf,
  cpuMs,
  freePort,
  machineBusyMs,
  machineInfo,
  memoryKb,
  sleep,
  spawnService,
  TreeCpu,
} from './proc';
import type { Service } from './proc';

const QUICK = process.argv.includes('--quick');
const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}: expected an integer > 0`);
  return value;
};
const SEED = envInt('BENCH_RULES_SEED', 6);
/** Devices of layer 2 (a multiple of 1,000). */
const DEVICES = envInt('BENCH_RULES_DEVICES', QUICK ? 10_000 : 100_000);
/** Devices of layer 1 (the engine alone; always catalog intervals). */
const ENGINE_DEVICES = envInt('BENCH_RULES_ENGINE_DEVICES', 100_000);
/** The rule loop's tick (ORFLEET_HEALTH_TICK_MS, its default). */
const TICK_MS = 250;
/**
 * Liveness runs on the API's arrival time, not the device's `ts` (a device's clock may be off),
 * so a missing device's state_since is its last message's `ts` + span + that message's delivery.
 * A deadline later than this after the `ts` + span is a mismatch: a deadline moved by the span,
 * the interval, the warm-up or the registry refresh's minute is off by seconds or more.
 */
const DELIVERY_BOUND_MS = 1_000;
const CORRELATION_MS = QUICK ? 10_000 : 60_000;
/** Settling time of the idle API before its baseline memory is taken. */
const BASELINE_SETTLE_MS = QUICK ? 5_000 : 10_000;
/** Steady-state CPU is measured from this long after the load starts. */
const WARM_MS = QUICK ? 5_000 : 30_000;
const root = path.resolve(__dirname, '..');
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

const E2E_FLEET: FleetConfig = {
  devices: DEVICES,
  quick: QUICK,
  seed: SEED,
  killShare: 0.01,
  // after every tag has been sighted once (tags: 60 s, quick 10 s)
  killStartMs: QUICK ? 12_000 : 60_000,
  killWindowMs: QUICK ? 10_000 : 60_000,
};

const ENGINE_SIM: SimConfig = {
  devices: ENGINE_DEVICES,
  quick: false,
  seed: SEED,
  killShare: 0.01,
  killStartMs: 60_000,
  killWindowMs: 120_000,
  tickMs: TICK_MS,
  correlationMs: 60_000,
  snapshotMs: 5_000,
};

// ---- layer 1 ------------------------------------------------------------------------------

function runEngineLayer(): SimResult {
  // a fresh process (tsx's loader, as this one) with --expose-gc: its heap holds only the engine
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, '--expose-gc', path.join(__dirname, 'rules/engine-sim.ts')],
    {
      env: { ...process.env, BENCH_RULES_SIM: JSON.stringify(ENGINE_SIM) },
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1_048_576,
    },
  ).toString();
  return JSON.parse(out.trim().split('\n').at(-1) ?? '') as SimResult;
}

// ---- layer 2: set-up ------------------------------------------------------------------------

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The child environment: ours, without any orfleet setting a developer may have exported. */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('ORFLEET_') && k !== 'REDIS_URL' && k !== 'DATABASE_URL',
    ),
  );
}

/**
 * Builds dist/ from the working tree and runs a private copy of it (under tmp/, so packages
 * still resolve from node_modules): another bench rebuilding dist/ meanwhile cannot pull files
 * from under our processes.
 */
function buildSnapshot(): string {
  execFileSync(process.execPath, [path.join(root, 'tools/build.cjs')], { stdio: 'ignore' });
  const dir = path.join(root, 'tmp', `rules-bench-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  for (const main of ['apps/api/src/main.js', 'apps/broker/src/main.js']) {
    if (!existsSync(path.join(dir, 'dist', main))) throw new Error(`build: no dist/${main}`);
  }
  return dir;
}

/** Sites, parts, stores and stock: a missing-device ticket reserves its replacement part. */
async function seedReference(db: Client, fleet: Fleet): Promise<void> {
  const sites = Array.from({ length: fleet.sites }, (_, s) => siteIdOf(s));
  await db.query(
    `INSERT INTO site (id, name, zone, timezone, region, created_by, updated_by)
     SELECT s, 'Bench hospital ' || s, 'city', 'UTC', 'east', 'bench', 'bench' FROM unnest($1::text[]) AS s`,
    [sites],
  );
  const parts = Object.values(PART_CATALOG);
  await db.query(
    `INSERT INTO part (part_number, name, class, default_tier, created_by)
     SELECT p, n, 'special', t, 'bench' FROM unnest($1::text[], $2::text[], $3::text[]) AS x(p, n, t)`,
    [parts.map((p) => p.partNumber), parts.map((p) => p.name), parts.map((p) => p.defaultTier)],
  );
  await db.query(
    `INSERT INTO store (id, name, tier, site_id, region, created_by)
     SELECT 'h-' || s, 'Hospital store ' || s, 'hospital', s, NULL, 'bench' FROM unnest($1::text[]) AS s`,
    [sites],
  );
  await db.query(`INSERT INTO store (id, name, tier, site_id, region, created_by) VALUES
                  ('r-east', 'Regional east', 'regional', NULL, 'east', 'bench'),
                  ('national', 'National', 'national', NULL, NULL, 'bench')`);
  await db.query(
    `INSERT INTO stock (part_number, store_id, on_hand, reserved)
     SELECT p, 'r-east', 1000000, 0 FROM unnest($1::text[]) AS p`,
    [parts.map((p) => p.partNumber)],
  );
}

/** The fleet in the registry, as a bulk import would put it (secrets' hashes, overrides). */
async function seedDevices(db: Client, fleet: Fleet, salt: string): Promise<void> {
  const mqtt = (i: number) => DEVICE_CATALOG[fleet.kinds[i]!].transport === 'mqtt';
  const unusable = sha256(randomBytes(16).toString('hex')); // BLE tags hold no MQTT session
  for (let from = 0; from < fleet.size; from += 50_000) {
    const index = Array.from({ length: Math.min(50_000, fleet.size - from) }, (_, k) => from + k);
    await db.query(
      `INSERT INTO device (id, kind, model, serial, site_id, install_date, warranty_end,
                           secret_sha256, heartbeat_interval_s, created_by, updated_by)
       SELECT d.id, d.kind, 'M-1', 'SN-' || d.id, d.site, '2026-01-01', '2031-01-01', d.sha,
              NULLIF(d.interval_s, 0), 'bench', 'bench'
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])
              AS d(id, kind, site, sha, interval_s)`,
      [
        index.map((i) => fleet.ids[i]!),
        index.map((i) => fleet.kinds[i]!),
        index.map((i) => siteIdOf(fleet.site[i]!)),
        index.map((i) => (mqtt(i) ? sha256(deviceSecret(salt, fleet.ids[i]!)) : unusable)),
        index.map((i) => fleet.overrideS[i]!),
      ],
    );
  }
  await db.query('ANALYZE');
}

function startBroker(dist: string, databaseUrl: string): Promise<Service & { port: number }> {
  let port = 0;
  return spawnService(
    'broker',
    process.execPath,
    [path.join(dist, 'apps/broker/src/main.js')],
    {
      ...baseEnv(),
      DATABASE_URL: databaseUrl,
      ORFLEET_BROKER_PORT: '0',
      ORFLEET_BROKER_WS_PORT: 'off',
      ORFLEET_BROKER_OPS_PORT: '0',
      ORFLEET_LOG_LEVEL: 'info',
    },
    async (out) => {
      const m = /MQTT on [\d.]+:(\d+).*health and metrics on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (!m) return false;
      port = Number(m[1]);
      return answers200(`${m[2]}/readyz`);
    },
  ).then((s) => ({ ...s, port }));
}

const HEALTH_FAILED = /health action \w+ failed|snapshot failed|health rules failed/;

/** The API as `npm start` runs it, with the rule loop on, inspectable (for a full GC). */
async function startApi(
  dist: string,
  databaseUrl: string,
  brokerPort: number,
  tracked: number,
): Promise<Service & { inspector: string; readyMs: number; atReady: MemoryKb }> {
  const port = await freePort();
  const t = performance.now();
  const api = await spawnService(
    'api',
    process.execPath,
    ['--inspect=127.0.0.1:0', path.join(dist, 'apps/api/src/main.js')],
    {
      ...baseEnv(),
      DATABASE_URL: databaseUrl,
      ORFLEET_API_PORT: String(port),
      ORFLEET_LOG_LEVEL: 'info',
      ORFLEET_HEALTH_ENABLED: 'true',
      ORFLEET_HEALTH_MQTT_URL: `mqtt://127.0.0.1:${brokerPort}`,
      ORFLEET_HEALTH_TICK_MS: String(TICK_MS),
      ORFLEET_HEALTH_CORRELATION_MS: String(CORRELATION_MS),
    },
    async (out) =>
      out.includes(`health rules running: ${tracked} devices tracked`) &&
      out.includes('health rules listening on') &&
      answers200(`http://127.0.0.1:${port}/readyz`),
    { timeoutMs: 120_000, watch: [HEALTH_FAILED] },
  );
  const inspector = inspectorUrl(api.output());
  if (inspector === undefined) throw new Error(`api: no inspector URL in\n${api.output()}`);
  return {
    ...api,
    inspector,
    readyMs: Math.round(performance.now() - t),
    atReady: memoryKb(api.pid),
  };
}

// ---- layer 2: the run -----------------------------------------------------------------------

type MemoryKb = ReturnType<typeof memoryKb>;

interface Sample {
  readonly at: number;
  readonly api: number;
  readonly apiRssKb: number;
  readonly broker: number;
  readonly pg: number;
  readonly loadgen: number;
  readonly own: number;
  readonly machine: number;
}

interface CpuWindow {
  readonly seconds: number;
  /** % of one core. */
  readonly rulesApi: number;
  readonly broker: number;
  readonly postgres: number;
  readonly loadgen: number;
  readonly benchOrchestrator: number;
  /** Everything else on the machine (other sessions' work): over ~25% the figures are skewed. */
  readonly otherProcesses: number;
}

function cpuWindow(samples: readonly Sample[], from: number, to: number): CpuWindow {
  const inside = samples.filter((s) => s.at >= from && s.at <= to);
  const a = inside[0];
  const b = inside.at(-1);
  if (a === undefined || b === undefined || b.at === a.at) throw new Error('empty CPU window');
  const wall = b.at - a.at;
  const pct = (pick: (s: Sample) => number) => round(((pick(b) - pick(a)) / wall) * 100);
  const ours = (s: Sample) => s.api + s.broker + s.pg + s.loadgen + s.own;
  return {
    seconds: round(wall / 1_000),
    rulesApi: pct((s) => s.api),
    broker: pct((s) => s.broker),
    postgres: pct((s) => s.pg),
    loadgen: pct((s) => s.loadgen),
    benchOrchestrator: pct((s) => s.own),
    otherProcesses: Math.max(
      0,
      pct((s) => s.machine - ours(s)),
    ),
  };
}

interface MiB {
  readonly rss: number;
  readonly hwm: number;
}

const mib = (m: MemoryKb): MiB => ({ rss: round(m.rssKb / 1_024), hwm: round(m.hwmKb / 1_024) });

interface EndToEnd {
  readonly devices: number;
  readonly mqttSessions: number;
  readonly sites: number;
  readonly intervals: string;
  readonly correlationMs: number;
  readonly killWindowS: readonly [number, number];
  readonly connectMs: number;
  readonly apiReadyMs: number;
  readonly messagesPerS: number;
  readonly tagSightingsPerS: number;
  readonly loadgen: Omit<LoadgenReport, 'event' | 'killed'>;
  /** Ticket created_at − correlation window − deadline (upper bound of detection latency). */
  readonly detectionLatency: LatencySummary;
  /** Ticket created_at − deadline. */
  readonly ticketLatency: LatencySummary;
  /**
   * Deadline the engine recorded (device_health.state_since) before the one the device's last
   * message set, or more than DELIVERY_BOUND_MS after it: a last message lost, or a deadline
   * moved by something else (a re-applied registry row, the span, the warm-up).
   */
  readonly deadlineMismatches: number;
  /**
   * state_since − (the last message's `ts` + span): the engine counts from when the message
   * reached it, so this is that message's delivery (loadgen → broker → API), never negative.
   */
  readonly sinceAfterDeadline: LatencySummary;
  readonly outcome: Outcome;
  readonly healthErrorsLogged: number;
  readonly cpu: { readonly steady: CpuWindow; readonly wholeRun: CpuWindow };
  readonly rulesCpuMsPerMinute: number;
  readonly rulesCpuUsPerDevicePerMinute: number;
  readonly memory: {
    readonly baseline: MemoryAfterGc & { readonly tracked: 0 };
    readonly loaded: MemoryAfterGc & { readonly tracked: number };
    readonly rssBytesPerDevice: number;
    readonly heapBytesPerDevice: number;
    /** Without a GC: the highest RSS while running (VmHWM) minus the baseline's, per device. */
    readonly peakRssBytesPerDevice: number;
    /** RSS and its high-water mark right after start (registry loaded, no load yet), MiB. */
    readonly atReadyMiB: { readonly baseline: MiB; readonly loaded: MiB };
    /** RSS sampled each second in the steady window (no GC forced), MiB. */
    readonly steadySampledRssMiB: { readonly median: number; readonly max: number };
  };
  /** device_health rows the snapshots upserted per second (every device heard is rewritten). */
  readonly snapshotRowsPerS: number;
  readonly postgresBackends: number;
  readonly timelineS: Record<string, number>;
}

async function runEndToEnd(): Promise<EndToEnd> {
  const started = Date.now();
  const timeline: Record<string, number> = {};
  const mark = (name: string) => {
    timeline[name] = round((Date.now() - started) / 1_000);
  };
  const fleet = new Fleet(E2E_FLEET);
  const salt = randomBytes(16).toString('hex');
  const snapshot = buildSnapshot();
  const dist = path.join(snapshot, 'dist');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-bench-rules-'));
  chmodSync(dir, 0o755); // the postgres system user must reach it
  const log = { info: () => undefined, warn: (m: string) => console.warn(m) };
  const pgDir = path.join(dir, 'pg');
  const pg = await startEmbeddedPostgres(pgDir, await freePort(), log);
  const postmaster = Number(
    readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  const services: Service[] = [];
  const db = new Client({ connectionString: pg.url });
  try {
    mark('postgres');
    execFileSync(process.execPath, [path.join(dist, 'apps/api/src/database/migrate.cli.js')], {
      env: { ...baseEnv(), DATABASE_URL: pg.url, ORFLEET_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    await db.connect();
    await seedReference(db, fleet);
    const broker = await startBroker(dist, pg.url);
    services.push(broker);
    mark('broker');

    // baseline: the same API, leading the rule loop, with nothing to track
    const idle = await startApi(dist, pg.url, broker.port, 0);
    await sleep(BASELINE_SETTLE_MS);
    const baseline = { ...(await gcAndMeasure(idle.inspector)), tracked: 0 as const };
    const baselineHwmKb = memoryKb(idle.pid).hwmKb;
    await idle.stop();
    mark('baseline');

    await seedDevices(db, fleet, salt);
    mark('seeded');
    const api = await startApi(dist, pg.url, broker.port, fleet.size);
    const apiReadyAt = Date.now();
    services.push(api);
    mark('api');

    const config: LoadgenConfig = { fleet: E2E_FLEET, port: broker.port, salt, concurrency: 100 };
    let t0 = 0;
    let connectMs = 0;
    const loadgen = await spawnService(
      'loadgen',
      process.execPath,
      [...process.execArgv, path.join(__dirname, 'rules/loadgen.ts')],
      { ...process.env, BENCH_RULES_LOADGEN: JSON.stringify(config) },
      (out) => {
        if (out.includes('"event":"error"')) throw new Error(`loadgen: ${out}`);
        const m = /"event":"publishing","t0":(\d+)/.exec(out);
        if (m === null) return false;
        t0 = Number(m[1]);
        connectMs = Number(/"event":"connected","clients":\d+,"ms":(\d+)/.exec(out)?.[1]);
        return true;
      },
      { timeoutMs: 300_000, stdin: true },
    );
    services.push(loadgen);
    mark('publishing');

    const pgCpu = new TreeCpu(postmaster);
    const samples: Sample[] = [];
    const own0 = process.cpuUsage();
    const sample = () =>
      samples.push({
        at: Date.now(),
        api: cpuMs(api.pid),
        apiRssKb: memoryKb(api.pid).rssKb,
        broker: cpuMs(broker.pid),
        pg: pgCpu.totalMs(),
        loadgen: cpuMs(loadgen.pid),
        own: ((u) => (u.user + u.system) / 1_000)(process.cpuUsage(own0)),
        machine: machineBusyMs(),
      });
    sample();
    const sampler = setInterval(sample, 1_000);
    const until = async (at: number) => {
      while (Date.now() < at) await sleep(Math.min(1_000, at - Date.now()));
    };
    try {
      // every kill has happened (a dead device's later messages are never sent): the report
      // holds each killed device's last message, so its deadline
      await until(t0 + E2E_FLEET.killStartMs + E2E_FLEET.killWindowMs + 1_000);
      const reported = new Promise<LoadgenReport>((resolve) => {
        const onData = () => {
          const line = loadgen
            .output()
            .split('\n')
            .find((l) => l.includes('"event":"report"'));
          if (line === undefined) return;
          loadgen.child.stdout?.off('data', onData);
          resolve(JSON.parse(line) as LoadgenReport);
        };
        loadgen.child.stdout?.on('data', onData);
      });
      loadgen.child.stdin?.write('report\n');
      const report = await reported;
      for (const k of report.killed) {
        fleet.lastSent[k.index] = k.lastSent;
        fleet.lastStation[k.index] = k.lastStation;
      }
      const lastDeadline = Math.max(...fleet.killed.map((d) => deadlineOf(fleet, d)));
      mark('killsDone');
      // the last decision: its deadline + a tick, the correlation window + a tick, and the
      // ticket queue; then as long again for anything unexpected to show
      await until(lastDeadline + CORRELATION_MS + 2 * TICK_MS + (QUICK ? 5_000 : 10_000));
      mark('decided');
      const tracking = samples.at(-1)!.at;
      // the final state
      const tickets = (
        await db.query<{ fingerprint: string; device_id: string | null; created_at: Date }>(
          `SELECT fingerprint, device_id, created_at FROM ticket WHERE source = 'health-rule'`,
        )
      ).rows;
      const health = new Map(
        (
          await db.query<{ device_id: string; state: string; since: number }>(
            `SELECT device_id, state, (extract(epoch FROM state_since) * 1000)::float8 AS since
               FROM device_health WHERE device_id = ANY($1)`,
            [fleet.killed.map((d) => fleet.ids[d]!)],
          )
        ).rows.map((r) => [r.device_id, r]),
      );
      const snapshotRows =
        (
          await db.query<{ n: number }>(
            `SELECT (n_tup_ins + n_tup_upd)::float8 AS n FROM pg_stat_user_tables WHERE relname = 'device_health'`,
          )
        ).rows[0]?.n ?? NaN;
      const snapshotSeconds = (Date.now() - apiReadyAt) / 1_000;
      const loaded = { ...(await gcAndMeasure(api.inspector)), tracked: fleet.size };
      const peakKb = memoryKb(api.pid).hwmKb;
      const postgresBackends = childrenOf(postmaster).length;
      clearInterval(sampler);

      // ---- figures ----
      const indexOf = new Map(fleet.ids.map((id, i) => [id, i]));
      const own = new Map<number, number>();
      let falseTickets = 0;
      const kinds = { site: 0, platform: 0, other: 0 };
      for (const t of tickets) {
        const [rule] = t.fingerprint.split(':');
        if (rule === 'missing') {
          const d = indexOf.get(t.device_id ?? '');
          if (d === undefined || fleet.killAt[d] === Infinity) falseTickets++;
          else own.set(d, t.created_at.getTime());
        } else if (rule === 'site') kinds.site++;
        else if (rule === 'platform') kinds.platform++;
        else kinds.other++;
      }
      const detection: number[] = [];
      const decision: number[] = [];
      let mismatches = 0;
      const sinceAfterDeadline: number[] = [];
      let unknown = 0;
      let unknownExpected = 0;
      let unaccounted = 0;
      for (const d of fleet.killed) {
        const deadline = deadlineOf(fleet, d);
        const row = health.get(fleet.ids[d]!);
        if (row !== undefined && row.state !== 'ok') {
          const after = row.since - deadline;
          sinceAfterDeadline.push(after);
          if (after < -1 || after > DELIVERY_BOUND_MS) mismatches++;
        }
        const opened = own.get(d);
        if (opened !== undefined) {
          decision.push(opened - deadline);
          detection.push(opened - CORRELATION_MS - deadline);
        } else if (row?.state === 'unknown') {
          unknown++;
          if (expectedUnknown(fleet, d)) unknownExpected++;
        } else unaccounted++;
      }
      const outcome: Outcome = {
        killed: fleet.killed.length,
        ownTickets: own.size,
        unknownBehindMissingStation: unknown,
        unknownExpected,
        // a site ticket lists its devices; none is expected at 1% (30% of a site is a storm)
        inSiteTicket: 0,
        unaccounted,
        falseTickets,
        siteTickets: kinds.site,
        platformTickets: kinds.platform,
        otherTickets: kinds.other,
        ticketsMatch:
          own.size === fleet.killed.length - unknown &&
          unknown === unknownExpected &&
          falseTickets + kinds.site + kinds.platform + kinds.other === 0,
      };
      const steadyEnd = t0 + steadyEndMs(fleet);
      const steady = cpuWindow(samples, t0 + WARM_MS, steadyEnd);
      const steadyRss = samples
        .filter((x) => x.at >= t0 + WARM_MS && x.at <= steadyEnd)
        .map((x) => x.apiRssKb / 1_024)
        .sort((a, b) => a - b);
      const wholeRun = cpuWindow(samples, t0, tracking);
      const loadgenFigures = {
        elapsedMs: report.elapsedMs,
        published: report.published,
        acked: report.acked,
        publishErrors: report.publishErrors,
        tagSightings: report.tagSightings,
        lagP99Ms: report.lagP99Ms,
        lagMaxMs: report.lagMaxMs,
        disconnects: report.disconnects,
      };
      const rulesCpuMsPerMinute = round((steady.rulesApi / 100) * 60_000);
      return {
        devices: fleet.size,
        mqttSessions: fleet.publishers.length,
        sites: fleet.sites,
        intervals: QUICK
          ? 'quick: per-device overrides 2 s × 3 (base stations), 5 s × 3 (MQTT), 10 s × 5 (BLE)'
          : 'catalog: 10 s × 3 (base stations), 30 s × 3 (MQTT), 60 s × 5 (BLE)',
        correlationMs: CORRELATION_MS,
        killWindowS: [
          E2E_FLEET.killStartMs / 1_000,
          (E2E_FLEET.killStartMs + E2E_FLEET.killWindowMs) / 1_000,
        ],
        connectMs,
        apiReadyMs: api.readyMs,
        messagesPerS: round((report.published / report.elapsedMs) * 1_000),
        tagSightingsPerS: round((report.tagSightings / report.elapsedMs) * 1_000),
        loadgen: loadgenFigures,
        detectionLatency: summarize(detection),
        ticketLatency: summarize(decision),
        deadlineMismatches: mismatches,
        sinceAfterDeadline: summarize(sinceAfterDeadline),
        outcome,
        healthErrorsLogged: api.count(HEALTH_FAILED),
        cpu: { steady, wholeRun },
        rulesCpuMsPerMinute,
        rulesCpuUsPerDevicePerMinute: round((rulesCpuMsPerMinute * 1_000) / fleet.size, 2),
        memory: {
          baseline,
          loaded,
          rssBytesPerDevice: Math.round((loaded.rss - baseline.rss) / fleet.size),
          heapBytesPerDevice: Math.round((loaded.heapUsed - baseline.heapUsed) / fleet.size),
          peakRssBytesPerDevice: Math.round(((peakKb - baselineHwmKb) * 1_024) / fleet.size),
          atReadyMiB: { baseline: mib(idle.atReady), loaded: mib(api.atReady) },
          steadySampledRssMiB: {
            median: round(steadyRss[Math.floor(steadyRss.length / 2)] ?? NaN),
            max: round(steadyRss.at(-1) ?? NaN),
          },
        },
        snapshotRowsPerS: round(snapshotRows / snapshotSeconds),
        postgresBackends,
        timelineS: timeline,
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    for (const s of services.reverse()) await s.stop().catch(() => undefined);
    await db.end().catch(() => undefined);
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(snapshot, { recursive: true, force: true });
  }
}

/** The earliest moment a ticket can open: the load is pure tracking until then. */
function steadyEndMs(fleet: Fleet): number {
  let soonest = Infinity;
  for (const d of fleet.killed) {
    // a device killed at k sent its last message after k − interval: deadline > k − interval + span
    soonest = Math.min(
      soonest,
      fleet.killAt[d]! - fleet.intervalMs[d]! + fleet.spanMs[d]! + CORRELATION_MS,
    );
  }
  return soonest - 2_000;
}

// ---- report -------------------------------------------------------------------------------

const git = (args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: root, stdio: 'pipe' }).toString().trim();
  } catch {
    return '';
  }
};

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadAverage = os.loadavg().map((x) => round(x, 2));
  console.log(`layer 1: the engine alone, ${ENGINE_DEVICES} devices, simulated clock`);
  const engine = runEngineLayer();
  console.log(
    `  detection p50/p99/max ${engine.detectionLatency.p50Ms}/${engine.detectionLatency.p99Ms}/${engine.detectionLatency.maxMs} ms, ` +
      `${engine.memory.heapBytesPerDeviceSteady} B/device, tickets ${engine.outcome.ownTickets} of ${engine.outcome.killed} killed`,
  );
  console.log(`layer 2: end to end, ${DEVICES} devices${QUICK ? ' (quick)' : ''}`);
  const e2e = await runEndToEnd();
  const elapsedS = Math.round((Date.now() - startedAt) / 1_000);

  const goals = {
    engineP99Le2s: engine.detectionLatency.p99Ms <= 2_000,
    endToEndP99Le2s: e2e.detectionLatency.p99Ms <= 2_000,
    engineLe1KiBPerDevice: engine.memory.heapBytesPerDeviceSteady <= 1_024,
    endToEndRssLe1KiBPerDevice: e2e.memory.rssBytesPerDevice <= 1_024,
    engineTicketsMatch: engine.outcome.ticketsMatch,
    endToEndTicketsMatch: e2e.outcome.ticketsMatch,
  };

  const l = (x: LatencySummary) => `${x.p50Ms} / ${x.p99Ms} / ${x.maxMs}`;
  const o = (x: Outcome) =>
    `${x.ownTickets} = ${x.killed} killed − ${x.unknownBehindMissingStation} unknown (expected ${x.unknownExpected}) − ${x.inSiteTicket} in site tickets; unaccounted ${x.unaccounted}, false ${x.falseTickets}, site/platform/other ${x.siteTickets}/${x.platformTickets}/${x.otherTickets}`;
  console.log(
    `\nHealth rules: ${ENGINE_DEVICES} devices (engine), ${DEVICES} devices end to end` +
      `${QUICK ? ' (quick)' : ''}; 1% killed at random times; ${os.cpus().length} cores\n`,
  );
  console.log('| figure | engine (simulated clock) | end to end (broker + API + PostgreSQL) |');
  console.log('| --- | --- | --- |');
  console.log(
    `| detection latency after deadline p50 / p99 / max ms | ${l(engine.detectionLatency)} | ${l(e2e.detectionLatency)} (upper bound) |`,
  );
  console.log(
    `| ticket after deadline p50 / p99 / max ms (correlation ${ENGINE_SIM.correlationMs / 1_000} s / ${CORRELATION_MS / 1_000} s) | ${l(engine.ticketLatency)} | ${l(e2e.ticketLatency)} |`,
  );
  console.log(`| tickets | ${o(engine.outcome)} | ${o(e2e.outcome)} |`);
  console.log(
    `| memory per tracked device | ${engine.memory.heapBytesPerDeviceSteady} B heap | ${e2e.memory.rssBytesPerDevice} B RSS, ${e2e.memory.heapBytesPerDevice} B heap (after GC); peak RSS ${e2e.memory.peakRssBytesPerDevice} B |`,
  );
  console.log(
    `| rules CPU | ${engine.cpu.engineCorePct}% of a core (${engine.cpu.engineMsPerSimMinute} ms per minute) | ${e2e.cpu.steady.rulesApi}% of a core (${e2e.rulesCpuMsPerMinute} ms per minute, ${e2e.rulesCpuUsPerDevicePerMinute} µs per device-minute) |`,
  );
  console.log(
    `| load | ${round(engine.messages / engine.simulatedS)} msg/s, ${round(engine.tagSightings / engine.simulatedS)} tag sightings/s | ${e2e.messagesPerS} msg/s, ${e2e.tagSightingsPerS} tag sightings/s over ${e2e.mqttSessions} MQTT sessions |`,
  );
  const c = e2e.cpu.steady;
  console.log(
    `\nsteady state (${c.seconds} s), % of one core: API (rules) ${c.rulesApi}, broker ${c.broker}, PostgreSQL ${c.postgres}, load generator ${c.loadgen}, bench ${c.benchOrchestrator}, other processes ${c.otherProcesses}`,
  );
  console.log(
    `deadline mismatches ${e2e.deadlineMismatches} (state_since − last ts − span p50/p99/max ${e2e.sinceAfterDeadline.p50Ms}/${e2e.sinceAfterDeadline.p99Ms}/${e2e.sinceAfterDeadline.maxMs} ms, the last message's delivery), health errors logged ${e2e.healthErrorsLogged}, publish errors ${e2e.loadgen.publishErrors}, loadgen lag p99/max ${e2e.loadgen.lagP99Ms}/${e2e.loadgen.lagMaxMs} ms`,
  );
  const m = e2e.memory;
  const toMiB = (bytes: number) => round(bytes / 1_048_576);
  console.log(
    `API memory MiB: after a full GC ${toMiB(m.baseline.rss)} RSS / ${toMiB(m.baseline.heapUsed)} heap with 0 devices, ` +
      `${toMiB(m.loaded.rss)} / ${toMiB(m.loaded.heapUsed)} with ${m.loaded.tracked}; right after start (RSS / high-water) ` +
      `${m.atReadyMiB.baseline.rss} / ${m.atReadyMiB.baseline.hwm} and ${m.atReadyMiB.loaded.rss} / ${m.atReadyMiB.loaded.hwm}; ` +
      `sampled in the steady window median ${m.steadySampledRssMiB.median}, max ${m.steadySampledRssMiB.max}`,
  );
  console.log(
    `snapshots: ${e2e.snapshotRowsPerS} device_health rows upserted per second (${e2e.postgresBackends} PostgreSQL backends)`,
  );
  console.log('goals:', goals);

  // a quick run never replaces the full figures
  const out = path.join(__dirname, 'results', QUICK ? 'rules.quick.json' : 'rules.json');
  mkdirSync(path.dirname(out), { recursive: true });
  const run = {
    at: new Date(startedAt).toISOString(),
    elapsedS,
    machine: {
      ...machineInfo(new Date()),
      loadAverageAtStart: loadAverage,
    },
    source: {
      head: git(['rev-parse', '--short', 'HEAD']),
      uncommitted: git(['status', '--porcelain', '--', 'apps', 'libs']).split('\n').filter(Boolean),
    },
    config: {
      seed: SEED,
      tickMs: TICK_MS,
      engine: ENGINE_SIM,
      endToEnd: { ...E2E_FLEET, correlationMs: CORRELATION_MS, warmMs: WARM_MS },
    },
    engine,
    endToEnd: e2e,
    goals,
    deviations: [
      'PDAs (300 s × 3: missing after 15 min) are not in the fleet: no run could wait for them.',
      'A killed base station hands its tags to the next live station of its site (overlapping coverage); tags it carried last that die before it is missed are `unknown` by design.',
      'End-to-end latency is an upper bound: ticket created_at − correlation window − deadline (the engine decides a ticket one window after it sees a device missing; created_at is stamped when TicketsService starts opening it).',
      'The API runs with --inspect=127.0.0.1:0 so the bench can force a full GC before reading its memory.',
      "Rules-process CPU and RSS are the whole API process's (the rule loop runs in it; HTTP idle, SLA scheduler on, defaults otherwise).",
      'RSS per device is measured after a full GC (what the process holds); without a GC the RSS also carries garbage not yet collected: `peakRssBytesPerDevice` (the high-water mark, from the registry load at start) is reported beside it.',
      'One MQTT.js session per MQTT device, authenticated as itself (no multiplexing: a service account may publish commands only); the devices of a site connect from their own loopback address (127.0.x.y), as a hospital behind its NAT.',
      ...(QUICK
        ? [
            'Quick: 10,000 devices, intervals shortened per device through the registry overrides (2 s / 5 s / 10 s), correlation window 10 s.',
          ]
        : []),
    ],
  };
  writeFileSync(
    out,
    `${JSON.stringify({ bench: 'rules', [QUICK ? 'quick' : 'full']: run }, null, 2)}\n`,
  );
  console.log(`wrote ${path.relative(process.cwd(), out)} (${QUICK ? 'quick' : 'full'})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
