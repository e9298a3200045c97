import { isDeviceKind } from './catalog';
import type { DecodeErrorCode } from './errors';
import { COMMAND_SEGMENT, TOPIC_ROOT, commandFilter, parseTopic } from './topics';
import type { DeviceAddress } from './topics';

/**
 * Who may connect to the fleet's MQTT broker and what they may do there. One set of rules for
 * every broker that serves the fleet: apps/broker (aedes) calls them in its hooks, and the API's
 * broker-auth endpoints answer them to an external Mosquitto or EMQX. Pure: the lookups (the
 * registry's `device_credential` view, API tokens) and the hashing stay with the caller.
 */

/** Who is on the other end of a connection, once authenticated. */
export type Identity =
  | { readonly type: 'device'; readonly address: DeviceAddress }
  /** Platform services (ingest, health rules, API) with a `device-service` or `admin` API token. */
  | { readonly type: 'service'; readonly name: string };

/** Username prefix of service accounts: `svc:<token name>`, password = the API token. */
export const SERVICE_PREFIX = 'svc:';

/** API token roles that may act as a service account on the broker. */
export const SERVICE_ROLES: readonly string[] = ['device-service', 'admin'];

/** Topic root of the presence events apps/broker publishes (`orfleet/presence/{deviceId}`). */
export const PRESENCE_ROOT = 'orfleet/presence';

/** Why a connection was refused; each maps to a CONNACK return code (MQTT 3.1.1, 3.2.2.3). */
export type RefusalReason =
  | 'UNKNOWN_DEVICE'
  | 'BAD_SECRET'
  | 'RETIRED_DEVICE'
  | 'NO_CREDENTIALS'
  | 'CLIENT_ID_MISMATCH'
  | 'UNKNOWN_SERVICE'
  | 'CREDENTIAL_STORE_DOWN';

export type CheckResult =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: RefusalReason };

/** What a connection claims to be, before any lookup: a device id or a service account name. */
export type Claim =
  | { readonly ok: true; readonly type: 'device'; readonly deviceId: string }
  | { readonly ok: true; readonly type: 'service'; readonly name: string }
  | { readonly ok: false; readonly reason: RefusalReason };

/** A device as the registry's `device_credential` view describes it (docs/api.md). */
export interface DeviceRecord {
  readonly deviceId: string;
  readonly siteId: string;
  readonly kind: string;
  readonly status: string;
}

/** An API token found for a service account (by its secret, or by its name). */
export interface ServiceToken {
  readonly name: string;
  readonly role: string;
}

/** `account` itself, or `account:<suffix>` for a second session of the same account. */
export function ownsClientId(clientId: string, account: string): boolean {
  return clientId === account || clientId.startsWith(`${account}:`);
}

/**
 * Sorts a connection's credentials before any lookup. `username` undefined or no password: no
 * credentials. The client id must be the account's own, so no one (a service account included)
 * can take over a device's session [MQTT-3.1.3-*].
 */
export function claimOf(
  clientId: string,
  username: string | undefined,
  hasPassword: boolean,
): Claim {
  if (username === undefined || !hasPassword) return { ok: false, reason: 'NO_CREDENTIALS' };
  if (!ownsClientId(clientId, username)) return { ok: false, reason: 'CLIENT_ID_MISMATCH' };
  return username.startsWith(SERVICE_PREFIX)
    ? { ok: true, type: 'service', name: username.slice(SERVICE_PREFIX.length) }
    : { ok: true, type: 'device', deviceId: username };
}

/**
 * A device's identity when the registry knows it (with a kind the catalog knows), `proven` holds
 * (its secret, or a certificate, or an earlier authentication) and it is active. `proven` is only
 * asked about a known device.
 */
export function deviceVerdict<R extends DeviceRecord>(
  record: R | undefined,
  proven: (record: R) => boolean,
): CheckResult {
  if (record === undefined || !isDeviceKind(record.kind)) {
    return { ok: false, reason: 'UNKNOWN_DEVICE' };
  }
  if (!proven(record)) return { ok: false, reason: 'BAD_SECRET' };
  if (record.status !== 'active') return { ok: false, reason: 'RETIRED_DEVICE' };
  return {
    ok: true,
    identity: {
      type: 'device',
      address: { siteId: record.siteId, kind: record.kind, deviceId: record.deviceId },
    },
  };
}

/**
 * A service account is `svc:<name>` where `<name>` is the name of an unrevoked API token with a
 * service role; `tokens` are the unrevoked tokens found (by the presented secret, or by name).
 */
