import { DEVICE_CATALOG } from './catalog';
import type { Channel, DeviceKind } from './catalog';
import {
  FAULT_COMMON_FIELDS,
  HEARTBEAT_FIELDS,
  MAX_SIGHTINGS,
  SIGHTING_ENTRY_FIELDS,
  TELEMETRY_FIELDS,
  TS_FIELD,
  oneOf,
} from './field-spec';
import type { FieldSpecs } from './field-spec';

/** Shape of one JSON payload object; validators and JSON Schemas are both built from it. */
export interface ObjectSpec {
  readonly title: string;
  readonly fields: FieldSpecs;
  readonly required: readonly string[];
  /** At least one of these must be present (telemetry must say something). */
  readonly atLeastOneOf?: readonly string[];
  /** One array-of-objects field (sightings' `devices`). */
  readonly list?: {
    readonly name: string;
    readonly description: string;
    readonly minItems: number;
    readonly maxItems: number;
    readonly item: ObjectSpec;
  };
}

/** Payload size limits, checked on the raw bytes before parsing. */
export const MAX_PAYLOAD_BYTES: Readonly<Record<Channel, number>> = {
  heartbeat: 16 * 1024,
  telemetry: 16 * 1024,
  fault: 16 * 1024,
  sightings: 256 * 1024,
};

export const HEARTBEAT_SPEC: ObjectSpec = {
  title: 'heartbeat',
  fields: HEARTBEAT_FIELDS,
  required: [],
};

export const SIGHTINGS_SPEC: ObjectSpec = {
  title: 'sightings',
  fields: { ts: TS_FIELD },
  required: ['ts'],
  list: {
    name: 'devices',
    description: 'BLE devices heard since the last batch, one entry per device',
    minItems: 1,
    maxItems: MAX_SIGHTINGS,
    item: { title: 'sighting', fields: SIGHTING_ENTRY_FIELDS, required: ['id', 'rssi_dbm'] },
  },
};

function telemetrySpec(kind: DeviceKind): ObjectSpec {
  const names = DEVICE_CATALOG[kind].telemetry;
  const fields: Record<string, FieldSpecs[string]> = { ts: TS_FIELD };
  for (const name of names) fields[name] = TELEMETRY_FIELDS[name];
  return { title: `telemetry of ${kind}`, fields, required: [], atLeastOneOf: names };
}

function faultSpec(kind: DeviceKind): ObjectSpec {
  const codes = Object.keys(DEVICE_CATALOG[kind].faults);
  return {
    title: `fault of ${kind}`,
    fields: { code: oneOf(codes, `Fault code this kind may raise`), ...FAULT_COMMON_FIELDS },
    required: ['code', 'state'],
  };
}

/** The payload spec for a kind and channel, or undefined when that kind may not publish it. */
export function payloadSpec(kind: DeviceKind, channel: Channel): ObjectSpec | undefined {
  if (!DEVICE_CATALOG[kind].channels.includes(channel)) return undefined;
  switch (channel) {
    case 'heartbeat':
      return HEARTBEAT_SPEC;
    case 'telemetry':
      return telemetrySpec(kind);
    case 'fault':
      return faultSpec(kind);
    case 'sightings':
      return SIGHTINGS_SPEC;
  }
}
