import { mayPublish, maySubscribe } from './acl.rules';
import type { Identity } from './identity';

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
