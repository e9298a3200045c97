import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEVICE_CATALOG, decodePayload } from '@orfleet/devices';
import {
  SIGHTINGS_WINDOW_MS,
  STALL_CURRENT_MA,
  advance,
  demand,
  initialState,
  localMinuteOfDay,
  orActivity,
  sightingRssi,
  sightings,
  updateBattery,
} from './behaviour.rules';
import type { DeviceState, Outgoing } from './behaviour.rules';
import { generateFleet } from './fleet.rules';
import type { FleetDevice } from './fleet.rules';
import { createRng } from './rng';
import { parseScenarioText } from './scenario.rules';
import type { ScheduleSpec } from './scenario.rules';

const text = readFileSync(path.join(__dirname, '..', 'scenarios', 'demo-hospital.yaml'), 'utf8');
const parsed = parseScenarioText(text, 'demo-hospital.yaml');
if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
const fleet = generateFleet(parsed.scenario);
const T0 = Date.parse('2026-03-02T06:00:00Z'); // 07:00 in Paris, before the first case
const device = (id: string): FleetDevice => {
  const d = fleet.byId.get(id);
  if (d === undefined) throw new Error(`no ${id}`);
  return d;
};

/** Runs one device for `ms` of simulated time on 250 ms ticks; returns what it sent, with times. */
function run(
  state: DeviceState,
  from: number,
  ms: number,
  activity = 1,
): { at: number; m: Outgoing }[] {
  const sent: { at: number; m: Outgoing }[] = [];
  for (let now = from; now < from + ms; now += 250) {
    for (const m of advance(state, now, activity)) sent.push({ at: now, m });
  }
  return sent;
}

const payloads = (sent: { m: Outgoing }[], channel: string): Record<string, unknown>[] =>
  sent
    .filter((s) => s.m.channel === channel)
    .map((s) => JSON.parse(s.m.payload) as Record<string, unknown>);

describe('schedule', () => {
  const schedule: ScheduleSpec = {
    start: '07:30',
    end: '18:00',
    caseMinutes: 90,
    turnoverMinutes: 30,
  };
  it.each([
    ['03:00', 0.02], // night: emergencies only
    ['07:09', 0.02],
    ['07:10', 1], // staff gown up for the 07:30 case
    ['07:29', 1],
    ['07:30', 0.25], // case running
    ['09:09', 0.25],
    ['09:10', 1], // gowning for the 09:30 case (90 + 30 minutes later)
    ['18:30', 0.25], // last cases finishing
    ['19:31', 0.02],
  ])('at %s the suite is %d busy', (hhmm, expected) => {
    const [h, m] = hhmm.split(':').map(Number) as [number, number];
    expect(orActivity(h * 60 + m, schedule)).toBe(expected);
  });

  it('reads the local time of the site', () => {
    expect(localMinuteOfDay(T0, 'Europe/Paris')).toBe(7 * 60);
    expect(localMinuteOfDay(T0, 'Asia/Shanghai')).toBe(14 * 60);
  });

  it('dispenses about the scheduled rate, never a negative count', () => {
    const rng = createRng(1);
    const counts = Array.from({ length: 2_000 }, () => demand(0.6, 1, 1, rng));
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.75);
    expect(Math.min(...counts)).toBe(0);
    expect(demand(0.6, 0, 10, rng)).toBe(0);
  });
});

