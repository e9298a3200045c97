import { CHANNELS, DEVICE_CATALOG, isDeviceKind } from './catalog';
import type { Channel, DeviceKind } from './catalog';
import type { DecodeError } from './errors';
import { isValidId } from './ids';

/**
 * Topic scheme (MQTT 3.1.1): `or/{siteId}/{kind}/{deviceId}/{channel}` for device → server, and
 * `or/{siteId}/{kind}/{deviceId}/cmd/...` for server → device (devices only subscribe to it).
 */
export const TOPIC_ROOT = 'or';
export const COMMAND_SEGMENT = 'cmd';

export interface DeviceAddress {
  readonly siteId: string;
  readonly kind: DeviceKind;
  readonly deviceId: string;
}

export type ParsedTopic =
  | { readonly ok: true; readonly address: DeviceAddress; readonly channel: Channel }
  | { readonly ok: false; readonly error: DecodeError };

const fail = (code: DecodeError['code'], message: string): ParsedTopic => ({
  ok: false,
  error: { code, message },
});

function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

/** Parses a topic a device published on. Never throws. */
export function parseTopic(topic: string): ParsedTopic {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== TOPIC_ROOT) {
    if (parts.length > 5 && parts[0] === TOPIC_ROOT && parts[4] === COMMAND_SEGMENT) {
      return fail('CHANNEL_NOT_ALLOWED', `topic ${topic}: cmd/ is server to device only`);
    }
    return fail('TOPIC_INVALID', `topic ${topic}: expected or/{site}/{kind}/{device}/{channel}`);
  }
  const [, siteId = '', kind = '', deviceId = '', channel = ''] = parts;
  if (!isValidId(siteId)) return fail('ID_INVALID', `topic ${topic}: bad site id "${siteId}"`);
  if (!isDeviceKind(kind)) return fail('KIND_UNKNOWN', `topic ${topic}: unknown kind "${kind}"`);
  if (!isValidId(deviceId)) {
    return fail('ID_INVALID', `topic ${topic}: bad device id "${deviceId}"`);
  }
  if (!isChannel(channel)) {
    return fail('CHANNEL_UNKNOWN', `topic ${topic}: unknown channel "${channel}"`);
  }
  const definition = DEVICE_CATALOG[kind];
  if (definition.transport === 'ble') {
    return fail(
      'CHANNEL_NOT_ALLOWED',
      `topic ${topic}: ${kind} is a BLE device, heard only through base station sightings`,
    );
  }
  if (!definition.channels.includes(channel)) {
    return fail('CHANNEL_NOT_ALLOWED', `topic ${topic}: kind ${kind} may not publish ${channel}`);
  }
  return { ok: true, address: { siteId, kind, deviceId }, channel };
}

export function buildTopic(address: DeviceAddress, channel: Channel): string {
  return `${TOPIC_ROOT}/${address.siteId}/${address.kind}/${address.deviceId}/${channel}`;
}

/** Topic the platform publishes a command on, e.g. `cmd/reboot`. */
export function commandTopic(address: DeviceAddress, command: string): string {
  return `${TOPIC_ROOT}/${address.siteId}/${address.kind}/${address.deviceId}/${COMMAND_SEGMENT}/${command}`;
}

/** The one filter a device may subscribe to. */
export function commandFilter(address: DeviceAddress): string {
  return `${TOPIC_ROOT}/${address.siteId}/${address.kind}/${address.deviceId}/${COMMAND_SEGMENT}/#`;
}

/** Filters a consumer of the whole fleet (ingest, health rules) subscribes to. */
export const FLEET_FILTERS: readonly string[] = CHANNELS.map(
  (channel) => `${TOPIC_ROOT}/+/+/+/${channel}`,
);
