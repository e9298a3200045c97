import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import {
  CHANNELS,
  DEVICE_CATALOG,
  DEVICE_KINDS,
  buildJsonSchemas,
  decodeMessage,
  parseTopic,
  schemaId,
  toLines,
} from './index';
import type { Channel, DeviceKind } from './index';

/**
 * Golden fixtures: sample payloads in, expected points or errors out. Each file under
 * libs/devices/fixtures/ is one kind; docs/device-protocol/README.md describes the format.
 */
interface FixtureCase {
  name: string;
  channel: Channel;
  topic: string;
  payload?: unknown;
  payloadText?: string;
  payloadBase64?: string;
  expect: { lines: string[]; warnings?: string[] } | { errors: { code: string; field?: string }[] };
}
interface FixtureFile {
  kind: DeviceKind;
  model: string;
  receivedAt: number;
  cases: FixtureCase[];
}

const dir = path.join(__dirname, '..', 'fixtures');
const files: FixtureFile[] = readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as FixtureFile);

const rawPayload = (c: FixtureCase): Buffer =>
  c.payloadBase64 !== undefined
    ? Buffer.from(c.payloadBase64, 'base64')
    : Buffer.from(c.payloadText ?? JSON.stringify(c.payload));

const rows = files.flatMap((file) => file.cases.map((c) => [file.kind, c.name, file, c] as const));

describe('golden fixtures', () => {
  it.each(rows)('%s: %s', (_kind, _name, file, c) => {
    const result = decodeMessage(c.topic, rawPayload(c), file.receivedAt);
    if ('lines' in c.expect) {
      if (!result.ok) throw new Error(`expected points, got ${JSON.stringify(result.errors)}`);
      expect(toLines(result.message, { model: file.model })).toEqual(c.expect.lines);
      expect(result.message.warnings.map((w) => w.code)).toEqual(c.expect.warnings ?? []);
    } else {
      if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.message)}`);
      const got = result.errors.map((e) =>
        e.field ? { code: e.code, field: e.field } : { code: e.code },
      );
      expect(got).toEqual(c.expect.errors);
      for (const error of result.errors) expect(error.message.length).toBeGreaterThan(10);
    }
  });

  it('has one file per kind', () => {
    expect(files.map((f) => f.kind).sort()).toEqual([...DEVICE_KINDS].sort());
  });

  const matrix = DEVICE_KINDS.flatMap((kind) =>
    CHANNELS.map((channel) => [kind, channel] as const),
  );

  it.each(matrix)(
    'covers %s × %s with a broken payload, and a valid one where allowed',
    (kind, channel) => {
      const cases = files
        .filter((f) => f.kind === kind)
        .flatMap((f) => f.cases)
        .filter((c) => c.channel === channel);
      expect(cases.some((c) => 'errors' in c.expect)).toBe(true);
      const allowed = DEVICE_CATALOG[kind].channels.includes(channel);
      expect(cases.some((c) => 'lines' in c.expect)).toBe(allowed);
    },
  );
});

describe('JSON Schemas agree with the validator on every fixture', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  const schemas = buildJsonSchemas();
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);

  // Cases a JSON Schema can judge: a routable topic and a payload that is a parsed JSON value.
  // Size, UTF-8 and JSON syntax are checked before the schema applies (docs/device-protocol).
  const judged = rows.filter(([, , , c]) => c.payload !== undefined && parseTopic(c.topic).ok);

  it('judges enough cases to mean something', () => {
    expect(judged.length).toBeGreaterThan(80);
  });

  it.each(judged)('%s: %s', (kind, _name, file, c) => {
    const schema = schemas[schemaId(kind, c.channel)];
    if (schema === undefined) throw new Error(`no schema for ${kind} ${c.channel}`);
    const validate = ajv.getSchema(schema['$id'] as string);
    if (validate === undefined) throw new Error('schema not compiled');
    const schemaSaysValid = validate(c.payload);
    const validatorSaysValid = decodeMessage(c.topic, rawPayload(c), file.receivedAt).ok;
    // toMatchObject prints the schema's own errors when the verdicts differ.
    expect({ verdict: schemaSaysValid, schemaErrors: validate.errors ?? [] }).toMatchObject({
      verdict: validatorSaysValid,
    });
  });
});