describe('heartbeats', () => {
  it.each(['st-anne-gd-s1-1', 'st-anne-bs-a01-1', 'st-anne-pda-1'])(
    '%s beats at its catalog interval ±5%%, with a rising seq',
    (id) => {
      const d = device(id);
      const state = initialState(d, 1, T0);
      const sent = run(state, T0, 2 * 3_600_000).filter((s) => s.m.channel === 'heartbeat');
      const interval = DEVICE_CATALOG[d.kind].heartbeatIntervalS * 1_000;
      const gaps = sent.slice(1).map((s, i) => s.at - (sent[i] as { at: number }).at);
      expect(gaps.length).toBeGreaterThan(10);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(interval * 0.95 - 250);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(interval * 1.05 + 250);
      expect(new Set(gaps).size).toBeGreaterThan(1); // jitter, not a metronome
      expect(payloads(sent, 'heartbeat').map((p) => p['seq'])).toEqual(sent.map((_, i) => i + 1));
    },
  );

  it('every message of every kind passes the device protocol', () => {
    for (const d of fleet.devices) {
      const state = initialState(d, 1, T0);
      const tags = (fleet.tagsHeardBy.get(d.id) ?? []).map((t) => initialState(t, 1, T0));
      const sent: Outgoing[] = [];
      for (let now = T0; now < T0 + 11 * 60_000; now += 1_000) {
        sent.push(...advance(state, now, 1));
        if (d.kind === 'base_station') sent.push(...sightings(state, tags, now));
      }
      if (DEVICE_CATALOG[d.kind].transport === 'ble') {
        expect(sent).toEqual([]);
        continue;
      }
      expect(sent.length).toBeGreaterThan(0);
      for (const m of sent) {
        const decoded = decodePayload(
          { siteId: d.siteId, kind: d.kind, deviceId: d.id },
          m.channel,
          m.payload,
          T0,
        );
        expect(decoded.ok ? 'ok' : `${d.id} ${m.channel}: ${JSON.stringify(decoded.errors)}`).toBe(
          'ok',
        );
      }
    }
  });

  it('a silent device sends nothing', () => {
    const state = initialState(device('st-anne-gd-s1-1'), 1, T0);
    state.silent = true;
    expect(run(state, T0, 120_000)).toEqual([]);
  });

  it('a skewed clock moves every ts by the skew', () => {
    const state = initialState(device('st-anne-srv-1'), 1, T0);
    state.skewMs = -3_600_000;
    const sent = run(state, T0, 90_000);
    for (const { at, m } of sent)
      expect((JSON.parse(m.payload) as { ts: number }).ts).toBe(at - 3_600_000);
  });
});

describe('dispensers', () => {
  it('draw running current while dispensing, idle current when not; stall current when stalled', () => {
    const state = initialState(device('st-anne-gd-s1-1'), 1, T0);
    state.stock = state.capacity;
    const busy = payloads(run(state, T0, 3_600_000, 1), 'telemetry');
    const running = busy.filter((p) => p['cycles_total'] !== undefined);
    const currents = running.map((p) => p['motor_current_ma'] as number);
    expect(currents.filter((c) => c > 600).length).toBeGreaterThan(running.length / 2);
    expect(new Set(currents).size).toBeGreaterThan(running.length / 2); // noise
    const quiet = payloads(run(state, T0 + 3_600_000, 600_000, 0), 'telemetry');
    for (const p of quiet) expect(p['motor_current_ma']).toBeLessThan(80);
    state.stalled = true;
    const stalled = payloads(run(state, T0 + 4_200_000, 300_000, 1), 'telemetry');
    for (const p of stalled) {
      expect(Math.abs((p['motor_current_ma'] as number) - STALL_CURRENT_MA)).toBeLessThan(500);
      expect(p['motor_state']).toBe('stalled');
    }
  });

  it('deplete their stock with the schedule, say STOCK_EMPTY, and are refilled', () => {
    const state = initialState(device('st-anne-gd-s1-1'), 1, T0);
    state.stock = 20;
    const sent = run(state, T0, 3 * 3_600_000, 1);
    const telemetry = payloads(sent, 'telemetry');
    const levels = telemetry.map((p) => p['stock_level'] as number);
    expect(levels).toContain(0);
    expect(Math.max(...levels.slice(levels.indexOf(0)))).toBe(200); // refilled to capacity
    const faults = payloads(sent, 'fault');
    expect(faults.map((f) => [f['code'], f['state']])).toEqual(
      expect.arrayContaining([
        ['STOCK_EMPTY', 'raised'],
        ['STOCK_EMPTY', 'cleared'],
      ]),
    );
    const cycles = telemetry.map((p) => p['cycles_total'] as number);
    expect(cycles).toEqual([...cycles].sort((a, b) => a - b)); // never goes back
  });

  it('dispense more in the gowning peak than at night', () => {
    const day = initialState(device('st-anne-gd-s2-1'), 1, T0);
    const night = initialState(device('st-anne-gd-s2-1'), 1, T0);
    day.stock = night.stock = 10_000;
    const dayStart = day.cycles;
    const nightStart = night.cycles;
    run(day, T0, 3_600_000, 1);
    run(night, T0, 3_600_000, 0.02);
    expect(day.cycles - dayStart).toBeGreaterThan(20);
    expect(night.cycles - nightStart).toBeLessThan(day.cycles - dayStart);
  });
});

