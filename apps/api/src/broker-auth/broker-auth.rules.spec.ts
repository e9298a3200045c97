import type { Identity } from '@orfleet/devices';
import {
  GO_AUTH_ACC,
  aclDecision,
  emqxAuthnAnswer,
  emqxAuthzAnswer,
  goAuthAnswer,
} from './broker-auth.rules';
import type { Decision } from './broker-auth.rules';

const device: Identity = {
  type: 'device',
  address: { siteId: 'st-anne', kind: 'gown_dispenser', deviceId: 'gd-1' },
};
const service: Identity = { type: 'service', name: 'ingest' };
const allow: Decision = { ok: true };
const refuse: Decision = { ok: false, reason: 'BAD_SECRET' };
const down: Decision = { ok: false, reason: 'CREDENTIAL_STORE_DOWN' };

describe('aclDecision', () => {
  it.each([
    [device, 2, 'or/st-anne/gown_dispenser/gd-1/heartbeat', undefined, true],
    [device, 2, 'or/st-anne/gown_dispenser/gd-1/heartbeat', 2, 'QOS2_PUBLISH'],
    [device, 1, 'or/st-anne/gown_dispenser/gd-1/cmd/reboot', undefined, true],
    [device, 1, 'or/st-anne/gown_dispenser/gd-2/cmd/reboot', undefined, 'NOT_ALLOWED'],
    // readwrite: both must hold; a device is never sent its own heartbeat
    [device, 3, 'or/st-anne/gown_dispenser/gd-1/heartbeat', undefined, 'NOT_ALLOWED'],
    [device, 4, 'or/st-anne/gown_dispenser/gd-1/cmd/#', undefined, true],
    [device, 4, '#', undefined, 'NOT_ALLOWED'],
    [service, 2, 'or/st-anne/gown_dispenser/gd-1/cmd/reboot', undefined, true],
    [service, 3, 'or/st-anne/gown_dispenser/gd-1/cmd/reboot', undefined, true],
    [service, 1, '$SYS/broker/uptime', undefined, true],
    [service, 2, '$SYS/broker/uptime', undefined, 'SYS_TOPIC'],
    [service, 4, '$share/g/or/#', undefined, 'SHARED_SUBSCRIPTION'],
  ] as const)('%j acc %i on %s (QoS %s) → %s', (identity, acc, topic, qos, expected) => {
    const { decision, check } = aclDecision(identity, GO_AUTH_ACC[acc], topic, qos);
    expect(decision.ok ? true : decision.reason).toBe(expected);
    expect(check === undefined).toBe(decision.ok);
  });

  it('names the operation that was refused', () => {
    expect(
      aclDecision(device, GO_AUTH_ACC[3], 'or/st-anne/gown_dispenser/gd-1/heartbeat', undefined)
        .check,
    ).toBe('receive');
  });
});

describe('go-auth answers (status, text and json response modes)', () => {
  it.each([
    [allow, 'json', 200, { ok: true, error: '' }],
    [refuse, 'json', 403, { ok: false, error: 'BAD_SECRET' }],
    [allow, 'status', 200, { ok: true, error: '' }],
    [refuse, 'status', 403, { ok: false, error: 'BAD_SECRET' }],
    [allow, 'text', 200, 'ok'],
    [refuse, 'text', 403, 'BAD_SECRET'],
  ] as const)('%j in %s mode → %i %j', (decision, mode, status, body) => {
    expect(goAuthAnswer(decision, mode)).toEqual({ status, body });
  });

  it.each(['json', 'status', 'text'] as const)(
    'answers 503 when the registry is down (%s): an error to go-auth, not a refusal',
    (mode) => {
      expect(goAuthAnswer(down, mode).status).toBe(503);
    },
  );
});

describe('EMQX answers', () => {
  it.each([
    [allow, { result: 'allow', is_superuser: false }],
    [refuse, { result: 'deny', is_superuser: false }],
  ] as const)('authentication %j → 200 %j', (decision, body) => {
    expect(emqxAuthnAnswer(decision)).toEqual({ status: 200, body });
  });

  it.each([
    [allow, { result: 'allow' }],
    [{ ok: false, reason: 'NOT_OWN_TOPIC' } as const, { result: 'deny' }],
  ] as const)('authorization %j → 200 %j', (decision, body) => {
    expect(emqxAuthzAnswer(decision)).toEqual({ status: 200, body });
  });

  it('answers 503 when the registry is down: EMQX reads it as "ignore"', () => {
    expect(emqxAuthnAnswer(down).status).toBe(503);
    expect(emqxAuthzAnswer(down).status).toBe(503);
  });
});
