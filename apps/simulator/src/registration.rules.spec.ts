import { generateFleet } from './fleet.rules';
import { chunks, planRegistration } from './registration.rules';
import type { KnownDevice } from './registration.rules';
import { validateScenario } from './scenario.rules';

const scenario = validateScenario({
  sites: [
    {
      id: 'st-anne',
      zone: 'city',
      timezone: 'UTC',
      suites: 1,
      areas: 1,
      beaconsPerStation: 1,
      servers: 1,
    },
  ],
});
if (!scenario.ok) throw new Error(scenario.errors.join('\n'));
const fleet = generateFleet(scenario.scenario);
const known = (ids: readonly string[], override: Partial<KnownDevice> = {}) =>
  new Map(
    ids.map((id) => {
      const d = fleet.byId.get(id)!;
      return [id, { id, kind: d.kind, siteId: d.siteId, status: 'active', ...override }] as const;
    }),
  );
const all = fleet.devices.map((d) => d.id);

describe('planRegistration', () => {
  it('imports the whole fleet the first time', () => {
    const plan = planRegistration(fleet, new Map(), {});
    expect(plan.toImport.map((d) => d.id)).toEqual(all);
    expect(plan).toMatchObject({ toRotate: [], reused: 0, conflicts: [] });
  });

  it('reuses everything on a second run with its secrets', () => {
    const secrets = Object.fromEntries(all.map((id) => [id, 'dev_x']));
    expect(planRegistration(fleet, known(all), secrets)).toEqual({
      toImport: [],
      toRotate: [],
      reused: all.length,
      conflicts: [],
    });
  });

  it('rotates the secrets it lost, except for BLE tags that never connect', () => {
    const plan = planRegistration(fleet, known(all), {});
    const mqtt = fleet.devices
      .filter((d) => d.kind !== 'beacon' && d.kind !== 'wristband')
      .map((d) => d.id);
    expect(plan.toRotate).toEqual(mqtt);
    expect(plan.reused).toBe(all.length - mqtt.length);
  });

  it('refuses a registry that holds the ids as something else', () => {
    const plan = planRegistration(fleet, known(['st-anne-srv-1'], { kind: 'pda' }), {});
    expect(plan.conflicts).toEqual([
      'st-anne-srv-1: registered as pda at st-anne, the scenario has a server at st-anne',
    ]);
    expect(
      planRegistration(fleet, known(['st-anne-srv-1'], { status: 'retired' }), {}).conflicts,
    ).toEqual(['st-anne-srv-1: registered but retired (the broker refuses it)']);
  });
});

describe('chunks', () => {
  it.each([
    [[], 3, []],
    [[1, 2, 3, 4, 5], 2, [[1, 2], [3, 4], [5]]],
    [[1, 2], 5, [[1, 2]]],
  ])('%p by %d', (items, size, expected) => expect(chunks(items, size)).toEqual(expected));
});
