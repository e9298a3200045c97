/**
 * A small hospital's day, the known data the board proofs run against: St Anne (city) with
 * dispensers, a cabinet, a recycler, base stations hearing BLE tags, a server and a switch, and
 * St Luke (suburb) with a dispenser and a base station. Telemetry goes through the ingest's own
 * decoding and line protocol (@orfleet/devices); the platform's self-metrics are written as the
 * ingest's scraper stores them (measurement orfleet_self).
 */
import { decodeMessage, escapeTag, toLines } from '@orfleet/devices';
import type { DeviceKind } from '@orfleet/devices';

/** The day: 2026-03-02 UTC. */
export const DAY = Date.parse('2026-03-02T00:00:00.000Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** The proofs' time range: the whole day. */
export const RANGE = { from: new Date(DAY), to: new Date(DAY + 24 * HOUR) };

export interface FixtureDevice {
  readonly id: string;
  readonly site: string;
  readonly kind: DeviceKind;
  readonly model: string;
  /** Firmware reported in heartbeats (MQTT devices). */
  readonly fw?: string;
}

export const SITES = [
  { id: 'st-anne', name: 'St Anne', zone: 'city' },
  { id: 'st-luke', name: 'St Luke', zone: 'suburb' },
] as const;

export const DEVICES: readonly FixtureDevice[] = [
  { id: 'gd-1', site: 'st-anne', kind: 'gown_dispenser', model: 'GD-2', fw: '2.4.1' },
  { id: 'gd-2', site: 'st-anne', kind: 'gown_dispenser', model: 'GD-2', fw: '2.4.1' },
  // registered, never heard from: unknown
  { id: 'gd-3', site: 'st-anne', kind: 'gown_dispenser', model: 'GD-2' },
  { id: 'sd-1', site: 'st-anne', kind: 'shoe_dispenser', model: 'SD-1', fw: '2.4.1' },
  { id: 'cab-1', site: 'st-anne', kind: 'changing_cabinet', model: 'CC-40', fw: '1.9.0' },
  { id: 'rc-1', site: 'st-anne', kind: 'recycler', model: 'RC-1', fw: '3.0.2' },
  { id: 'bs-1', site: 'st-anne', kind: 'base_station', model: 'BS-4', fw: '4.1.0' },
  { id: 'bs-2', site: 'st-anne', kind: 'base_station', model: 'BS-4', fw: '4.1.0' },
  { id: 'bcn-1', site: 'st-anne', kind: 'beacon', model: 'BC-1' },
  { id: 'bcn-2', site: 'st-anne', kind: 'beacon', model: 'BC-1' },
  { id: 'bcn-3', site: 'st-anne', kind: 'beacon', model: 'BC-1' },
  { id: 'wb-1', site: 'st-anne', kind: 'wristband', model: 'WB-1' },
  { id: 'srv-1', site: 'st-anne', kind: 'server', model: 'R650', fw: 'bios-1.12' },
  { id: 'sw-1', site: 'st-anne', kind: 'network_switch', model: 'SW-48', fw: '9.3.1' },
  { id: 'gd-9', site: 'st-luke', kind: 'gown_dispenser', model: 'GD-2', fw: '2.4.1' },
  { id: 'bs-9', site: 'st-luke', kind: 'base_station', model: 'BS-4', fw: '4.1.0' },
];

/** gd-1 is silent from 10:00 to 10:20 (beats at 09:59 and 10:20) and upgraded at 12:00. */
export const GD1_SILENT_MINUTES: readonly [number, number] = [600, 620];
export const GD1_UPGRADE = { atMinute: 720, fw: '2.5.0' };
/** rc-1 beats until 18:00 (minute 1080) and is silent after: missing. */
export const RC1_LAST_MINUTE = 1080;

/** BLE tags heard by each base station every minute: rssi, battery. */
export const SIGHTINGS: Readonly<
  Record<string, readonly { id: string; rssi: number; battery: number }[]>
> = {
  'bs-1': [
    { id: 'bcn-1', rssi: -60, battery: 80 },
    { id: 'bcn-2', rssi: -70, battery: 15 },
  ],
  'bs-2': [
    { id: 'wb-1', rssi: -80, battery: 55 },
    { id: 'bcn-3', rssi: -90, battery: 5 },
  ],
  'bs-9': [{ id: 'bcn-9', rssi: -65, battery: 90 }],
};

/** Telemetry every 10 minutes (k = 0..143). */
export const TELEMETRY_STEPS = 144;
/** gd-1's motor stalls at 14:00, 14:10 and 14:20. */
export const GD1_STALLED_STEPS: readonly number[] = [84, 85, 86];

function telemetry(device: FixtureDevice, k: number): Record<string, unknown> | undefined {
  switch (device.id) {
    case 'gd-1': {
      const stalled = GD1_STALLED_STEPS.includes(k);
      return {
        motor_state: stalled ? 'stalled' : 'ok',
        motor_current_ma: stalled ? 2400 : 850,
        stock_level: 180 - k, // one gown per cycle
        stock_capacity: 200,
        cycles_total: 5000 + k,
        door_open: k === 48, // opened at 08:00
        rfid_ok: true,
      };
    }
    case 'gd-2':
    case 'gd-9':
      return {
        motor_state: 'ok',
        motor_current_ma: 0,
        stock_level: 150,
        stock_capacity: 200,
        cycles_total: 777,
        door_open: false,
      };
    case 'sd-1':
      return {
        motor_state: 'ok',
        motor_current_ma: 600,
        stock_level: 300 - 2 * k,
        stock_capacity: 400,
        cycles_total: 100 + 2 * k,
        door_open: false,
      };
    case 'cab-1':
      return { doors_open: k >= 42 && k <= 44 ? 1 : 0, lockers_in_use: 20, stock_level: 60 };
    case 'rc-1':
      return k * 10 <= RC1_LAST_MINUTE
        ? {
            motor_state: 'ok',
            motor_current_ma: 900,
            bin_fill_pct: 40,
            cycles_total: 10 + k,
            door_open: false,
          }
        : undefined;
    default:
      return undefined;
  }
}

/** Faults: [device, code, raised minute, cleared minute or undefined]. */
export const FAULTS: readonly (readonly [string, string, number, number | undefined])[] = [
  ['gd-1', 'MOTOR_STALL', 840, 870],
  ['sd-1', 'JAM', 540, 545],
  ['sd-1', 'JAM', 960, 962],
  ['cab-1', 'DOOR_STUCK', 660, undefined],
];

interface Message {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
  readonly ts: number;
}

function deviceMessages(): Message[] {
  const out: Message[] = [];
  const topic = (d: FixtureDevice, channel: string) => `or/${d.site}/${d.kind}/${d.id}/${channel}`;
  for (const d of DEVICES) {
    if (d.fw === undefined) continue; // BLE tags and never-seen devices publish nothing
    for (let m = 0; m < 1440; m++) {
      if (d.id === 'gd-1' && m > GD1_SILENT_MINUTES[0] - 1 && m < GD1_SILENT_MINUTES[1]) continue;
      if (d.id === 'rc-1' && m > RC1_LAST_MINUTE) continue;
      const fw = d.id === 'gd-1' && m >= GD1_UPGRADE.atMinute ? GD1_UPGRADE.fw : d.fw;
      const ts = DAY + m * MINUTE;
      out.push({
        topic: topic(d, 'heartbeat'),
        ts,
        payload: { ts, seq: m, fw, uptime_s: 3_600 + m * 60 },
      });
      const heard = SIGHTINGS[d.id];
      if (heard !== undefined) {
        out.push({
          topic: topic(d, 'sightings'),
          ts,
          payload: {
            ts,
            devices: heard.map((h) => ({ id: h.id, rssi_dbm: h.rssi, battery_pct: h.battery })),
          },
        });
      }
    }
    for (let k = 0; k < TELEMETRY_STEPS; k++) {
      const fields = telemetry(d, k);
      if (fields === undefined) continue;
      const ts = DAY + k * 10 * MINUTE;
      out.push({ topic: topic(d, 'telemetry'), ts, payload: { ts, ...fields } });
    }
  }
  for (const [id, code, raised, cleared] of FAULTS) {
    const d = DEVICES.find((x) => x.id === id)!;
    for (const [state, minute] of [
      ['raised', raised],
      ['cleared', cleared],
    ] as const) {
      if (minute === undefined) continue;
      const ts = DAY + minute * MINUTE;
      out.push({ topic: topic(d, 'fault'), ts, payload: { ts, code, state } });
    }
  }
  return out;
}

/** The day's device data as the ingest would write it: decoded, then line protocol (ms). */
export function deviceLines(): string[] {
  const lines: string[] = [];
  for (const message of deviceMessages()) {
    const decoded = decodeMessage(message.topic, JSON.stringify(message.payload), message.ts + 200);
    if (!decoded.ok) {
      throw new Error(
        `fixture ${message.topic}: ${decoded.errors.map((e) => e.message).join('; ')}`,
      );
    }
    lines.push(...toLines(decoded.message));
  }
  return lines;
}

// ---- platform self-metrics (orfleet_self) --------------------------------------------------

export const INSTANCES = { ingest: 'ingest:9102', broker: 'broker:9101', api: 'api:3000' } as const;
/** The ingest restarts at 12:00: its counters start again from 0. */
export const INGEST_RESTART_MINUTE = 720;
export const POINTS_PER_MINUTE = 100;
/** Broker connection refusals: reason → minutes. */
export const REFUSALS: Readonly<Record<string, readonly number[]>> = {
  bad_password: [180, 181],
  unknown_device: [300],
};
export const BROKER_CLIENTS: Readonly<Record<string, number>> = {
  gown_dispenser: 3,
  base_station: 3,
  service: 2,
};
/** rc-1's silence is detected 90 s after its last beat: one detection-lag observation. */
export const DETECTION = { minute: RC1_LAST_MINUTE + 2, lagSeconds: 90 };

function selfLine(
  service: keyof typeof INSTANCES,
  tags: Record<string, string>,
  fields: Record<string, number>,
  ts: number,
): string {
  const allTags = { instance: INSTANCES[service], service, ...tags };
  const tagText = Object.keys(allTags)
    .sort()
    .map((k) => `,${k}=${escapeTag(allTags[k as keyof typeof allTags])!}`)
    .join('');
  const fieldText = Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `orfleet_self${tagText} ${fieldText} ${ts}`;
}

/** Invalid messages: PAYLOAD_NOT_JSON once an hour (since the ingest started), TOPIC_INVALID 5 times in the morning. */
function invalidCount(reason: string, sinceStart: number): number {
  if (reason === 'PAYLOAD_NOT_JSON') return Math.floor(sinceStart / 60);
  return Math.min(5, Math.floor(sinceStart / 100));
}

/** What the rules track at minute m: every heard device ok until rc-1 is found missing. */
export function trackedAt(m: number): Readonly<Record<string, number>> {
  const heard = DEVICES.filter((d) => d.id !== 'gd-3').length + 1; // + bcn-9 at St Luke
  const missing = m >= DETECTION.minute ? 1 : 0;
  return { ok: heard - missing, pending: 0, missing, unknown: 1 };
}

/** One scrape a minute of each service, as the ingest writes them. */
export function selfMetricLines(): string[] {
  const lines: string[] = [];
  for (let m = 0; m < 1440; m++) {
    const ts = DAY + m * MINUTE;
    const up = m >= INGEST_RESTART_MINUTE ? m - INGEST_RESTART_MINUTE : m;
    // spool: InfluxDB unreachable 10:00-10:20, 50 records a minute pile up
    const backlog = m >= 600 && m < 620 ? m - 600 : 0;
    lines.push(
      selfLine(
        'ingest',
        {},
        {
          orfleet_ingest_points_written_total: POINTS_PER_MINUTE * up,
          orfleet_ingest_spool_records: 50 * backlog,
          orfleet_ingest_spool_oldest_age_seconds: 60 * backlog,
          orfleet_ingest_lag_seconds_sum: 25 * up,
          orfleet_ingest_lag_seconds_count: POINTS_PER_MINUTE * up,
        },
        ts,
      ),
      selfLine(
        'ingest',
        { le: '0.5' },
        { orfleet_ingest_lag_seconds_bucket: POINTS_PER_MINUTE * up },
        ts,
      ),
      selfLine(
        'ingest',
        { le: '+Inf' },
        { orfleet_ingest_lag_seconds_bucket: POINTS_PER_MINUTE * up },
        ts,
      ),
      selfLine('ingest', { channel: 'heartbeat' }, { orfleet_ingest_messages_total: 20 * up }, ts),
    );
    // the ingest was up since before the day: invalid counts carry on from the morning
    for (const reason of ['PAYLOAD_NOT_JSON', 'TOPIC_INVALID']) {
      lines.push(
        selfLine(
          'ingest',
          { reason },
          { orfleet_ingest_invalid_messages_total: invalidCount(reason, up) },
          ts,
        ),
      );
    }
    for (const [type, clients] of Object.entries(BROKER_CLIENTS)) {
      lines.push(selfLine('broker', { type }, { orfleet_broker_clients: clients }, ts));
    }
    for (const [reason, minutes] of Object.entries(REFUSALS)) {
      const refused = minutes.filter((x) => x <= m).length;
      lines.push(
        selfLine('broker', { reason }, { orfleet_broker_connections_refused_total: refused }, ts),
      );
    }
    const detected = m >= DETECTION.minute ? 1 : 0;
    for (const [state, count] of Object.entries(trackedAt(m))) {
      lines.push(selfLine('api', { state }, { orfleet_health_devices_tracked: count }, ts));
    }
    lines.push(
      selfLine(
        'api',
        {},
        {
          // one rules pass a second, 10 ms each
          orfleet_health_tick_seconds_sum: 0.6 * m,
          orfleet_health_tick_seconds_count: 60 * m,
          orfleet_health_detection_lag_seconds_sum: DETECTION.lagSeconds * detected,
          orfleet_health_detection_lag_seconds_count: detected,
        },
        ts,
      ),
    );
  }
  return lines;
}
