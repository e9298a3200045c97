import type { FieldSpec } from './field-spec';
import {
  FAULT_COMMON_FIELDS,
  HEARTBEAT_FIELDS,
  SIGHTING_ENTRY_FIELDS,
  TELEMETRY_FIELDS,
} from './field-spec';
import type { DeviceMessage } from './messages';

/**
 * InfluxDB line protocol for device messages (docs/telemetry-schema.md). One measurement per
 * channel; tags only low-cardinality keys; numbers as fields; millisecond precision.
 */
export const MEASUREMENTS = {
  heartbeat: 'heartbeat',
  telemetry: 'telemetry',
  fault: 'fault',
  sightings: 'sighting',
} as const;

/** Registry facts the payload does not carry. */
export interface PointContext {
  /** Device model from the registry, when known. */
  readonly model?: string;
}

// Line protocol cannot carry a newline in a tag, and cannot escape a trailing backslash
// (InfluxDB 1.x/2.x; telegraf#3004): such characters are dropped from tag values.
// eslint-disable-next-line no-control-regex
const TAG_CONTROL = /[\u0000-\u001f\u007f]/g;
const TAG_SPECIAL = /[,= ]/g;
const TRAILING_BACKSLASHES = /\\+$/;
const MEASUREMENT_SPECIAL = /[, ]/g;

/** Escapes a tag key, tag value or field key; undefined when nothing printable is left. */
export function escapeTag(value: string): string | undefined {
  const clean = value.replace(TAG_CONTROL, '').replace(TRAILING_BACKSLASHES, '');
  return clean === '' ? undefined : clean.replace(TAG_SPECIAL, '\\$&');
}

export function escapeMeasurement(value: string): string {
  return value.replace(MEASUREMENT_SPECIAL, '\\$&');
}

/** A string field value, quoted. Newlines are kept as the two characters `\n`. */
export function quoteString(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

function formatField(spec: FieldSpec, value: unknown): string {
  switch (spec.type) {
    case 'integer':
      return `${value as number}i`;
    case 'number':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
    case 'enum':
    case 'id':
      return quoteString(value as string);
  }
}

type Tags = readonly (readonly [string, string | undefined])[];

/** One line: tags sorted by key (InfluxDB's recommended order), fields sorted by key. */
function line(measurement: string, tags: Tags, fields: string[], tsMs: number): string {
  let out = escapeMeasurement(measurement);
  for (const [key, raw] of [...tags].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const value = raw === undefined ? undefined : escapeTag(raw);
    if (value !== undefined) out += `,${key}=${value}`;
  }
  return `${out} ${fields.sort().join(',')} ${tsMs}`;
}

function specFields(
  specs: Readonly<Record<string, FieldSpec>>,
  payload: object,
  into: string[],
): string[] {
  const values = payload as Readonly<Record<string, unknown>>;
  for (const key in values) {
    if (key === 'ts') continue; // the point's timestamp, not a field
    const spec = specs[key];
    if (spec !== undefined) into.push(`${key}=${formatField(spec, values[key])}`);
  }
  return into;
}

/**
 * The points a valid message becomes, as line-protocol lines at ms precision. Sightings fan out
 * into one point per heard device, tagged with the base station that heard it.
 */
export function toLines(message: DeviceMessage, context: PointContext = {}): string[] {
  const { address, ts } = message;
  const deviceTags: Tags = [
    ['site', address.siteId],
    ['kind', address.kind],
    ['device', address.deviceId],
    ['model', context.model],
  ];
  const extra: string[] = [];
  const skew = message.warnings.find((w) => w.code === 'CLOCK_SKEW');
  if (skew !== undefined) extra.push(`clock_skew_ms=${skew.skewMs}i`);

  switch (message.channel) {
    case 'heartbeat':
      // `beat` makes `{}` a point: an empty heartbeat still proves the device is alive.
      return [
        line(
          MEASUREMENTS.heartbeat,
          deviceTags,
          specFields(HEARTBEAT_FIELDS, message.payload, ['beat=1i', ...extra]),
          ts,
        ),
      ];
    case 'telemetry':
      return [
        line(
          MEASUREMENTS.telemetry,
          deviceTags,
          specFields(TELEMETRY_FIELDS, message.payload, extra),
          ts,
        ),
      ];
    case 'fault': {
      const { code, state } = message.payload;
      const fields = specFields(FAULT_COMMON_FIELDS, message.payload, [
        `active=${state === 'raised' ? 'true' : 'false'}`,
        ...extra,
      ]);
      return [line(MEASUREMENTS.fault, [...deviceTags, ['code', code]], fields, ts)];
    }
    case 'sightings':
      return message.payload.devices.map((entry) => {
        const fields: string[] = [...extra];
        for (const key in entry) {
          const spec = key === 'id' ? undefined : SIGHTING_ENTRY_FIELDS[key];
          if (spec !== undefined)
            fields.push(`${key}=${formatField(spec, entry[key as keyof typeof entry])}`);
        }
        const tags: Tags = [
          ['site', address.siteId],
          ['gateway', address.deviceId],
          ['device', entry.id],
        ];
        return line(MEASUREMENTS.sightings, tags, fields, ts);
      });
  }
}
