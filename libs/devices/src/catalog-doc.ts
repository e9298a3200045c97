import { DEVICE_CATALOG, DEVICE_KINDS } from './catalog';
import { FAULT_CATALOG, FAULT_CODES } from './faults';
import type { FieldSpec, FieldSpecs } from './field-spec';
import { HEARTBEAT_FIELDS, SIGHTING_ENTRY_FIELDS, TELEMETRY_FIELDS } from './field-spec';
import { PART_CATALOG } from './parts';

/**
 * The catalog as Markdown tables for docs/device-protocol/README.md, so the document a firmware
 * team reads is generated from the code the platform runs (a spec checks they are equal).
 */
export function renderCatalogTables(): string {
  return [
    '### Device kinds',
    '',
    table(
      [
        'kind',
        'transport',
        'channels',
        'heartbeat',
        'missing after',
        'severity when missing',
        'parts when missing',
      ],
      DEVICE_KINDS.map((kind) => {
        const d = DEVICE_CATALOG[kind];
        return [
          `\`${kind}\``,
          d.transport,
          d.channels.length > 0 ? d.channels.join(', ') : '— (heard in sightings)',
          `${d.heartbeatIntervalS} s`,
          `${d.missesBeforeMissing} beats (${d.heartbeatIntervalS * d.missesBeforeMissing} s)`,
          d.severityWhenMissing,
          d.missingParts.join(', '),
        ];
      }),
    ),
    '',
    '### Faults',
    '',
    table(
      ['code', 'action', 'description', 'severity and parts by kind'],
      FAULT_CODES.map((code) => {
        const byKind = DEVICE_KINDS.flatMap((kind) => {
          const rule = DEVICE_CATALOG[kind].faults[code];
          if (rule === undefined) return [];
          const parts = rule.parts.length > 0 ? ` (${rule.parts.join(', ')})` : '';
          return [`${kind}: ${rule.severity}${parts}`];
        });
        const f = FAULT_CATALOG[code];
        return [`\`${code}\``, f.action, f.description, byKind.join('; ')];
      }),
    ),
    '',
    '### Heartbeat fields',
    '',
    fieldTable(HEARTBEAT_FIELDS),
    '',
    '### Telemetry fields',
    '',
    table(
      ['field', 'type', 'range', 'unit', 'kinds', 'meaning'],
      Object.entries(TELEMETRY_FIELDS).map(([name, spec]) => [
        `\`${name}\``,
        ...describeField(spec),
        DEVICE_KINDS.filter((k) =>
          (DEVICE_CATALOG[k].telemetry as readonly string[]).includes(name),
        ).join(', '),
        spec.description,
      ]),
    ),
    '',
    '### Sighting entry fields',
    '',
    fieldTable(SIGHTING_ENTRY_FIELDS),
    '',
    '### Parts',
    '',
    table(
      ['part number', 'name', 'default store'],
      Object.values(PART_CATALOG).map((p) => [`\`${p.partNumber}\``, p.name, p.defaultTier]),
    ),
  ].join('\n');
}

function describeField(spec: FieldSpec): [string, string, string] {
  const unit = 'unit' in spec && spec.unit !== undefined ? spec.unit : '';
  switch (spec.type) {
    case 'integer':
    case 'number':
      return [spec.type, `${spec.min}..${spec.max}`, unit];
    case 'string':
      return ['string', `${spec.minLength}..${spec.maxLength} chars`, unit];
    case 'boolean':
      return ['boolean', 'true, false', unit];
    case 'enum':
      return ['string', spec.values.join(', '), unit];
    case 'id':
      return ['string', 'id', unit];
  }
}

function fieldTable(fields: FieldSpecs): string {
  return table(
    ['field', 'type', 'range', 'unit', 'meaning'],
    Object.entries(fields).map(([name, spec]) => [
      `\`${name}\``,
      ...describeField(spec),
      spec.description,
    ]),
  );
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
