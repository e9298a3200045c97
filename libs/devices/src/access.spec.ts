import {
  claimOf,
  deviceVerdict,
  mayPublish,
  mayReceive,
  maySubscribe,
  serviceVerdict,
} from './access';
import type { CheckResult, DeviceRecord, Identity } from './access';

const device: Identity = {
  type: 'device',
  address: { siteId: 'st-anne', kind: 'gown_dispenser', deviceId: 'gd-1' },
};
const station: Identity = {
  type: 'device',
  address: { siteId: 'st-anne', kind: 'base_station', deviceId: 'bs-1' },
};
const ingest: Identity = { type: 'service', name: 'ingest' };

describe('mayPublish', () => {
  it.each([
    [device, 'or/st-anne/gown_dispenser/gd-1/heartbeat', 1, true],
    [device, 'or/st-anne/gown_dispenser/gd-1/fault', 0, true],
    [station, 'or/st-anne/base_station/bs-1/sightings', 1, true],
    [device, 'or/st-anne/gown_dispenser/gd-1/sightings', 1, 'CHANNEL_NOT_ALLOWED'],
    [device, 'or/st-anne/gown_dispenser/gd-2/heartbeat', 1, 'NOT_OWN_TOPIC'],
    [device, 'or/st-paul/gown_dispenser/gd-1/heartbeat', 1, 'NOT_OWN_TOPIC'],
    [device, 'or/st-anne/shoe_dispenser/gd-1/heartbeat', 1, 'NOT_OWN_TOPIC'],
    [device, 'or/st-anne/gown_dispenser/gd-1/cmd/reboot', 1, 'CHANNEL_NOT_ALLOWED'],
    [device, 'or/st-anne/gown_dispenser/gd-1/heartbeat', 2, 'QOS2_PUBLISH'],
    [device, '$SYS/broker/uptime', 0, 'SYS_TOPIC'],
    [device, 'orfleet/presence/gd-1', 1, 'NOT_ALLOWED'],
    [device, 'anything/else', 1, 'TOPIC_INVALID'],
    [ingest, 'or/st-anne/gown_dispenser/gd-1/cmd/reboot', 1, true],
    [ingest, 'or/st-anne/gown_dispenser/gd-1/heartbeat', 1, 'NOT_ALLOWED'],
    [ingest, '$SYS/x', 1, 'SYS_TOPIC'],
    [ingest, 'orfleet/presence/gd-1', 1, 'NOT_ALLOWED'],
  ] as const)('%j publishes %s at QoS %i → %s', (identity, topic, qos, expected) => {
    const verdict = mayPublish(identity, topic, qos);
    expect(verdict.ok ? true : verdict.reason).toBe(expected);
  });
});

describe('maySubscribe', () => {
  it.each([
    [device, 'or/st-anne/gown_dispenser/gd-1/cmd/#', true],
    [device, 'or/st-anne/gown_dispenser/gd-1/cmd/reboot', true],
    [device, 'or/st-anne/gown_dispenser/gd-1/cmd/+', 'NOT_ALLOWED'],
    [device, 'or/st-anne/gown_dispenser/gd-2/cmd/#', 'NOT_ALLOWED'],
    [device, 'or/st-anne/gown_dispenser/+/cmd/#', 'NOT_ALLOWED'],
    [device, '#', 'NOT_ALLOWED'],
    [device, 'or/#', 'NOT_ALLOWED'],
    [device, '$share/g/or/st-anne/gown_dispenser/gd-1/cmd/#', 'SHARED_SUBSCRIPTION'],
    [ingest, 'or/#', true],
    [ingest, 'or/+/+/+/heartbeat', true],
    [ingest, 'orfleet/presence/#', true],
    [ingest, '$SYS/#', true],
    [ingest, '#', 'NOT_ALLOWED'],
    [ingest, '$share/ingest/or/#', 'SHARED_SUBSCRIPTION'],
  ] as const)('%j subscribes %s → %s', (identity, filter, expected) => {
    const verdict = maySubscribe(identity, filter);
    expect(verdict.ok ? true : verdict.reason).toBe(expected);
  });
});

