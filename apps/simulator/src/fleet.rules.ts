import type { DeviceKind } from '@orfleet/devices';
import { createRng, seedOf } from './rng';
import { SUITE_KINDS } from './scenario.rules';
import type { Scenario, SiteSpec } from './scenario.rules';

/** Where a BLE tag is heard: a base station and the mean signal it measures there. */
export interface Hearing {
  readonly stationId: string;
  readonly meanRssi: number;
}

export interface FleetDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly siteId: string;
  readonly model: string;
  readonly serial: string;
  readonly room: string | null;
  /** BLE tags: their home base station (registered as the parent). */
  readonly parentId?: string;
  /** Suite devices: the OR suite (1-based) whose schedule drives them. */
  readonly suite?: number;
  /** BLE tags: the 1–3 stations that hear them, the home station first. */
  readonly heardBy?: readonly Hearing[];
  /** Suite devices: items (or cycles, passages) per minute at the peak of the OR schedule. */
  readonly peakPerMinute?: number;
}

export interface Fleet {
  readonly scenario: Scenario;
  /** Parents before children (the bulk import may name earlier rows as parents). */
  readonly devices: readonly FleetDevice[];
  readonly byId: ReadonlyMap<string, FleetDevice>;
  readonly sites: ReadonlyMap<string, SiteSpec>;
  /** Base station → the tags it hears (home or neighbour). */
  readonly tagsHeardBy: ReadonlyMap<string, readonly FleetDevice[]>;
}

const CODE: Readonly<Record<DeviceKind, string>> = {
  gown_dispenser: 'gd',
  shoe_dispenser: 'sd',
  recycler: 'rc',
  changing_cabinet: 'cc',
  access_gate: 'ag',
  base_station: 'bs',
  beacon: 'bc',
  wristband: 'wb',
  server: 'srv',
  network_switch: 'sw',
  pda: 'pda',
};

const MODEL: Readonly<Record<DeviceKind, string>> = {
  gown_dispenser: 'GD-200',
  shoe_dispenser: 'SD-200',
  recycler: 'RC-100',
  changing_cabinet: 'CC-300',
  access_gate: 'AG-50',
  base_station: 'BS-4',
  beacon: 'BC-1',
  wristband: 'WB-2',
  server: 'SRV-2U',
  network_switch: 'SW-48',
  pda: 'PDA-T2',
};

/** Staff gowning per case, the peak of demand spread over the 20 minutes before a case. */
const STAFF_PER_CASE = 6;
const GOWNING_MINUTES = 20;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function suiteDevices(site: SiteSpec): FleetDevice[] {
  const devices: FleetDevice[] = [];
  for (let s = 1; s <= site.suites; s++) {
    for (const kind of SUITE_KINDS) {
      const units = site.perSuite[kind];
      for (let u = 1; u <= units; u++) {
        const id = `${site.id}-${CODE[kind]}-s${s}-${u}`;
        // every room of the suite starts cases together; the suite's units share the demand
        const perUnit = (site.roomsPerSuite * STAFF_PER_CASE) / GOWNING_MINUTES / units;
        devices.push({
          id,
          kind,
          siteId: site.id,
          model: MODEL[kind],
          serial: `SIM-${id}`,
          room: `OR suite ${s}`,
          suite: s,
          peakPerMinute: Math.round(perUnit * 100) / 100,
        });
      }
    }
  }
  return devices;
}

