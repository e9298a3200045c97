import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isValidId } from '@orfleet/devices';
import { countByKind, generateFleet, registrationRow } from './fleet.rules';
import { parseScenarioText } from './scenario.rules';
import type { Scenario } from './scenario.rules';

function scenario(file: string): Scenario {
  const text = readFileSync(path.join(__dirname, '..', 'scenarios', file), 'utf8');
  const result = parseScenarioText(text, file);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.scenario;
}

describe('generateFleet', () => {
  const demo = scenario('demo-hospital.yaml');
  const fleet = generateFleet(demo);

  it('builds the demo hospital: about 300 devices, every kind in its place', () => {
    expect(fleet.devices).toHaveLength(316);
    expect(countByKind(fleet.devices)).toEqual({
      server: 2,
      network_switch: 4,
      pda: 10,
      gown_dispenser: 8,
      shoe_dispenser: 8,
      recycler: 4,
      changing_cabinet: 8,
      access_gate: 8,
      base_station: 24,
      beacon: 96,
      wristband: 144,
    });
  });

  it('gives valid, unique ids, parents before their children', () => {
    const seen = new Set<string>();
    for (const d of fleet.devices) {
      expect(isValidId(d.id)).toBe(true);
      expect(seen.has(d.id)).toBe(false);
      if (d.parentId !== undefined) expect(seen.has(d.parentId)).toBe(true);
      seen.add(d.id);
    }
  });

  it('has every BLE tag heard by 1 to 3 stations of its site, its home station first and loudest', () => {
    const tags = fleet.devices.filter((d) => d.kind === 'beacon' || d.kind === 'wristband');
    const spread = new Set<number>();
    for (const tag of tags) {
      const heard = tag.heardBy ?? [];
      spread.add(heard.length);
      expect(heard.length).toBeGreaterThanOrEqual(1);
      expect(heard.length).toBeLessThanOrEqual(3);
      expect(heard[0]?.stationId).toBe(tag.parentId);
      for (const h of heard) {
        expect(fleet.byId.get(h.stationId)?.kind).toBe('base_station');
        expect(fleet.byId.get(h.stationId)?.siteId).toBe(tag.siteId);
        expect(h.meanRssi).toBeLessThanOrEqual(heard[0]?.meanRssi ?? 0);
      }
      for (const h of heard) expect(fleet.tagsHeardBy.get(h.stationId)).toContain(tag);
    }
    expect([...spread].sort()).toEqual([1, 2, 3]);
  });

  it('is the same fleet every time for the same seed, another with another seed', () => {
    const again = generateFleet(demo);
    expect(again.devices).toEqual(fleet.devices);
    const other = generateFleet({ ...demo, seed: demo.seed + 1 });
    expect(other.devices.map((d) => d.id)).toEqual(fleet.devices.map((d) => d.id));
    expect(other.devices.map((d) => d.heardBy)).not.toEqual(fleet.devices.map((d) => d.heardBy));
  });

  it('shares a suite’s gowning demand among its dispensers', () => {
    const gd = fleet.byId.get('st-anne-gd-s1-1');
    // 4 rooms × 6 staff over 20 minutes, shared by 2 gown dispensers
    expect(gd?.peakPerMinute).toBeCloseTo(0.6, 5);
    expect(gd?.suite).toBe(1);
  });

  it('makes bulk-import rows the API takes', () => {
    const tag = fleet.devices.find((d) => d.kind === 'wristband');
    expect(registrationRow(tag!, '2026-01-05')).toEqual({
      id: tag!.id,
      kind: 'wristband',
      model: 'WB-2',
      serial: `SIM-${tag!.id}`,
      siteId: 'st-anne',
      room: tag!.room,
      parentId: tag!.parentId,
      installDate: '2026-01-05',
    });
  });
});