describe('mayReceive (Mosquitto asks before each delivery)', () => {
  it.each([
    [device, 'or/st-anne/gown_dispenser/gd-1/cmd/reboot', true],
    [device, 'or/st-anne/gown_dispenser/gd-2/cmd/reboot', 'NOT_ALLOWED'],
    [device, 'or/st-anne/gown_dispenser/gd-1/heartbeat', 'NOT_ALLOWED'],
    [device, '$SYS/broker/uptime', 'NOT_ALLOWED'],
    [ingest, 'or/st-anne/gown_dispenser/gd-1/heartbeat', true],
    [ingest, '$SYS/broker/uptime', true],
    [ingest, 'elsewhere/x', 'NOT_ALLOWED'],
  ] as const)('%j is sent %s → %s', (identity, topic, expected) => {
    const verdict = mayReceive(identity, topic);
    expect(verdict.ok ? true : verdict.reason).toBe(expected);
  });
});

describe('claimOf', () => {
  it.each([
    ['gd-1', 'gd-1', true, { ok: true, type: 'device', deviceId: 'gd-1' }],
    ['gd-1:diag', 'gd-1', true, { ok: true, type: 'device', deviceId: 'gd-1' }],
    ['svc:ingest', 'svc:ingest', true, { ok: true, type: 'service', name: 'ingest' }],
    ['svc:ingest:2', 'svc:ingest', true, { ok: true, type: 'service', name: 'ingest' }],
    ['gd-1', undefined, true, { ok: false, reason: 'NO_CREDENTIALS' }],
    ['gd-1', 'gd-1', false, { ok: false, reason: 'NO_CREDENTIALS' }],
    ['gd-2', 'gd-1', true, { ok: false, reason: 'CLIENT_ID_MISMATCH' }],
    ['gd-10', 'gd-1', true, { ok: false, reason: 'CLIENT_ID_MISMATCH' }],
    // a service account cannot take over a device's session
    ['gd-1', 'svc:ingest', true, { ok: false, reason: 'CLIENT_ID_MISMATCH' }],
  ] as const)('client %s, user %s, password %s → %j', (clientId, username, hasPassword, claim) => {
    expect(claimOf(clientId, username, hasPassword)).toEqual(claim);
  });
});

describe('deviceVerdict', () => {
  const record: DeviceRecord = {
    deviceId: 'gd-1',
    siteId: 'st-anne',
    kind: 'gown_dispenser',
    status: 'active',
  };
  const outcome = (result: CheckResult) => (result.ok ? result.identity : result.reason);

  it.each([
    [record, true, device],
    [record, false, 'BAD_SECRET'],
    [{ ...record, status: 'retired' }, true, 'RETIRED_DEVICE'],
    // a wrong secret is not told that the device is retired
    [{ ...record, status: 'retired' }, false, 'BAD_SECRET'],
    [{ ...record, kind: 'toaster' }, true, 'UNKNOWN_DEVICE'],
    [undefined, true, 'UNKNOWN_DEVICE'],
  ] as const)('%j, proven %s → %j', (found, proven, expected) => {
    expect(outcome(deviceVerdict(found, () => proven))).toEqual(expected);
  });

  it('asks for proof only about a device the registry knows', () => {
    const proven = jest.fn(() => true);
    deviceVerdict(undefined, proven);
    expect(proven).not.toHaveBeenCalled();
  });
});

describe('serviceVerdict', () => {
  it.each([
    [[{ name: 'ingest', role: 'device-service' }], true],
    [[{ name: 'ingest', role: 'admin' }], true],
    [[{ name: 'ingest', role: 'viewer' }], 'UNKNOWN_SERVICE'],
    [[{ name: 'ingest', role: 'engineer' }], 'UNKNOWN_SERVICE'],
    [[{ name: 'rules', role: 'device-service' }], 'UNKNOWN_SERVICE'],
    [[], 'UNKNOWN_SERVICE'],
    [
      [
        { name: 'ingest', role: 'viewer' },
        { name: 'ingest', role: 'device-service' },
      ],
      true,
    ],
  ] as const)('svc:ingest with tokens %j → %s', (tokens, expected) => {
    const result = serviceVerdict('ingest', tokens);
    expect(result.ok ? true : result.reason).toBe(expected);
  });
});