function positioning(site: SiteSpec, seed: number): FleetDevice[] {
  const rng = createRng(seedOf(seed, site.id, 'positioning'));
  const stations: FleetDevice[] = [];
  for (let a = 1; a <= site.areas; a++) {
    for (let b = 1; b <= site.baseStationsPerArea; b++) {
      const id = `${site.id}-bs-a${pad(a)}-${b}`;
      stations.push({
        id,
        kind: 'base_station',
        siteId: site.id,
        model: MODEL.base_station,
        serial: `SIM-${id}`,
        room: `Area ${pad(a)}`,
      });
    }
  }
  const tags: FleetDevice[] = [];
  stations.forEach((station, index) => {
    const area = station.room;
    const tag = (kind: 'beacon' | 'wristband', n: number): FleetDevice => {
      const id = `${station.id}-${CODE[kind]}${n}`;
      // heard by its home station and up to two neighbours (stations are laid out in a row)
      const neighbours = [index - 1, index + 1, index - 2, index + 2]
        .map((i) => stations[i])
        .filter((s): s is FleetDevice => s !== undefined);
      const extra = Math.min(neighbours.length, rng.int(0, 2));
      const heardBy: Hearing[] = [
        { stationId: station.id, meanRssi: Math.round(rng.between(-64, -48)) },
        ...neighbours
          .slice(0, extra)
          .map((s) => ({ stationId: s.id, meanRssi: Math.round(rng.between(-88, -70)) })),
      ];
      return {
        id,
        kind,
        siteId: site.id,
        model: MODEL[kind],
        serial: `SIM-${id}`,
        room: area,
        parentId: station.id,
        heardBy,
      };
    };
    for (let n = 1; n <= site.beaconsPerStation; n++) tags.push(tag('beacon', n));
    for (let n = 1; n <= site.wristbandsPerStation; n++) tags.push(tag('wristband', n));
  });
  return [...stations, ...tags];
}

function itDevices(site: SiteSpec): FleetDevice[] {
  const make = (kind: DeviceKind, count: number, room: (n: number) => string): FleetDevice[] =>
    Array.from({ length: count }, (_, i) => {
      const id = `${site.id}-${CODE[kind]}-${i + 1}`;
      return {
        id,
        kind,
        siteId: site.id,
        model: MODEL[kind],
        serial: `SIM-${id}`,
        room: room(i + 1),
      };
    });
  return [
    ...make('server', site.servers, () => 'IT room'),
    ...make('network_switch', site.switches, (n) => `Network closet ${n}`),
    ...make('pda', site.pdas, (n) => `OR suite ${((n - 1) % Math.max(1, site.suites)) + 1}`),
  ];
}

/** The scenario's fleet, the same every time for the same scenario (seeded). */
export function generateFleet(scenario: Scenario): Fleet {
  const devices: FleetDevice[] = [];
  for (const site of scenario.sites) {
    devices.push(...itDevices(site), ...suiteDevices(site), ...positioning(site, scenario.seed));
  }
  const byId = new Map(devices.map((d) => [d.id, d]));
  const tagsHeardBy = new Map<string, FleetDevice[]>();
  for (const d of devices) {
    for (const h of d.heardBy ?? []) {
      const list = tagsHeardBy.get(h.stationId) ?? [];
      list.push(d);
      tagsHeardBy.set(h.stationId, list);
    }
  }
  return {
    scenario,
    devices,
    byId,
    sites: new Map(scenario.sites.map((s) => [s.id, s])),
    tagsHeardBy,
  };
}

/** A device as the API's bulk import takes it (docs/api.md). */
export interface RegistrationRow {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly model: string;
  readonly serial: string;
  readonly siteId: string;
  readonly room?: string;
  readonly parentId?: string;
  readonly installDate: string;
}

export function registrationRow(device: FleetDevice, installDate: string): RegistrationRow {
  return {
    id: device.id,
    kind: device.kind,
    model: device.model,
    serial: device.serial,
    siteId: device.siteId,
    ...(device.room === null ? {} : { room: device.room }),
    ...(device.parentId === undefined ? {} : { parentId: device.parentId }),
    installDate,
  };
}

/** Counts by kind, for the start-up summary. */
export function countByKind(devices: readonly FleetDevice[]): Partial<Record<DeviceKind, number>> {
  const counts: Partial<Record<DeviceKind, number>> = {};
  for (const d of devices) counts[d.kind] = (counts[d.kind] ?? 0) + 1;
  return counts;
}
