import { decodePayload } from '@orfleet/devices';
import { initialState } from './behaviour.rules';
import { applyToDevice, parseCommand } from './faults.rules';
import { generateFleet } from './fleet.rules';
import { validateScenario } from './scenario.rules';

const scenario = validateScenario({
  name: 'small',
  sites: [
    {
      id: 'st-anne',
      zone: 'city',
      timezone: 'UTC',
      suites: 1,
      areas: 1,
      beaconsPerStation: 1,
      wristbandsPerStation: 1,
      servers: 1,
      pdas: 1,
    },
  ],
});
if (!scenario.ok) throw new Error(scenario.errors.join('\n'));
const fleet = generateFleet(scenario.scenario);
const T0 = Date.parse('2026-03-02T08:00:00Z');

describe('parseCommand', () => {
  it.each([
    ['kill st-anne-gd-s1-1', { type: 'kill', deviceId: 'st-anne-gd-s1-1' }],
    ['  kill   st-anne-bs-a01-1-bc1 ', { type: 'kill', deviceId: 'st-anne-bs-a01-1-bc1' }],
    ['kill-station st-anne-bs-a01-1', { type: 'kill-station', deviceId: 'st-anne-bs-a01-1' }],
    ['site-down st-anne', { type: 'site-down', siteId: 'st-anne' }],
    ['motor-stall st-anne-ag-s1-1', { type: 'motor-stall', deviceId: 'st-anne-ag-s1-1' }],
    ['low-battery st-anne-bs-a01-1-wb1', { type: 'low-battery', deviceId: 'st-anne-bs-a01-1-wb1' }],
    ['low-battery st-anne-pda-1', { type: 'low-battery', deviceId: 'st-anne-pda-1' }],
    ['flap st-anne-srv-1', { type: 'flap', deviceId: 'st-anne-srv-1' }],
    ['skew st-anne-srv-1 -3600', { type: 'skew', deviceId: 'st-anne-srv-1', seconds: -3600 }],
    ['garbage st-anne-pda-1', { type: 'garbage', deviceId: 'st-anne-pda-1' }],
    ['revive st-anne-srv-1', { type: 'revive', deviceId: 'st-anne-srv-1' }],
    ['revive st-anne', { type: 'revive-site', siteId: 'st-anne' }],
    ['help', { type: 'help' }],
  ])('%p', (line, command) => expect(parseCommand(line, fleet)).toEqual({ ok: true, command }));

  it.each([
    ['', 'empty command (type help)'],
    ['explode st-anne-srv-1', 'unknown command "explode" (type help for the list)'],
    ['kill', 'usage: kill <device>'],
    ['kill nobody', 'unknown device "nobody" in this fleet'],
    ['kill st-anne-srv-1 now', 'too many arguments; usage: kill <device>'],
    ['site-down elsewhere', 'unknown site "elsewhere" (sites: st-anne)'],
    ['kill-station st-anne-srv-1', 'st-anne-srv-1 is a server, not a base_station'],
    [
      'motor-stall st-anne-srv-1',
      'st-anne-srv-1 is a server: it has no drive motor (dispensers, recyclers, gates)',
    ],
    [
      'low-battery st-anne-gd-s1-1',
      'st-anne-gd-s1-1 is a gown_dispenser: it has no battery (beacons, wristbands, PDAs)',
    ],
    [
      'flap st-anne-bs-a01-1-bc1',
      'st-anne-bs-a01-1-bc1 is a BLE beacon: it has no connection of its own',
    ],
    ['skew st-anne-srv-1', 'usage: skew <device> <seconds>'],
    ['skew st-anne-srv-1 soon', 'skew: "soon" is not a whole number of seconds (negative: behind)'],
  ])('%p → %s', (line, error) => expect(parseCommand(line, fleet)).toEqual({ ok: false, error }));
});

describe('applyToDevice', () => {
  const address = (id: string) => {
    const d = fleet.byId.get(id)!;
    return { siteId: d.siteId, kind: d.kind, deviceId: d.id };
  };

  it('motor-stall raises MOTOR_STALL once; revive clears it', () => {
    const id = 'st-anne-gd-s1-1';
    const state = initialState(fleet.byId.get(id)!, 1, T0);
    const raised = applyToDevice(state, { type: 'motor-stall', deviceId: id }, T0);
    expect(raised).toHaveLength(1);
    const decoded = decodePayload(address(id), 'fault', raised[0]!.payload, T0);
    expect(decoded.ok && decoded.message.payload).toMatchObject({
      code: 'MOTOR_STALL',
      state: 'raised',
      ts: T0,
    });
    expect(state.stalled).toBe(true);
    expect(applyToDevice(state, { type: 'motor-stall', deviceId: id }, T0)).toEqual([]);
    const cleared = applyToDevice(state, { type: 'revive', deviceId: id }, T0 + 1);
    expect(JSON.parse(cleared[0]!.payload)).toMatchObject({
      code: 'MOTOR_STALL',
      state: 'cleared',
    });
    expect(state.stalled).toBe(false);
  });

  it('low-battery drops a PDA to 12% with BATTERY_LOW, a tag silently', () => {
    const pda = initialState(fleet.byId.get('st-anne-pda-1')!, 1, T0);
    const sent = applyToDevice(pda, { type: 'low-battery', deviceId: 'st-anne-pda-1' }, T0);
    expect(pda.battery).toBe(12);
    expect(JSON.parse(sent[0]!.payload)).toMatchObject({ code: 'BATTERY_LOW', state: 'raised' });
    const tag = initialState(fleet.byId.get('st-anne-bs-a01-1-wb1')!, 1, T0);
    expect(applyToDevice(tag, { type: 'low-battery', deviceId: tag.device.id }, T0)).toEqual([]);
    expect(tag.battery).toBe(12);
  });

  it('garbage makes the device send payloads the protocol refuses, until revived', () => {
    const id = 'st-anne-srv-1';
    const state = initialState(fleet.byId.get(id)!, 1, T0);
    applyToDevice(state, { type: 'garbage', deviceId: id }, T0);
    applyToDevice(state, { type: 'skew', deviceId: id, seconds: 60 }, T0);
    expect(state.skewMs).toBe(60_000);
    applyToDevice(state, { type: 'kill', deviceId: id }, T0);
    expect(state.silent).toBe(true);
    applyToDevice(state, { type: 'revive', deviceId: id }, T0);
    expect(state).toMatchObject({ silent: false, garbage: 0, skewMs: 0, flapping: false });
  });
});
