import { DEVICE_CATALOG, MAX_SIGHTINGS } from '@orfleet/devices';
import type { Channel, DeviceKind, SightingEntry } from '@orfleet/devices';
import type { FleetDevice } from './fleet.rules';
import { createRng, seedOf } from './rng';
import type { Rng } from './rng';
import { minutesOfDay } from './scenario.rules';
import type { ScheduleSpec } from './scenario.rules';

/**
 * How each simulated device behaves, as pure functions of its state, the time (passed in) and
 * its own seeded generator: heartbeats with jitter, telemetry that follows the OR schedule
 * (dispensing cycles, stock depletion and refill, motor current noise), battery drain, and the
 * base stations' batched sightings of BLE tags with a signal strength per sighting. The runtime
 * only moves the bytes. Each function advances the state it is given in place.
 */

export interface Outgoing {
  readonly deviceId: string;
  readonly channel: Channel;
  /** The exact bytes to publish (JSON, or deliberately broken text for `garbage`). */
  readonly payload: string;
}

export interface DeviceState {
  readonly device: FleetDevice;
  readonly rng: Rng;
  readonly bootAt: number;
  seq: number;
  nextBeatAt: number;
  nextTelemetryAt: number;
  lastTelemetryAt: number;
  /** Base stations: next batch of sightings. */
  nextSightingsAt: number;
  battery: number;
  charging: boolean;
  stock: number;
  readonly capacity: number;
  cycles: number;
  refillAt: number | undefined;
  stockEmptyRaised: boolean;
  binFill: number;
  disk: number;
  lastHeard: number;
  /** Base stations: tags in the last batch of sightings. */
  heard: number;
  // faults injected
  /** Killed, or its site's network is down: sends nothing, is heard by no one. */
  silent: boolean;
  stalled: boolean;
  skewMs: number;
  garbage: number;
  flapping: boolean;
  lowBattery: boolean;
}

/** Telemetry period by kind (heartbeats follow the catalog's interval). */
export const TELEMETRY_INTERVAL_S: Readonly<Record<DeviceKind, number>> = {
  base_station: 30,
  beacon: 0,
  wristband: 0,
  gown_dispenser: 60,
  shoe_dispenser: 60,
  recycler: 60,
  changing_cabinet: 60,
  access_gate: 60,
  server: 60,
  network_switch: 60,
  pda: 300,
};

/** Base stations send what they heard every 10 s, as real gateways batch advertisements. */
export const SIGHTINGS_WINDOW_MS = 10_000;
/** Heartbeats land within ±5% of the interval: never near the 3-beat missing threshold. */
export const HEARTBEAT_JITTER = 0.05;
/** Locked-rotor current of a stalled 24 V drive motor (idle ~35 mA, running ~850 mA). */
export const STALL_CURRENT_MA = 2_600;
/** What `low-battery` sets: under the health rules' 20% threshold. */
export const LOW_BATTERY_PCT = 12;

const CAPACITY: Partial<Record<DeviceKind, number>> = {
  gown_dispenser: 200,
  shoe_dispenser: 300,
  changing_cabinet: 120,
};

/** Battery drain per hour (%): beacons last ~2 years, wristbands ~3 weeks, PDAs a long shift. */
const DRAIN_PER_HOUR: Partial<Record<DeviceKind, number>> = {
  beacon: 0.006,
  wristband: 0.2,
  pda: 5,
};

const clamp = (v: number, min: number, max: number): number => Math.min(max, Math.max(min, v));
const round1 = (v: number): number => Math.round(v * 10) / 10;

export function initialState(device: FleetDevice, seed: number, now: number): DeviceState {
  const rng = createRng(seedOf(seed, device.id));
  const spec = DEVICE_CATALOG[device.kind];
  const capacity = CAPACITY[device.kind] ?? 0;
  const intervalMs = spec.heartbeatIntervalS * 1_000;
  return {
    device,
    rng,
    bootAt: now - rng.int(1, 30 * 24 * 3_600) * 1_000,
    seq: 0,
    // spread the first beats over one interval, so a fleet does not speak all at once
    nextBeatAt: now + rng.between(0, Math.min(intervalMs, 10_000)),
    nextTelemetryAt: now + rng.between(1_000, TELEMETRY_INTERVAL_S[device.kind] * 1_000 || 1_000),
    lastTelemetryAt: now,
    nextSightingsAt: now + rng.between(500, SIGHTINGS_WINDOW_MS),
    battery: round1(rng.between(55, 100)),
    charging: false,
    stock: Math.round(capacity * rng.between(0.3, 1)),
    capacity,
    cycles: rng.int(1_000, 200_000),
    refillAt: undefined,
    stockEmptyRaised: false,
    binFill: round1(rng.between(0, 60)),
    disk: round1(rng.between(30, 60)),
    lastHeard: now,
    heard: 0,
    silent: false,
    stalled: false,
    skewMs: 0,
    garbage: 0,
    flapping: false,
    lowBattery: false,
  };
}

