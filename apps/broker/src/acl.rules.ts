import { COMMAND_SEGMENT, TOPIC_ROOT, commandFilter, parseTopic } from '@orfleet/devices';
import type { DecodeErrorCode } from '@orfleet/devices';
import { PRESENCE_ROOT } from './identity';
import type { Identity } from './identity';

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
 * `or/{its site}/{its kind}/{its id}/{channel}` with a channel its kind may use (libs/devices);
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
