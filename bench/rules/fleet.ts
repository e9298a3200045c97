// The fleet of bench/rules.bench.ts, shared by its two layers (the pure engine on a simulated
// clock, and the load generator that drives the real broker), so both see the same devices, the
// same schedule and the same kills from one seed.
//
// A site holds 1,000 devices: 9 base stations (10 s × 3), 91 other MQTT devices (30 s × 3, every
// kind but PDAs) and 900 BLE tags (60 s × 5), 100 per base station. A base station publishes a
// heartbeat and one `sightings` batch per interval; a tag is in one batch of its station every
// 60 s (the slot it was given), as a gateway reports each tag it heard since its last batch.
// PDAs (300 s × 3: missing after 15 min) are left out: the bench could not wait for them.
import { createHmac } from 'node:crypto';
import { DEVICE_CATALOG } from '@orfleet/devices';
import type { DeviceKind } from '@orfleet/devices';

export const SITE_SIZE = 1_000;
export const STATIONS_PER_SITE = 9;
export const OTHERS_PER_SITE = 91;
export const TAGS_PER_SITE = SITE_SIZE - STATIONS_PER_SITE - OTHERS_PER_SITE;

const OTHER_KINDS: readonly DeviceKind[] = [
  'gown_dispenser',
  'shoe_dispenser',
  'recycler',
  'changing_cabinet',
  'access_gate',
  'server',
  'network_switch',
];
const TAG_KINDS: readonly DeviceKind[] = ['wristband', 'beacon'];

const PREFIX: Readonly<Record<DeviceKind, string>> = {
  base_station: 'bs',
  beacon: 'bc',
  wristband: 'wb',
  gown_dispenser: 'gd',
  shoe_dispenser: 'sd',
  recycler: 'rc',
  changing_cabinet: 'cc',
  access_gate: 'ag',
  server: 'sv',
  network_switch: 'ns',
  pda: 'pd',
};

/**
 * Quick mode's per-device interval overrides (the `device.heartbeat_interval_s` column), misses
 * as catalogued: base station 2 s × 3, other MQTT devices 5 s × 3, tags 10 s × 5.
 */
export const QUICK_INTERVAL_S = { base_station: 2, mqtt: 5, ble: 10 } as const;

export interface FleetConfig {
  /** A multiple of SITE_SIZE. */
  readonly devices: number;
  /** Shortened intervals (QUICK_INTERVAL_S) instead of the catalog's. */
  readonly quick: boolean;
  readonly seed: number;
  /** Share of the devices killed (0.01). */
  readonly killShare: number;
  /** Kills fall uniformly in [killStartMs, killStartMs + killWindowMs] after the start. */
  readonly killStartMs: number;
  readonly killWindowMs: number;
}

/** mulberry32: a small seeded PRNG, so every layer and process draws the same fleet. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A device's MQTT password: the bench seeds its SHA-256 into the registry. */
export const deviceSecret = (salt: string, id: string) =>
  createHmac('sha256', salt).update(id).digest('base64url');

export const siteIdOf = (site: number) => `st-b${String(site + 1).padStart(3, '0')}`;

/** Receives what the fleet sends, in the order it sends it. */
export interface FleetSink {
  heartbeat(device: number, ts: number): void;
  /** `tags`: device indices of the tags in the batch (reused: copy to keep). */
  sightings(station: number, tags: readonly number[], ts: number): void;
  /** A device's first due time at or after its kill: it stops here. */
  died?(device: number): void;
}

/**
 * The devices as parallel arrays (index = device), their schedule and their fate. Mutable: kills
 * take effect as the schedule reaches them (`fire`), and a dead base station hands its tags to the
 * next live station of its site (overlapping coverage), so its tags stay heard.
 */
export class Fleet {
  readonly size: number;
  readonly sites: number;
  readonly ids: string[] = [];
  readonly kinds: DeviceKind[] = [];
  readonly site: Int32Array;
  /** Per-device interval override in seconds (quick mode), or 0 for the catalog's. */
  readonly overrideS: Int32Array;
  readonly intervalMs: Int32Array;
  readonly spanMs: Int32Array;
  /** First due time after the start (MQTT devices), ms. */
  readonly phaseMs: Int32Array;
  /** Kill time after the start, ms; Infinity for survivors. */
  readonly killAt: Float64Array;
  readonly dead: Uint8Array;
  /** The `ts` of the last message that carried the device (its own or a sighting), epoch ms. */
  readonly lastSent: Float64Array;
  /** The base station whose batch carried a tag last, or -1. */
  readonly lastStation: Int32Array;
  /** Devices killed, in index order. */
  readonly killed: number[];
  /** Devices that publish themselves (base stations and the other MQTT devices). */
  readonly publishers: number[] = [];
  /** Base station → its batch slots, each a list of tag indices. */
  private readonly slots = new Map<number, number[][]>();
  private readonly stationsOfSite: number[][] = [];
  readonly batchMs: number;
  private readonly batch: number[] = [];