const MINUTES_PER_DAY = 1_440;
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Minutes after local midnight at `now` in `timezone`. */
export function localMinuteOfDay(now: number, timezone: string): number {
  let format = zoneFormats.get(timezone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    zoneFormats.set(timezone, format);
  }
  return minutesOfDay(format.format(new Date(now))) ?? 0;
}

/**
 * How busy an OR suite is at this minute, 0..1: 1 while staff gown up in the 20 minutes before
 * each case starts, 0.25 during cases and turnovers, 0.02 outside the day's schedule (emergencies).
 */
export function orActivity(minuteOfDay: number, schedule: ScheduleSpec): number {
  const start = minutesOfDay(schedule.start) ?? 0;
  const end = minutesOfDay(schedule.end) ?? MINUTES_PER_DAY;
  const gowning = 20;
  if (minuteOfDay < start - gowning || minuteOfDay > end + schedule.caseMinutes) return 0.02;
  if (minuteOfDay > end) return 0.25; // last cases running, no new ones
  const cycle = schedule.caseMinutes + schedule.turnoverMinutes;
  const phase = (((minuteOfDay - start + gowning) % cycle) + cycle) % cycle;
  return phase < gowning ? 1 : 0.25;
}

/** Items (cycles, passages) in a window: the schedule's rate with Poisson-like noise. */
export function demand(peakPerMinute: number, activity: number, minutes: number, rng: Rng): number {
  const mean = peakPerMinute * activity * minutes;
  return Math.max(0, Math.round(rng.normal(mean, Math.sqrt(mean))));
}

function stamp(state: DeviceState, now: number): number {
  return now + state.skewMs;
}

const GARBAGE = [
  '{"seq": 1, "fw": "2.3.1"', // cut short
  '[1, 2, 3]', // not an object
  '{"seq": 1, "colour": "blue"}', // unknown field
  '{"battery_pct": 140}', // out of range
];

function out(state: DeviceState, channel: Channel, payload: object): Outgoing {
  if (state.garbage > 0) {
    const text = GARBAGE[state.garbage % GARBAGE.length] as string;
    state.garbage++;
    return { deviceId: state.device.id, channel, payload: text };
  }
  return { deviceId: state.device.id, channel, payload: JSON.stringify(payload) };
}

function heartbeat(state: DeviceState, now: number): Outgoing {
  state.seq = (state.seq + 1) % 4_294_967_296;
  const kind = state.device.kind;
  return out(state, 'heartbeat', {
    ts: stamp(state, now),
    seq: state.seq,
    fw: kind === 'base_station' ? '4.1.0' : kind === 'pda' ? '12.2' : '2.3.1',
    uptime_s: Math.floor((now - state.bootAt) / 1_000),
    ...(kind === 'pda' ? { battery_pct: round1(state.battery) } : {}),
  });
}

/** Drains (or charges) the battery of a tag or PDA over `hours`. */
export function updateBattery(state: DeviceState, hours: number): void {
  const drain = DRAIN_PER_HOUR[state.device.kind];
  if (drain === undefined || state.lowBattery) return;
  if (state.device.kind === 'pda') {
    // back on the charger under 25%, off it when full again
    if (state.charging) state.battery += 30 * hours;
    else state.battery -= drain * hours;
    if (state.battery < 25) state.charging = true;
    if (state.battery >= 98) state.charging = false;
  } else {
    state.battery -= drain * hours;
  }
  state.battery = clamp(state.battery, 1, 100);
}

