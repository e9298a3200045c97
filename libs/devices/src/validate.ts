import { CHANNELS, DEVICE_KINDS } from './catalog';
import type { Channel, DeviceKind } from './catalog';
import { MAX_ERRORS_PER_MESSAGE, describeValue } from './errors';
import type { DecodeError } from './errors';
import type { FieldSpec } from './field-spec';
import { isValidId } from './ids';
import { payloadSpec } from './payload-spec';
import type { ObjectSpec } from './payload-spec';

/**
 * A payload spec turned into lookup tables once, so the per-message work is a key walk with
 * one Map lookup per key and no allocation unless something is wrong.
 */
interface CompiledSpec {
  readonly title: string;
  readonly fields: ReadonlyMap<string, FieldSpec>;
  readonly required: readonly string[];
  readonly atLeastOneOf: readonly string[] | undefined;
  readonly list:
    | {
        readonly name: string;
        readonly minItems: number;
        readonly maxItems: number;
        readonly item: CompiledSpec;
      }
    | undefined;
}

function compile(spec: ObjectSpec): CompiledSpec {
  return {
    title: spec.title,
    fields: new Map(Object.entries(spec.fields)),
    required: spec.required,
    atLeastOneOf: spec.atLeastOneOf,
    list: spec.list && {
      name: spec.list.name,
      minItems: spec.list.minItems,
      maxItems: spec.list.maxItems,
      item: compile(spec.list.item),
    },
  };
}

const COMPILED = new Map<string, CompiledSpec>();
for (const kind of DEVICE_KINDS) {
  for (const channel of CHANNELS) {
    const spec = payloadSpec(kind, channel);
    if (spec) COMPILED.set(`${kind}/${channel}`, compile(spec));
  }
}

/** Why a field value is wrong, or undefined when it is right. */
function checkField(spec: FieldSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        return `expected an integer ${spec.min}..${spec.max}, got ${describeValue(value)}`;
      }
      return value < spec.min || value > spec.max
        ? `expected ${spec.min}..${spec.max}, got ${describeValue(value)}`
        : undefined;
    case 'number':
      if (typeof value !== 'number') {
        return `expected a number ${spec.min}..${spec.max}, got ${describeValue(value)}`;
      }
      // JSON.parse turns 1e999 into Infinity; the range check refuses it.
      return value < spec.min || value > spec.max || Number.isNaN(value)
        ? `expected ${spec.min}..${spec.max}, got ${describeValue(value)}`
        : undefined;
    case 'string':
      if (typeof value !== 'string') return `expected a string, got ${describeValue(value)}`;
      return value.length < spec.minLength || value.length > spec.maxLength
        ? `expected ${spec.minLength}..${spec.maxLength} characters, got ${value.length}`
        : undefined;
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : `expected true or false, got ${describeValue(value)}`;
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value)
        ? undefined
        : `expected one of ${spec.values.join('|')}, got ${describeValue(value)}`;
    case 'id':
      return isValidId(value)
        ? undefined
        : `expected an id matching [a-z0-9][a-z0-9-]{1,62}, got ${describeValue(value)}`;
  }
}

function push(errors: DecodeError[], error: DecodeError): void {
  if (errors.length < MAX_ERRORS_PER_MESSAGE) errors.push(error);
}

function validateObject(
  value: Record<string, unknown>,
  spec: CompiledSpec,
  prefix: string,
  errors: DecodeError[],
): void {
  for (const key in value) {
    const fieldSpec = spec.fields.get(key);
    const path = prefix + key;
    if (fieldSpec !== undefined) {
      const problem = checkField(fieldSpec, value[key]);
      if (problem !== undefined) {
        push(errors, { code: 'FIELD_INVALID', field: path, message: `field ${path}: ${problem}` });
      }
    } else if (spec.list !== undefined && key === spec.list.name) {
      validateList(value[key], spec.list, path, errors);
    } else {
      push(errors, {
        code: 'FIELD_UNKNOWN',
        field: path,
        message: `field ${path}: not part of the ${spec.title} payload`,
      });
    }
  }
  for (const key of spec.required) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) {
      const path = prefix + key;
      push(errors, { code: 'FIELD_MISSING', field: path, message: `field ${path}: required` });
    }
  }
  if (spec.atLeastOneOf !== undefined && !spec.atLeastOneOf.some((key) => key in value)) {
    push(errors, {
      code: 'PAYLOAD_EMPTY',
      message: `${spec.title}: no fields; expected at least one of ${spec.atLeastOneOf.join(', ')}`,
    });
  }
}

function validateList(
  value: unknown,
  list: NonNullable<CompiledSpec['list']>,
  path: string,
  errors: DecodeError[],
): void {
  if (!Array.isArray(value)) {
    push(errors, {
      code: 'FIELD_INVALID',
      field: path,
      message: `field ${path}: expected an array, got ${describeValue(value)}`,
    });
    return;
  }
  if (value.length < list.minItems || value.length > list.maxItems) {
    push(errors, {
      code: 'FIELD_INVALID',
      field: path,
      message: `field ${path}: expected ${list.minItems}..${list.maxItems} entries, got ${value.length}`,
    });
    return;
  }
  for (let i = 0; i < value.length && errors.length < MAX_ERRORS_PER_MESSAGE; i++) {
    const entry: unknown = value[i];
    const entryPath = `${path}[${i}]`;
    if (!isPlainObject(entry)) {
      push(errors, {
        code: 'FIELD_INVALID',
        field: entryPath,
        message: `field ${entryPath}: expected an object, got ${describeValue(entry)}`,
      });
    } else {
      validateObject(entry, list.item, `${entryPath}.`, errors);
    }
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a parsed payload against the spec for its kind and channel. Returns the errors found
 * (empty when valid), at most MAX_ERRORS_PER_MESSAGE. The caller has checked the topic, so the
 * kind may publish the channel.
 */
export function validatePayload(kind: DeviceKind, channel: Channel, value: unknown): DecodeError[] {
  const spec = COMPILED.get(`${kind}/${channel}`);
  if (spec === undefined) {
    return [{ code: 'CHANNEL_NOT_ALLOWED', message: `kind ${kind} may not publish ${channel}` }];
  }
  if (!isPlainObject(value)) {
    return [
      {
        code: 'PAYLOAD_NOT_OBJECT',
        message: `payload: expected a JSON object, got ${describeValue(value)}`,
      },
    ];
  }
  const errors: DecodeError[] = [];
  validateObject(value, spec, '', errors);
  return errors;
}