  constructor(readonly config: FleetConfig) {
    const { devices, quick } = config;
    if (devices % SITE_SIZE !== 0) throw new Error(`devices: a multiple of ${SITE_SIZE}`);
    this.size = devices;
    this.sites = devices / SITE_SIZE;
    this.site = new Int32Array(devices);
    this.overrideS = new Int32Array(devices);
    this.intervalMs = new Int32Array(devices);
    this.spanMs = new Int32Array(devices);
    this.phaseMs = new Int32Array(devices);
    this.killAt = new Float64Array(devices).fill(Infinity);
    this.dead = new Uint8Array(devices);
    this.lastSent = new Float64Array(devices);
    this.lastStation = new Int32Array(devices).fill(-1);
    const rand = prng(config.seed);
    const bleIntervalS = quick ? QUICK_INTERVAL_S.ble : DEVICE_CATALOG.wristband.heartbeatIntervalS;
    this.batchMs =
      (quick ? QUICK_INTERVAL_S.base_station : DEVICE_CATALOG.base_station.heartbeatIntervalS) *
      1_000;
    const slotCount = (bleIntervalS * 1_000) / this.batchMs;
    if (!Number.isInteger(slotCount)) throw new Error('tag interval: a multiple of the batch');

    for (let s = 0; s < this.sites; s++) {
      const stations: number[] = [];
      this.stationsOfSite.push(stations);
      const add = (kind: DeviceKind, n: number) => {
        const i = this.ids.length;
        this.ids.push(`${PREFIX[kind]}-${String(s + 1).padStart(3, '0')}-${n}`);
        this.kinds.push(kind);
        this.site[i] = s;
        const spec = DEVICE_CATALOG[kind];
        const override = !quick
          ? 0
          : kind === 'base_station'
            ? QUICK_INTERVAL_S.base_station
            : spec.transport === 'ble'
              ? QUICK_INTERVAL_S.ble
              : QUICK_INTERVAL_S.mqtt;
        this.overrideS[i] = override;
        const interval = (override || spec.heartbeatIntervalS) * 1_000;
        this.intervalMs[i] = interval;
        this.spanMs[i] = interval * spec.missesBeforeMissing;
        this.phaseMs[i] = Math.floor(rand() * interval);
        if (spec.transport === 'mqtt') this.publishers.push(i);
        return i;
      };
      for (let n = 1; n <= STATIONS_PER_SITE; n++) {
        const station = add('base_station', n);
        stations.push(station);
        this.slots.set(
          station,
          Array.from({ length: slotCount }, () => []),
        );
      }
      for (let n = 1; n <= OTHERS_PER_SITE; n++) add(OTHER_KINDS[n % OTHER_KINDS.length]!, n);
      for (let n = 1; n <= TAGS_PER_SITE; n++) {
        const tag = add(TAG_KINDS[n % TAG_KINDS.length]!, n);
        const station = stations[n % STATIONS_PER_SITE]!;
        this.slots.get(station)![Math.floor(rand() * slotCount)]!.push(tag);
      }
    }

    // the kills: a uniform sample of the devices, each at a uniform time in the window
    const order = Array.from({ length: devices }, (_, i) => i);
    const count = Math.round(devices * config.killShare);
    for (let k = 0; k < count; k++) {
      const j = k + Math.floor(rand() * (devices - k));
      [order[k], order[j]] = [order[j]!, order[k]!];
      this.killAt[order[k]!] = config.killStartMs + rand() * config.killWindowMs;
    }
    this.killed = order.slice(0, count).sort((a, b) => a - b);
  }

  isStation(device: number): boolean {
    return this.slots.has(device);
  }

  /**
   * A publisher's scheduled moment `dueMs` after the start, its messages stamped `ts`: what it
   * sends, or nothing once killed. Returns whether it is scheduled again (at dueMs + interval).
   */
  fire(device: number, dueMs: number, ts: number, sink: FleetSink): boolean {
    if (this.killAt[device]! <= dueMs) {
      if (this.dead[device] === 0) this.die(device, sink);
      return false;
    }
    sink.heartbeat(device, ts);
    this.lastSent[device] = ts;
    const slots = this.slots.get(device);
    if (slots !== undefined) {
      const slot = Math.round((dueMs - this.phaseMs[device]!) / this.batchMs) % slots.length;
      const batch = this.batch;
      batch.length = 0;
      for (const tag of slots[slot]!) {
        if (this.killAt[tag]! <= dueMs) {
          this.dead[tag] = 1;
          continue;
        }
        batch.push(tag);
        this.lastSent[tag] = ts;
        this.lastStation[tag] = device;
      }
      if (batch.length > 0) sink.sightings(device, batch, ts);
    }
    return true;
  }

  private die(device: number, sink: FleetSink): void {
    this.dead[device] = 1;
    sink.died?.(device);
    const slots = this.slots.get(device);
    if (slots === undefined) return;
    // overlapping coverage: the next live station of the site hears the tags from now on
    const stations = this.stationsOfSite[this.site[device]!]!;
    const at = stations.indexOf(device);
    for (let k = 1; k < stations.length; k++) {
      const next = stations[(at + k) % stations.length]!;
      if (this.dead[next] === 1 || this.killAt[next] !== Infinity) continue;
      const theirs = this.slots.get(next)!;
      slots.forEach((list, slot) => theirs[slot]!.push(...list));
      break;
    }
    this.slots.delete(device);
  }
}

/**
 * Due times of the publishers, bucketed by `stepMs` (a timer wheel: one entry per publisher).
 * `take(step)` hands out every publisher due in that step with its due time.
 */
export class Schedule {
  private readonly buckets = new Map<number, number[]>();
  readonly due: Float64Array;

  constructor(
    size: number,
    readonly stepMs: number,
  ) {
    this.due = new Float64Array(size);
  }

  add(device: number, dueMs: number): void {
    this.due[device] = dueMs;
    const step = Math.floor(dueMs / this.stepMs);
    let bucket = this.buckets.get(step);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(step, bucket);
    }
    bucket.push(device);
  }

  take(step: number): number[] | undefined {
    const bucket = this.buckets.get(step);
    if (bucket !== undefined) this.buckets.delete(step);
    return bucket;
  }
}