export function serviceVerdict(name: string, tokens: readonly ServiceToken[]): CheckResult {
  return tokens.some((t) => t.name === name && SERVICE_ROLES.includes(t.role))
    ? { ok: true, identity: { type: 'service', name } }
    : { ok: false, reason: 'UNKNOWN_SERVICE' };
}

export type AclVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: AclRefusal; readonly detail: string };

export type AclRefusal =
  | 'SYS_TOPIC'
  | 'SHARED_SUBSCRIPTION'
  | 'QOS2_PUBLISH'
  | 'NOT_OWN_TOPIC'
  | 'NOT_ALLOWED'
  | DecodeErrorCode;

const ok: AclVerdict = { ok: true };
const no = (reason: AclRefusal, detail: string): AclVerdict => ({ ok: false, reason, detail });

/**
 * May this identity publish to this topic? A device only to
 * `or/{its site}/{its kind}/{its id}/{channel}` with a channel its kind may use (catalog);
 * a service only commands (`or/.../cmd/...`). Nobody publishes to `$SYS/` or the presence topics
 * (the broker writes those itself). QoS 2 publishes are refused: the fleet protocol is QoS 1.
 */
export function mayPublish(identity: Identity, topic: string, qos: number): AclVerdict {
  if (topic.startsWith('$'))
    return no('SYS_TOPIC', `publish to ${topic}: $ topics are the broker's`);
  if (topic === PRESENCE_ROOT || topic.startsWith(`${PRESENCE_ROOT}/`)) {
    return no('NOT_ALLOWED', `publish to ${topic}: presence is published by the broker only`);
  }
  if (qos > 1)
    return no('QOS2_PUBLISH', `publish to ${topic}: QoS 2 is not used; publish with QoS 1`);
  if (identity.type === 'service') {
    const parts = topic.split('/');
    return parts.length >= 6 && parts[0] === TOPIC_ROOT && parts[4] === COMMAND_SEGMENT
      ? ok
      : no('NOT_ALLOWED', `publish to ${topic}: services publish commands only (or/.../cmd/...)`);
  }
  const parsed = parseTopic(topic);
  if (!parsed.ok) return no(parsed.error.code, parsed.error.message);
  const own = identity.address;
  const { address } = parsed;
  if (
    address.siteId !== own.siteId ||
    address.kind !== own.kind ||
    address.deviceId !== own.deviceId
  ) {
    return no(
      'NOT_OWN_TOPIC',
      `publish to ${topic}: device ${own.deviceId} publishes only under or/${own.siteId}/${own.kind}/${own.deviceId}/`,
    );
  }
  return ok;
}

/**
 * May this identity subscribe to this filter? A device only to its own command topics; a service
 * to the fleet (`or/...`), presence and `$SYS/`. `$share/` is refused outright: aedes accepts such
 * a subscription but never delivers to it, which would fail silently.
 */
export function maySubscribe(identity: Identity, filter: string): AclVerdict {
  if (filter.startsWith('$share/')) {
    return no('SHARED_SUBSCRIPTION', `subscribe ${filter}: shared subscriptions are not supported`);
  }
  if (identity.type === 'service') {
    const fleet = filter.startsWith(`${TOPIC_ROOT}/`);
    const presence = filter.startsWith(`${PRESENCE_ROOT}/`);
    const sys = filter.startsWith('$SYS/');
    return fleet || presence || sys
      ? ok
      : no(
          'NOT_ALLOWED',
          `subscribe ${filter}: services subscribe to or/..., ${PRESENCE_ROOT}/... or $SYS/...`,
        );
  }
  const mine = commandFilter(identity.address); // or/s/k/id/cmd/#
  const prefix = mine.slice(0, -1); // or/s/k/id/cmd/
  const rest = filter.startsWith(prefix) ? filter.slice(prefix.length) : undefined;
  if (filter === mine || (rest !== undefined && rest !== '' && !/[#+]/.test(rest))) return ok;
  return no(
    'NOT_ALLOWED',
    `subscribe ${filter}: device ${identity.address.deviceId} may subscribe to ${mine} only`,
  );
}

/**
 * May this identity be sent a message published on `topic`? Exactly when it may subscribe to that
 * topic itself. aedes never asks (it checks subscriptions only); Mosquitto asks before each
 * delivery (MOSQ_ACL_READ), so an external broker enforces the same reach.
 */
export function mayReceive(identity: Identity, topic: string): AclVerdict {
  return maySubscribe(identity, topic);
}
