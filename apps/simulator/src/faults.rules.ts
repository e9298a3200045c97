import { DEVICE_CATALOG } from '@orfleet/devices';
import { LOW_BATTERY_PCT } from './behaviour.rules';
import type { DeviceState, Outgoing } from './behaviour.rules';
import type { Fleet } from './fleet.rules';

/**
 * Fault injection: the commands a person types on the simulator's stdin (and that scripted
 * faults in a scenario become), parsed and checked against the fleet, and their effect on a
 * device's state. Connections (kill, site down, flapping) are the runtime's part.
 */
export type FaultCommand =
  | { readonly type: 'kill'; readonly deviceId: string }
  | { readonly type: 'kill-station'; readonly deviceId: string }
  | { readonly type: 'site-down'; readonly siteId: string }
  | { readonly type: 'motor-stall'; readonly deviceId: string }
  | { readonly type: 'low-battery'; readonly deviceId: string }
  | { readonly type: 'flap'; readonly deviceId: string }
  | { readonly type: 'skew'; readonly deviceId: string; readonly seconds: number }
  | { readonly type: 'garbage'; readonly deviceId: string }
  | { readonly type: 'revive'; readonly deviceId: string }
  | { readonly type: 'revive-site'; readonly siteId: string }
  | { readonly type: 'help' };

export type ParsedCommand =
  | { readonly ok: true; readonly command: FaultCommand }
  | { readonly ok: false; readonly error: string };

export const COMMAND_HELP = [
  'kill <device>             the device goes silent (power cut): no messages, connection closed',
  'kill-station <station>    a base station goes silent; its tags are heard only by neighbours',
  'site-down <site>          the whole site loses its network: every device silent',
  'motor-stall <device>      dispenser, recycler or gate: MOTOR_STALL raised, stall current',
  'low-battery <device>      beacon, wristband or PDA: battery at 12%',
  'flap <device>             the device drops its connection every few seconds and reconnects',
  'skew <device> <seconds>   the device clock runs ahead (negative: behind) by that much',
  'garbage <device>          the device sends malformed payloads until revived',
  'revive <device|site>      undoes every fault on the device (or the site): back to normal',
  'help                      this list',
];

const fail = (error: string): ParsedCommand => ({ ok: false, error });

/** Parses one command line against the fleet. Never throws; the error says what to type. */
export function parseCommand(line: string, fleet: Fleet): ParsedCommand {
  const words = line
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  const [verb, target, extra, ...rest] = words;
  if (verb === undefined) return fail('empty command (type help)');
  if (verb === 'help' || verb === '?') return { ok: true, command: { type: 'help' } };
  const usage = COMMAND_HELP.find((h) => h.startsWith(`${verb} `));
  if (usage === undefined) return fail(`unknown command "${verb}" (type help for the list)`);
  const takesSeconds = verb === 'skew';
  if (target === undefined || (takesSeconds && extra === undefined)) {
    return fail(`usage: ${usage.replace(/\s{2,}.*/, '')}`);
  }
  if ((!takesSeconds && extra !== undefined) || rest.length > 0) {
    return fail(`too many arguments; usage: ${usage.replace(/\s{2,}.*/, '')}`);
  }
  if (verb === 'site-down' || (verb === 'revive' && fleet.sites.has(target))) {
    if (!fleet.sites.has(target)) {
      return fail(`unknown site "${target}" (sites: ${[...fleet.sites.keys()].join(', ')})`);
    }
    return {
      ok: true,
      command: { type: verb === 'revive' ? 'revive-site' : 'site-down', siteId: target },
    };
  }
  const device = fleet.byId.get(target);
  if (device === undefined) return fail(`unknown device "${target}" in this fleet`);
  const spec = DEVICE_CATALOG[device.kind];
  switch (verb) {
    case 'kill-station':
      if (device.kind !== 'base_station')
        return fail(`${target} is a ${device.kind}, not a base_station`);
      return { ok: true, command: { type: 'kill-station', deviceId: target } };
    case 'motor-stall':
      if (spec.faults.MOTOR_STALL === undefined) {
        return fail(
          `${target} is a ${device.kind}: it has no drive motor (dispensers, recyclers, gates)`,
        );
      }
      return { ok: true, command: { type: 'motor-stall', deviceId: target } };
    case 'low-battery':
      if (spec.faults.BATTERY_LOW === undefined) {
        return fail(`${target} is a ${device.kind}: it has no battery (beacons, wristbands, PDAs)`);
      }
      return { ok: true, command: { type: 'low-battery', deviceId: target } };
    case 'flap':
    case 'garbage':
      if (spec.transport === 'ble') {
        return fail(`${target} is a BLE ${device.kind}: it has no connection of its own`);
      }
      return { ok: true, command: { type: verb, deviceId: target } };
    case 'skew': {
      if (spec.transport === 'ble')
        return fail(`${target} is a BLE ${device.kind}: it sends no clock`);
      const seconds = Number(extra);
      if (!/^-?\d+$/.test(extra ?? '') || Math.abs(seconds) > 10 * 365 * 86_400) {
        return fail(`skew: "${extra}" is not a whole number of seconds (negative: behind)`);
      }
      return { ok: true, command: { type: 'skew', deviceId: target, seconds } };
    }
    case 'kill':
    case 'revive':
      return { ok: true, command: { type: verb, deviceId: target } };
    default:
      return fail(`unknown command "${verb}" (type help for the list)`);
  }
}

/**
 * The effect of a device command on its state, and the messages it sends at once (a fault
 * raised or cleared). Kill and flap also change the connection: the runtime does that part.
 */
export function applyToDevice(
  state: DeviceState,
  command: Exclude<FaultCommand, { type: 'help' | 'site-down' | 'revive-site' }>,
  now: number,
): Outgoing[] {
  const id = state.device.id;
  const ts = now + state.skewMs;
  const fault = (code: string, raised: boolean, detail?: string): Outgoing => ({
    deviceId: id,
    channel: 'fault',
    payload: JSON.stringify({
      code,
      state: raised ? 'raised' : 'cleared',
      ts,
      ...(detail === undefined ? {} : { component: 'motor-1', detail }),
    }),
  });
  switch (command.type) {
    case 'kill':
    case 'kill-station':
      state.silent = true;
      return [];
    case 'motor-stall':
      if (state.stalled) return [];
      state.stalled = true;
      return [fault('MOTOR_STALL', true, 'motor powered but not turning: locked-rotor current')];
    case 'low-battery':
      state.lowBattery = true;
      state.battery = LOW_BATTERY_PCT;
      state.charging = false;
      // a PDA says so itself; a tag's battery shows in the next sightings
      return state.device.kind === 'pda' ? [fault('BATTERY_LOW', true)] : [];
    case 'flap':
      state.flapping = true;
      return [];
    case 'skew':
      state.skewMs = command.seconds * 1_000;
      return [];
    case 'garbage':
      state.garbage = Math.max(state.garbage, 1);
      return [];
    case 'revive': {
      const messages: Outgoing[] = [];
      state.silent = false;
      state.flapping = false;
      state.skewMs = 0;
      state.garbage = 0;
      if (state.stalled) {
        state.stalled = false;
        messages.push(fault('MOTOR_STALL', false));
      }
      if (state.lowBattery) {
        state.lowBattery = false;
        state.battery = 95;
        if (state.device.kind === 'pda') messages.push(fault('BATTERY_LOW', false));
      }
      return messages;
    }
  }
}