describe('batteries', () => {
  it('drain slowly on a beacon, faster on a wristband', () => {
    const beacon = initialState(device('st-anne-bs-a01-1-bc1'), 1, T0);
    const band = initialState(device('st-anne-bs-a01-1-wb1'), 1, T0);
    beacon.battery = band.battery = 80;
    updateBattery(beacon, 24);
    updateBattery(band, 24);
    expect(beacon.battery).toBeCloseTo(80 - 0.144, 5);
    expect(band.battery).toBeCloseTo(80 - 4.8, 5);
  });

  it('send a PDA back to its charger under 25% and off it when full', () => {
    const pda = initialState(device('st-anne-pda-1'), 1, T0);
    pda.battery = 30;
    updateBattery(pda, 1.5); // 30 - 7.5
    expect(pda.charging).toBe(true);
    updateBattery(pda, 3); // +90
    expect(pda.battery).toBeGreaterThanOrEqual(98);
    expect(pda.charging).toBe(false);
  });

  it('stay where a low-battery fault put them', () => {
    const band = initialState(device('st-anne-bs-a01-1-wb1'), 1, T0);
    band.lowBattery = true;
    band.battery = 12;
    updateBattery(band, 100);
    expect(band.battery).toBe(12);
  });
});

describe('sightings', () => {
  const stationId = 'st-anne-bs-a01-1';
  const tags = () => (fleet.tagsHeardBy.get(stationId) ?? []).map((t) => initialState(t, 1, T0));

  it('batch every tag the station hears, each with its own RSSI near its mean', () => {
    const station = initialState(device(stationId), 1, T0);
    const heard = tags();
    const counts = new Map<string, number>();
    let batches = 0;
    for (let now = T0; now < T0 + 600_000; now += 250) {
      for (const m of sightings(station, heard, now)) {
        batches++;
        const p = JSON.parse(m.payload) as {
          ts: number;
          devices: { id: string; rssi_dbm: number }[];
        };
        expect(p.ts).toBe(now);
        for (const e of p.devices) {
          counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
          const mean =
            heard
              .find((t) => t.device.id === e.id)
              ?.device.heardBy?.find((h) => h.stationId === stationId)?.meanRssi ?? 0;
          expect(Math.abs(e.rssi_dbm - mean)).toBeLessThanOrEqual(20);
        }
      }
    }
    expect(batches).toBeGreaterThanOrEqual(600_000 / SIGHTINGS_WINDOW_MS - 1);
    for (const t of heard) expect(counts.get(t.device.id) ?? 0).toBeGreaterThan(batches * 0.6);
  });

  it('leave out a dead tag, and a dead station sends nothing', () => {
    const station = initialState(device(stationId), 1, T0);
    const heard = tags();
    const dead = heard[0] as DeviceState;
    dead.silent = true;
    for (let now = T0; now < T0 + 60_000; now += 1_000) {
      for (const m of sightings(station, heard, now))
        expect(m.payload).not.toContain(`"${dead.device.id}"`);
    }
    station.silent = true;
    expect(sightings(station, heard, T0 + 120_000)).toEqual([]);
  });

  it('fade around the mean and stay in range', () => {
    const rng = createRng(3);
    const values = Array.from({ length: 5_000 }, () => sightingRssi(-60, rng));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(-61);
    expect(mean).toBeLessThan(-59);
    const near = Array.from({ length: 1_000 }, () => sightingRssi(-2, rng));
    expect(Math.max(...near)).toBe(0); // clamped: a signal never exceeds 0 dBm
  });
});
