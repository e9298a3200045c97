/** Why a topic or payload was refused. Every code is counted by reason downstream. */
export type DecodeErrorCode =
  | 'TOPIC_INVALID'
  | 'ID_INVALID'
  | 'KIND_UNKNOWN'
  | 'CHANNEL_UNKNOWN'
  | 'CHANNEL_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'PAYLOAD_NOT_UTF8'
  | 'PAYLOAD_NOT_JSON'
  | 'PAYLOAD_NOT_OBJECT'
  | 'PAYLOAD_EMPTY'
  | 'FIELD_MISSING'
  | 'FIELD_UNKNOWN'
  | 'FIELD_INVALID';

export interface DecodeError {
  readonly code: DecodeErrorCode;
  /** Dotted path of the offending field, e.g. `devices[3].rssi_dbm`; absent for whole-message errors. */
  readonly field?: string;
  readonly message: string;
}

/** Problems that do not refuse the message but are worth counting. */
export interface DecodeWarning {
  readonly code: 'CLOCK_SKEW';
  readonly message: string;
  /** Device clock minus receiver clock. */
  readonly skewMs: number;
}

/** At most this many field errors are reported per message: enough to fix firmware, bounded work. */
export const MAX_ERRORS_PER_MESSAGE = 10;

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
