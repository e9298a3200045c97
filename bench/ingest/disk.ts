// Disk per device-day in InfluxDB 1.x (the sizing section of docs/performance.md): one simulated
// day of heartbeats for `devices` gown dispensers at their catalog interval, with the jitter and
// drifting values real devices send, turned into points by the ingest's own mapping
// (decodeMessage + toLines), written to a private influxd with the ingest's schema, the 1-minute
// rollup computed as the continuous query would, then left to compact. What is measured: bytes
// of data/<db>/<rp> (TSM files and index) per device, per retention policy.
//
// The private influxd snapshots its cache and fully compacts a shard after 1 s without writes
// (INFLUXDB_DATA_* overrides of the generated config): production does the same after its
// defaults (10 min, 4 h); the bytes on disk at rest are what sizing needs.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEVICE_CATALOG, buildTopic, decodeMessage, toLines } from '@orfleet/devices';
import { influxdConfig } from '../../apps/ingest/src/influx/embedded-influxd';
import { backfillRollup, setupInfluxSchema } from '../../apps/ingest/src/influx/influx-schema';
import { InfluxHttp } from '../../apps/ingest/src/influx/influx-http';
import { RAW_RP, ROLLUP_RP } from '../../apps/ingest/src/influx/influx-schema.rules';
import { freePort, sleep, spawnService } from '../proc';

export interface DiskResult {
  readonly kind: string;
  readonly devices: number;
  readonly heartbeatIntervalS: number;
  readonly pointsPerDeviceDay: number;
  readonly points: number;
  readonly lineProtocolBytes: number;
  /** Bytes of data/<db>/raw after compaction, per device and day of heartbeats. */
  readonly rawBytesPerDeviceDay: number;
  /** Bytes of data/<db>/rollup_1m (1-minute means) per device and day. */
  readonly rollupBytesPerDeviceDay: number;
  readonly rawBytesPerPoint: number;
  /** Seconds influxd took to snapshot and compact once the writes ended. */
  readonly settleS: number;
  readonly tsmFiles: number;
}

const DAY_MS = 86_400_000;
const DB = 'disk';
const KIND = 'gown_dispenser';

/** Deterministic PRNG (mulberry32): the same day of values on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One day of heartbeats per device, as line protocol the ingest would write. */
function dayOfLines(devices: number, dayStart: number, seed: number): string[] {
  const intervalMs = DEVICE_CATALOG[KIND].heartbeatIntervalS * 1_000;
  const rnd = random(seed);
  const lines: string[] = [];
  for (let d = 0; d < devices; d++) {
    const address = { siteId: 'st-disk', kind: KIND, deviceId: `gd-disk-${d}` } as const;
    const topic = buildTopic(address, 'heartbeat');
    let battery = 100 - rnd() * 30;
    let rssi = -45 - rnd() * 30;
    let temp = 34 + rnd() * 4;
    let seq = 1;
    // a heartbeat every interval ± 10 % (device timers drift), device clock in ms
    for (let ts = dayStart + Math.floor(rnd() * intervalMs); ts < dayStart + DAY_MS;) {
      battery = Math.max(0, battery - rnd() * 0.002);
      rssi = Math.min(-30, Math.max(-90, rssi + (rnd() - 0.5) * 4));
      temp = Math.min(45, Math.max(25, temp + (rnd() - 0.5) * 0.4));
      const payload = JSON.stringify({
        ts,
        seq,
        fw: '2.3.1',
        uptime_s: Math.floor((ts - dayStart) / 1_000) + 3_600,
        battery_pct: Math.round(battery),
        rssi_dbm: Math.round(rssi),
        temp_c: Math.round(temp * 10) / 10,
      });
      const decoded = decodeMessage(topic, payload, ts);
      if (!decoded.ok) throw new Error(`disk bench heartbeat invalid: ${JSON.stringify(decoded)}`);
      lines.push(...toLines(decoded.message));
      seq++;
      ts += Math.round(intervalMs * (0.9 + rnd() * 0.2));
    }
  }
  return lines;
}