function dispenserTelemetry(state: DeviceState, now: number, activity: number): Outgoing[] {
  const d = state.device;
  const rng = state.rng;
  const minutes = (now - state.lastTelemetryAt) / 60_000;
  const messages: Outgoing[] = [];
  if (state.refillAt !== undefined && now >= state.refillAt) {
    state.stock = state.capacity; // a porter refilled it
    state.refillAt = undefined;
    if (state.stockEmptyRaised) {
      state.stockEmptyRaised = false;
      messages.push(
        out(state, 'fault', { code: 'STOCK_EMPTY', state: 'cleared', ts: stamp(state, now) }),
      );
    }
  }
  const wanted = state.stalled ? 0 : demand(d.peakPerMinute ?? 0, activity, minutes, rng);
  const given = Math.min(wanted, state.stock);
  state.stock -= given;
  state.cycles += given;
  if (state.stock <= state.capacity * 0.1 && state.refillAt === undefined) {
    state.refillAt = now + rng.between(10, 40) * 60_000;
  }
  if (state.stock === 0 && !state.stockEmptyRaised) {
    state.stockEmptyRaised = true;
    messages.push(
      out(state, 'fault', { code: 'STOCK_EMPTY', state: 'raised', ts: stamp(state, now) }),
    );
  }
  const current = state.stalled
    ? rng.normal(STALL_CURRENT_MA, 80)
    : given > 0
      ? rng.normal(850, 40)
      : rng.normal(35, 5);
  messages.push(
    out(state, 'telemetry', {
      ts: stamp(state, now),
      // a stalled motor is reported both ways, as real firmware does: the MOTOR_STALL fault and
      // motor_state (the health rules fold the two into one incident)
      motor_state: state.stalled ? 'stalled' : 'ok',
      motor_current_ma: Math.round(clamp(current, 0, 20_000)),
      stock_level: state.stock,
      stock_capacity: state.capacity,
      door_open: false,
      cycles_total: state.cycles,
      rfid_ok: true,
      temp_c: round1(rng.normal(31, 1)),
    }),
  );
  return messages;
}

function telemetry(state: DeviceState, now: number, activity: number): Outgoing[] {
  const d = state.device;
  const rng = state.rng;
  const ts = stamp(state, now);
  const minutes = (now - state.lastTelemetryAt) / 60_000;
  switch (d.kind) {
    case 'gown_dispenser':
    case 'shoe_dispenser':
      return dispenserTelemetry(state, now, activity);
    case 'recycler': {
      const returned = state.stalled ? 0 : demand(d.peakPerMinute ?? 0, activity, minutes, rng);
      state.cycles += returned;
      state.binFill = state.binFill >= 90 ? 0 : clamp(state.binFill + returned * 0.4, 0, 100);
      const current = state.stalled
        ? rng.normal(STALL_CURRENT_MA, 80)
        : returned > 0
          ? rng.normal(1_200, 60)
          : rng.normal(40, 6);
      return [
        out(state, 'telemetry', {
          ts,
          motor_state: state.stalled ? 'stalled' : 'ok',
          motor_current_ma: Math.round(clamp(current, 0, 20_000)),
          bin_fill_pct: round1(state.binFill),
          door_open: false,
          cycles_total: state.cycles,
          rfid_ok: true,
          temp_c: round1(rng.normal(30, 1)),
        }),
      ];
    }
    case 'changing_cabinet': {
      const taken = demand(d.peakPerMinute ?? 0, activity, minutes, rng);
      state.stock = Math.max(0, state.stock - taken);
      if (state.stock <= state.capacity * 0.1) state.stock = state.capacity; // restocked each round
      return [
        out(state, 'telemetry', {
          ts,
          doors_open: rng.int(0, activity >= 1 ? 4 : 1),
          lockers_in_use: Math.round(clamp(rng.normal(60 * activity, 3), 0, 80)),
          stock_level: state.stock,
          rfid_ok: true,
          temp_c: round1(rng.normal(24, 0.8)),
        }),
      ];
    }
    case 'access_gate': {
      const passages = state.stalled ? 0 : demand(d.peakPerMinute ?? 0, activity, minutes, rng);
      state.cycles += passages;
      return [
        out(state, 'telemetry', {
          ts,
          gate_state: state.stalled ? 'blocked' : 'closed',
          passages_total: state.cycles,
          motor_current_ma: Math.round(
            clamp(
              state.stalled
                ? rng.normal(STALL_CURRENT_MA, 80)
                : rng.normal(passages > 0 ? 600 : 20, 15),
              0,
              20_000,
            ),
          ),
          rfid_ok: true,
          temp_c: round1(rng.normal(26, 1)),
        }),
      ];
    }
    case 'server': {
      const cpu = clamp(rng.normal(20 + 35 * activity, 5), 0, 100);
      state.disk = clamp(state.disk + 0.002, 0, 100);
      return [
        out(state, 'telemetry', {
          ts,
          cpu_pct: round1(cpu),
          mem_pct: round1(clamp(rng.normal(58, 3), 0, 100)),
          disk_pct: round1(state.disk),
          load1: Math.round((cpu / 25) * 100) / 100,
          psu_ok: true,
          raid_ok: true,
          temp_c: round1(rng.normal(38, 1.5)),
        }),
      ];
    }
    case 'network_switch':
      return [
        out(state, 'telemetry', {
          ts,
          ports_up: rng.int(30, 34),
          ports_total: 48,
          uplink_ok: true,
          cpu_pct: round1(clamp(rng.normal(8, 2), 0, 100)),
          psu_ok: true,
          temp_c: round1(rng.normal(42, 1)),
        }),
      ];
    case 'pda':
      return [
        out(state, 'telemetry', {
          ts,
          wifi_rssi_dbm: Math.round(clamp(rng.normal(-62, 6), -130, 0)),
          charging: state.charging,
          cpu_pct: round1(clamp(rng.normal(15, 5), 0, 100)),
          mem_pct: round1(clamp(rng.normal(48, 4), 0, 100)),
        }),
      ];
    case 'base_station':
      return [
        out(state, 'telemetry', {
          ts,
          ble_devices_heard: state.heard,
          queue_depth: 0,
          cpu_pct: round1(clamp(rng.normal(18, 4), 0, 100)),
          temp_c: round1(rng.normal(41, 1.5)),
        }),
      ];
    case 'beacon':
    case 'wristband':
      return [];
  }
}

