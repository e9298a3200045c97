import type { Channel } from './catalog';
import type { DecodeError, DecodeWarning } from './errors';
import type { DeviceMessage } from './messages';
import { MAX_PAYLOAD_BYTES } from './payload-spec';
import { parseTopic } from './topics';
import type { DeviceAddress } from './topics';
import { validatePayload } from './validate';

/** Device clocks further off than this are flagged and the receiver's time is used instead. */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1_000;
export const MAX_PAST_SKEW_MS = 30 * 24 * 60 * 60 * 1_000;

export type DecodeResult =
  | { readonly ok: true; readonly message: DeviceMessage }
  | { readonly ok: false; readonly errors: readonly DecodeError[] };

const utf8 = new TextDecoder('utf-8', { fatal: true });

const refuse = (error: DecodeError): DecodeResult => ({ ok: false, errors: [error] });

function byteLength(text: string, limit: number): number {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no exact count.
  if (text.length * 3 <= limit) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Decodes one MQTT message: topic, size, UTF-8, JSON, schema, clock skew. Never throws: bad
 * device input is a value the caller counts and dead-letters.
 */
export function decodeMessage(
  topic: string,
  payload: Uint8Array | string,
  receivedAt: number,
): DecodeResult {
  const parsed = parseTopic(topic);
  if (!parsed.ok) return refuse(parsed.error);
  return decodePayload(parsed.address, parsed.channel, payload, receivedAt);
}

/** Decodes a payload whose topic is already parsed (the broker parses topics once). */
export function decodePayload(
  address: DeviceAddress,
  channel: Channel,
  payload: Uint8Array | string,
  receivedAt: number,
): DecodeResult {
  const limit = MAX_PAYLOAD_BYTES[channel];
  let text: string;
  if (typeof payload === 'string') {
    const size = byteLength(payload, limit);
    if (size > limit) return tooLarge(channel, size, limit);
    text = payload;
  } else {
    if (payload.byteLength > limit) return tooLarge(channel, payload.byteLength, limit);
    try {
      text = utf8.decode(payload);
    } catch {
      return refuse({ code: 'PAYLOAD_NOT_UTF8', message: 'payload: not valid UTF-8' });
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return refuse({ code: 'PAYLOAD_NOT_JSON', message: `payload: not JSON (${reason})` });
  }
  const errors = validatePayload(address.kind, channel, value);
  if (errors.length > 0) return { ok: false, errors };
  const deviceTs = (value as { ts?: number }).ts;
  let ts = receivedAt;
  let warnings: readonly DecodeWarning[] = NO_WARNINGS;
  if (deviceTs !== undefined) {
    const skewMs = deviceTs - receivedAt;
    if (skewMs > MAX_FUTURE_SKEW_MS || -skewMs > MAX_PAST_SKEW_MS) {
      warnings = [
        {
          code: 'CLOCK_SKEW',
          skewMs,
          message: `ts ${deviceTs} is ${Math.round(skewMs / 1_000)} s from the receiver's clock; receiver time used`,
        },
      ];
    } else {
      ts = deviceTs;
    }
  }
  // The validator proved the payload matches the channel's shape.
  const message = { channel, address, payload: value, receivedAt, ts, warnings } as DeviceMessage;
  return { ok: true, message };
}

const NO_WARNINGS: readonly DecodeWarning[] = Object.freeze([]);

function tooLarge(channel: Channel, size: number, limit: number): DecodeResult {
  return refuse({
    code: 'PAYLOAD_TOO_LARGE',
    message: `payload: ${size} bytes, ${channel} allows at most ${limit}`,
  });
}
