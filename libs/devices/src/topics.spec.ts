import { FLEET_FILTERS, buildTopic, commandFilter, commandTopic, parseTopic } from './topics';
import type { DeviceAddress } from './topics';

describe('parseTopic', () => {
  it.each([
    ['or/st-anne/gown_dispenser/gd-0101/heartbeat', 'gown_dispenser', 'heartbeat'],
    ['or/h1/base_station/bs-1/sightings', 'base_station', 'sightings'],
    ['or/st-anne/server/srv-01/fault', 'server', 'fault'],
    ['or/st-anne/pda/pda-7/telemetry', 'pda', 'telemetry'],
  ])('accepts %s', (topic, kind, channel) => {
    const parsed = parseTopic(topic);
    expect(parsed).toEqual({
      ok: true,
      address: { siteId: topic.split('/')[1], kind, deviceId: topic.split('/')[3] },
      channel,
    });
  });

  it.each([
    ['', 'TOPIC_INVALID'],
    ['or/st-anne/gown_dispenser/gd-01', 'TOPIC_INVALID'],
    ['xx/st-anne/gown_dispenser/gd-01/heartbeat', 'TOPIC_INVALID'],
    ['/or/st-anne/gown_dispenser/gd-01/heartbeat', 'TOPIC_INVALID'],
    ['or/st-anne/gown_dispenser/gd-01/heartbeat/', 'TOPIC_INVALID'],
    ['or/St-Anne/gown_dispenser/gd-01/heartbeat', 'ID_INVALID'],
    ['or/s/gown_dispenser/gd-01/heartbeat', 'ID_INVALID'], // ids are 2..63 characters
    [`or/${'a'.repeat(64)}/gown_dispenser/gd-01/heartbeat`, 'ID_INVALID'],
    ['or/st-anne/gown_dispenser/-gd/heartbeat', 'ID_INVALID'],
    ['or/st-anne/gown_dispenser/+/heartbeat', 'ID_INVALID'],
    ['or/st-anne/gown_dispenser/#/heartbeat', 'ID_INVALID'],
    ['or/st-anne/toaster/gd-01/heartbeat', 'KIND_UNKNOWN'],
    ['or/st-anne/gown_dispenser/gd-01/status', 'CHANNEL_UNKNOWN'],
    ['or/st-anne/gown_dispenser/gd-01/sightings', 'CHANNEL_NOT_ALLOWED'],
    ['or/st-anne/beacon/bc-01/heartbeat', 'CHANNEL_NOT_ALLOWED'],
    ['or/st-anne/gown_dispenser/gd-01/cmd/reboot', 'CHANNEL_NOT_ALLOWED'],
  ])('refuses %j with %s', (topic, code) => {
    const parsed = parseTopic(topic);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe(code);
      expect(parsed.error.message).toContain(topic === '' ? 'topic' : topic);
    }
  });

  it('says why a BLE device has no topic of its own', () => {
    const parsed = parseTopic('or/st-anne/wristband/wb-01/heartbeat');
    expect(!parsed.ok && parsed.error.message).toMatch(
      /BLE device, heard only through base station/,
    );
  });
});

describe('topic builders', () => {
  const address: DeviceAddress = { siteId: 'st-anne', kind: 'recycler', deviceId: 'rc-12' };

  it('round-trips through parseTopic', () => {
    expect(parseTopic(buildTopic(address, 'telemetry'))).toEqual({
      ok: true,
      address,
      channel: 'telemetry',
    });
  });

  it('builds command topics under the device filter', () => {
    expect(commandTopic(address, 'reboot')).toBe('or/st-anne/recycler/rc-12/cmd/reboot');
    expect(commandFilter(address)).toBe('or/st-anne/recycler/rc-12/cmd/#');
  });

  it('gives fleet consumers one filter per channel', () => {
    expect(FLEET_FILTERS).toEqual([
      'or/+/+/+/heartbeat',
      'or/+/+/+/telemetry',
      'or/+/+/+/fault',
      'or/+/+/+/sightings',
    ]);
  });
});