function sizeOf(dir: string): { bytes: number; tsm: number } {
  let bytes = 0;
  let tsm = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return { bytes, tsm };
  }
  for (const name of entries) {
    const full = path.join(dir, name);
    const stat = statSync(full);
    if (stat.isDirectory()) {
      const inner = sizeOf(full);
      bytes += inner.bytes;
      tsm += inner.tsm;
    } else {
      bytes += stat.size;
      if (name.endsWith('.tsm')) tsm++;
    }
  }
  return { bytes, tsm };
}

/**
 * Measures disk per device-day on a private influxd under `dir` (removed by the caller).
 * `now` places the day: the last whole UTC day before it, inside the raw retention.
 */
export async function measureDisk(options: {
  dir: string;
  devices: number;
  now: number;
  seed?: number;
  settleTimeoutMs?: number;
}): Promise<DiskResult> {
  const { dir, devices } = options;
  mkdirSync(dir, { recursive: true });
  const dayStart = Math.floor(options.now / DAY_MS) * DAY_MS - DAY_MS;
  const lines = dayOfLines(devices, dayStart, options.seed ?? 7);
  const port = await freePort();
  const rpcPort = await freePort();
  const config = path.join(dir, 'influxdb.conf');
  writeFileSync(config, influxdConfig({ dir, port, rpcPort, cqRunInterval: '1h' }));
  const url = `http://127.0.0.1:${port}`;
  const influxd = await spawnService(
    'influxd (disk)',
    'influxd',
    ['run', '-config', config],
    {
      PATH: process.env['PATH'] ?? '',
      // influxd 1.x: INFLUXDB_<SECTION>_<KEY> overrides the config file
      INFLUXDB_DATA_CACHE_SNAPSHOT_WRITE_COLD_DURATION: '1s',
      INFLUXDB_DATA_COMPACT_FULL_WRITE_COLD_DURATION: '1s',
    },
    async () => {
      try {
        return (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) })).status === 204;
      } catch {
        return false;
      }
    },
    { timeoutMs: 30_000 },
  );
  try {
    const http = new InfluxHttp({ url });
    const quiet = { info: () => undefined, warn: () => undefined };
    await setupInfluxSchema(http, { database: DB }, quiet);
    let lineBytes = 0;
    for (let i = 0; i < lines.length; i += 5_000) {
      const body = lines.slice(i, i + 5_000).join('\n');
      lineBytes += Buffer.byteLength(body) + 1;
      const r = await http.write(body, DB, RAW_RP);
      if (r.kind === 'failure' || r.status !== 204) {
        throw new Error(`disk bench: write answered ${JSON.stringify(r).slice(0, 300)}`);
      }
    }
    await backfillRollup(http, DB, new Date(dayStart), new Date(dayStart + DAY_MS));
    // settled: no WAL segment holds data any more and the sizes stood still for 3 s
    const started = performance.now();
    const deadline = started + (options.settleTimeoutMs ?? 120_000);
    let last = '';
    let stableSince = performance.now();
    for (;;) {
      const raw = sizeOf(path.join(dir, 'data', DB, RAW_RP));
      const rollup = sizeOf(path.join(dir, 'data', DB, ROLLUP_RP));
      const wal = sizeOf(path.join(dir, 'wal', DB));
      const state = `${raw.bytes}/${raw.tsm}/${rollup.bytes}/${wal.bytes}`;
      if (state !== last) {
        last = state;
        stableSince = performance.now();
      } else if (raw.tsm > 0 && rollup.tsm > 0 && performance.now() - stableSince > 3_000) {
        const points = lines.length;
        return {
          kind: KIND,
          devices,
          heartbeatIntervalS: DEVICE_CATALOG[KIND].heartbeatIntervalS,
          pointsPerDeviceDay: Math.round(points / devices),
          points,
          lineProtocolBytes: lineBytes,
          rawBytesPerDeviceDay: Math.round(raw.bytes / devices),
          rollupBytesPerDeviceDay: Math.round(rollup.bytes / devices),
          rawBytesPerPoint: Math.round((raw.bytes / points) * 100) / 100,
          settleS: Math.round((performance.now() - started) / 100) / 10,
          tsmFiles: raw.tsm + rollup.tsm,
        };
      }
      if (performance.now() > deadline) {
        throw new Error(`disk bench: influxd did not compact within the bound (${state})`);
      }
      await sleep(500);
    }
  } finally {
    await influxd.stop();
  }
}
