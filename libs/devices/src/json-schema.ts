import { CHANNELS, DEVICE_CATALOG, DEVICE_KINDS } from './catalog';
import type { Channel, DeviceKind } from './catalog';
import type { FieldSpec } from './field-spec';
import { ID_PATTERN } from './ids';
import { HEARTBEAT_SPEC, MAX_PAYLOAD_BYTES, SIGHTINGS_SPEC, payloadSpec } from './payload-spec';
import type { ObjectSpec } from './payload-spec';

/** A JSON Schema (draft 2020-12) document, as plain data. */
export type JsonSchema = { readonly [key: string]: unknown };

const SCHEMA_BASE = 'https://orfleet.dev/schemas/device-protocol';

function fieldSchema(spec: FieldSpec): JsonSchema {
  const unit = 'unit' in spec && spec.unit !== undefined ? ` (${spec.unit})` : '';
  const description = spec.description + unit;
  switch (spec.type) {
    case 'integer':
    case 'number':
      return { type: spec.type, minimum: spec.min, maximum: spec.max, description };
    case 'string':
      return { type: 'string', minLength: spec.minLength, maxLength: spec.maxLength, description };
    case 'boolean':
      return { type: 'boolean', description };
    case 'enum':
      return { type: 'string', enum: [...spec.values], description };
    case 'id':
      return { type: 'string', pattern: ID_PATTERN, description };
  }
}

function objectSchema(spec: ObjectSpec): Record<string, unknown> {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, field] of Object.entries(spec.fields)) properties[name] = fieldSchema(field);
  const required = [...spec.required];
  if (spec.list !== undefined) {
    properties[spec.list.name] = {
      type: 'array',
      description: spec.list.description,
      minItems: spec.list.minItems,
      maxItems: spec.list.maxItems,
      items: objectSchema(spec.list.item),
    };
  }
  const schema: Record<string, unknown> = {
    type: 'object',
    properties,
    additionalProperties: false,
  };
  if (required.length > 0) schema['required'] = required;
  if (spec.atLeastOneOf !== undefined) {
    schema['anyOf'] = spec.atLeastOneOf.map((name) => ({ required: [name] }));
  }
  return schema;
}

function document(id: string, title: string, channel: Channel, spec: ObjectSpec): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${SCHEMA_BASE}/${id}.schema.json`,
    title,
    description: `${title}. UTF-8 JSON, at most ${MAX_PAYLOAD_BYTES[channel]} bytes.`,
    ...objectSchema(spec),
  };
}

/** The schema file name (without `.schema.json`) for a kind's channel. */
export function schemaId(kind: DeviceKind, channel: Channel): string {
  return channel === 'heartbeat' || channel === 'sightings' ? channel : `${channel}.${kind}`;
}

/**
 * Every JSON Schema of the device protocol, keyed by schema id: `heartbeat`, `sightings`,
 * `telemetry.{kind}` and `fault.{kind}` for each kind that may publish them.
 */
export function buildJsonSchemas(): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {
    heartbeat: document(
      'heartbeat',
      'Heartbeat payload (any MQTT device)',
      'heartbeat',
      HEARTBEAT_SPEC,
    ),
    sightings: document(
      'sightings',
      'Sightings payload (base stations)',
      'sightings',
      SIGHTINGS_SPEC,
    ),
  };
  for (const kind of DEVICE_KINDS) {
    for (const channel of CHANNELS) {
      const spec = payloadSpec(kind, channel);
      const id = schemaId(kind, channel);
      if (spec === undefined || id in schemas) continue;
      const label = DEVICE_CATALOG[kind].label;
      schemas[id] = document(
        id,
        `${channel === 'fault' ? 'Fault' : 'Telemetry'} payload: ${label}`,
        channel,
        spec,
      );
    }
  }
  return schemas;
}