/**
 * What an MQTT device sends at `now`: a heartbeat when due (next one the interval ± 5% later),
 * telemetry when due. `activity` is its suite's OR-schedule activity (orActivity).
 */
export function advance(state: DeviceState, now: number, activity: number): Outgoing[] {
  if (state.silent || DEVICE_CATALOG[state.device.kind].transport === 'ble') return [];
  const messages: Outgoing[] = [];
  const spec = DEVICE_CATALOG[state.device.kind];
  if (now >= state.nextBeatAt) {
    updateBattery(state, (now - state.lastHeard) / 3_600_000);
    state.lastHeard = now;
    messages.push(heartbeat(state, now));
    const jitter = 1 + state.rng.between(-HEARTBEAT_JITTER, HEARTBEAT_JITTER);
    state.nextBeatAt = now + spec.heartbeatIntervalS * 1_000 * jitter;
  }
  const period = TELEMETRY_INTERVAL_S[state.device.kind] * 1_000;
  if (period > 0 && now >= state.nextTelemetryAt) {
    messages.push(...telemetry(state, now, activity));
    state.lastTelemetryAt = now;
    state.nextTelemetryAt = now + period * (1 + state.rng.between(-0.02, 0.02));
  }
  return messages;
}

/** Signal of one sighting: the tag's mean at that station with ±4 dB of fading. */
export function sightingRssi(meanRssi: number, rng: Rng): number {
  return Math.round(clamp(rng.normal(meanRssi, 4), -130, 0));
}

/**
 * A base station's batch: every live tag that names it among its hearers, heard in this window
 * with a probability that falls with distance (97% near, 80% far), each with its own RSSI and
 * battery. Split at the protocol's 1,000 entries per message; nothing when nobody was heard.
 */
export function sightings(
  station: DeviceState,
  tags: readonly DeviceState[],
  now: number,
): Outgoing[] {
  if (station.silent || now < station.nextSightingsAt) return [];
  station.nextSightingsAt = now + SIGHTINGS_WINDOW_MS;
  const entries: SightingEntry[] = [];
  for (const tag of tags) {
    if (tag.silent) continue;
    const hearing = tag.device.heardBy?.find((h) => h.stationId === station.device.id);
    if (hearing === undefined) continue;
    if (!station.rng.chance(hearing.meanRssi > -75 ? 0.97 : 0.8)) continue;
    updateBattery(tag, (now - tag.lastHeard) / 3_600_000);
    tag.lastHeard = Math.max(tag.lastHeard, now);
    entries.push({
      id: tag.device.id,
      rssi_dbm: sightingRssi(hearing.meanRssi, station.rng),
      battery_pct: Math.round(tag.battery),
    });
  }
  station.heard = entries.length;
  const messages: Outgoing[] = [];
  for (let i = 0; i < entries.length; i += MAX_SIGHTINGS) {
    messages.push(
      out(station, 'sightings', {
        ts: stamp(station, now),
        devices: entries.slice(i, i + MAX_SIGHTINGS),
      }),
    );
  }
  return messages;
}
