import { escapeMeasurement, escapeTag } from '@orfleet/devices';

/**
 * Platform self-metrics as pure decisions: the Prometheus text format (0.0.4) the services'
 * `/metrics` serve, parsed into samples, and the samples as InfluxDB line protocol in measurement
 * `orfleet_self`, shaped like Telegraf's `inputs.prometheus` with `metric_version = 2`: one field
 * per sample named after it (`x_total`; a histogram's `x_bucket` with tag `le`, `x_sum`,
 * `x_count`), tags `service`, `instance` and every label. Samples sharing tags and time share a
 * line. The scraper (self-metrics-scraper.ts) fetches and writes; docs/operations.md, "Platform
 * self-metrics".
 */

export const SELF_MEASUREMENT = 'orfleet_self';

/** The services whose `/metrics` the ingest scrapes; the `service` tag. */
export const SELF_SERVICES = ['broker', 'ingest', 'api'] as const;
export type SelfService = (typeof SELF_SERVICES)[number];

export interface SelfMetricsTarget {
  readonly service: SelfService;
  /** http(s) URL of a Prometheus text endpoint. */
  readonly url: string;
  /** `host:port` of the URL (the `instance` tag). */
  readonly instance: string;
}

export type PrometheusType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  /** The sample's own name: `x_total`, `x_bucket`, `x_sum`, … */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Milliseconds, when the exposition carried one. */
  readonly timestampMs: number | undefined;
  /** The `# TYPE` of its family (untyped without one). */
  readonly type: PrometheusType;
}

export interface PromParseError {
  /** 1-based line number in the exposition. */
  readonly line: number;
  readonly message: string;
}

export interface PromParseResult {
  readonly samples: PromSample[];
  /** Lines that could not be read; the rest of the exposition is still used. */
  readonly errors: PromParseError[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
// the suffixes under which a histogram's or summary's samples appear (Prometheus text 0.0.4)
const FAMILY_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/**
 * A sample value as Go's ParseFloat reads it: ordinary floats, and NaN / Inf in any case with an
 * optional sign (prom-client prints NaN as "Nan").
 */
function parseValue(text: string): number | undefined {
  if (/^nan$/i.test(text)) return NaN;
  const inf = /^([+-]?)inf(inity)?$/i.exec(text);
  if (inf !== null) return inf[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Reads `{a="x",b="y"}` from `text` at `start`; the labels and where it ended, or a problem. */
function parseLabels(
  text: string,
  start: number,
): { labels: Record<string, string>; end: number } | { problem: string } {
  const labels: Record<string, string> = {};
  let i = start + 1; // past '{'
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '}') return { labels, end: i + 1 };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (name === undefined) return { problem: `bad label name at column ${i + 1}` };
    i += name.length;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '=') return { problem: `expected = after label ${name}` };
    i++;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '"') return { problem: `expected a quoted value for label ${name}` };
    i++;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return { problem: `unterminated value of label ${name}` };
      if (c === '"') break;
      if (c === '\\') {
        const next = text[i + 1];
        // text format 0.0.4: label values escape \\, \" and \n
        if (next === '\\' || next === '"') value += next;
        else if (next === 'n') value += '\n';
        else return { problem: `bad escape \\${next ?? ''} in label ${name}` };
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++; // past the closing quote
    if (Object.prototype.hasOwnProperty.call(labels, name)) {
      return { problem: `label ${name} given twice` };
    }
    labels[name] = value;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return { labels, end: i + 1 };
    return { problem: `expected , or } after label ${name}` };
  }
}

/**
 * Parses a Prometheus text exposition (format 0.0.4, what prom-client serves). Never throws: a
 * line it cannot read is reported in `errors` and skipped, the others are kept.
 */
export function parsePrometheusText(text: string): PromParseResult {
  const samples: PromSample[] = [];
  const errors: PromParseError[] = [];
  const types = new Map<string, PrometheusType>();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? '').replace(/\r$/, '');
    const number = index + 1;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^#\s*TYPE\s+(\S+)\s+(\S+)\s*$/.exec(line);
      if (type !== null) {
        const [, name = '', kind = ''] = type;
        if (!TYPES.has(kind)) errors.push({ line: number, message: `unknown metric type ${kind}` });
        else types.set(name, kind as PrometheusType);
      }
      continue; // HELP and other comments carry nothing to store
    }
    const trimmed = line.replace(/^[ \t]+/, '');
    const name = NAME.exec(trimmed)?.[0];
    if (name === undefined) {
      errors.push({ line: number, message: 'expected a metric name' });
      continue;
    }
    let rest = trimmed.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest, 0);
      if ('problem' in parsed) {
        errors.push({ line: number, message: `${name}: ${parsed.problem}` });
        continue;
      }
      labels = parsed.labels;
      rest = rest.slice(parsed.end);
    }
    const parts = rest.trim().split(/[ \t]+/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '' || !/^[ \t]/.test(rest)) {
      errors.push({ line: number, message: `${name}: expected a value (and a timestamp)` });
      continue;
    }
    const value = parseValue(parts[0] ?? '');
    if (value === undefined) {
      errors.push({ line: number, message: `${name}: bad value "${parts[0] ?? ''}"` });
      continue;
    }
    let timestampMs: number | undefined;
    if (parts[1] !== undefined) {
      timestampMs = /^-?\d+$/.test(parts[1]) ? Number(parts[1]) : NaN;
      if (!Number.isSafeInteger(timestampMs)) {
        errors.push({ line: number, message: `${name}: bad timestamp "${parts[1]}"` });
        continue;
      }
    }
    samples.push({ name, labels, value, timestampMs, type: familyType(name, types) });
  }
  return { samples, errors };
}

function familyType(name: string, types: ReadonlyMap<string, PrometheusType>): PrometheusType {
  const own = types.get(name);
  if (own !== undefined) return own;
  for (const suffix of FAMILY_SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const family = types.get(name.slice(0, -suffix.length));
    if (family === 'histogram' || family === 'summary') return family;
  }
  return 'untyped';
}

export interface SelfLinesResult {
  readonly lines: string[];
  /** Samples left out: InfluxDB stores no NaN or ±Inf, and a sample repeated in one scrape. */
  readonly skipped: { readonly nonFinite: number; readonly duplicate: number };
}

// tags the scraper sets; a sample's own label of that name is kept as exported_<name>, as
// Prometheus does with honor_labels=false
const RESERVED_TAGS: ReadonlySet<string> = new Set(['service', 'instance']);

/**
 * The samples of one scrape as line protocol (ms precision) for measurement `orfleet_self`. Tag
 * sets sorted by key; samples with the same tags and time become one line with several fields.
 * Values are always floats, so a counter that happens to be whole never conflicts with itself.
 */
export function selfMetricLines(
  samples: readonly PromSample[],
  target: Pick<SelfMetricsTarget, 'service' | 'instance'>,
  scrapedAtMs: number,
): SelfLinesResult {
  const points = new Map<string, { head: string; time: number; fields: Map<string, string> }>();
  let nonFinite = 0;
  let duplicate = 0;
  for (const sample of samples) {
    // InfluxDB 1.x-3.x line protocol has no NaN or Inf (Telegraf drops them too)
    if (!Number.isFinite(sample.value)) {
      nonFinite++;
      continue;
    }
    const tags: [string, string][] = [
      ['service', target.service],
      ['instance', target.instance],
    ];
    for (const [key, value] of Object.entries(sample.labels)) {
      tags.push([RESERVED_TAGS.has(key) ? `exported_${key}` : key, value]);
    }
    tags.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let head = escapeMeasurement(SELF_MEASUREMENT);
    for (const [key, value] of tags) {
      const k = escapeTag(key);
      const v = escapeTag(value);
      // Prometheus: an empty label value is the same as no label
      if (k !== undefined && v !== undefined) head += `,${k}=${v}`;
    }
    const time = sample.timestampMs ?? scrapedAtMs;
    const key = `${head} ${time}`;
    let point = points.get(key);
    if (point === undefined) {
      point = { head, time, fields: new Map() };
      points.set(key, point);
    }
    const field = escapeTag(sample.name) ?? sample.name;
    if (point.fields.has(field)) {
      duplicate++;
      continue;
    }
    point.fields.set(field, formatFloat(sample.value));
  }
  const lines: string[] = [];
  for (const point of points.values()) {
    const fields = [...point.fields].map(([k, v]) => `${k}=${v}`).join(',');
    lines.push(`${point.head} ${fields} ${point.time}`);
  }
  return { lines, skipped: { nonFinite, duplicate } };
}

/** A float as line protocol reads it: plain digits, or exponent notation for large/small. */
function formatFloat(value: number): string {
  // String() gives "1e+21" or "5e-7", which InfluxDB's float parser accepts; -0 becomes 0
  return Object.is(value, -0) ? '0' : String(value);
}

export type TargetsParse =
  | { readonly ok: true; readonly targets: SelfMetricsTarget[] }
  | { readonly ok: false; readonly problems: string[] };

/**
 * `broker=http://broker:9101/metrics,api=http://api:3000/metrics` → targets. A service may be
 * named several times (several brokers); the same URL twice is a mistake.
 */
export function parseSelfMetricsTargets(text: string): TargetsParse {
  const problems: string[] = [];
  const targets: SelfMetricsTarget[] = [];
  const seen = new Set<string>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const service = eq === -1 ? '' : part.slice(0, eq).trim();
    const url = eq === -1 ? '' : part.slice(eq + 1).trim();
    if (!(SELF_SERVICES as readonly string[]).includes(service)) {
      problems.push(
        `"${part}": expected <service>=<url> with service one of ${SELF_SERVICES.join(', ')}`,
      );
      continue;
    }
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      problems.push(`"${part}": expected an http(s) URL like http://broker:9101/metrics`);
      continue;
    }
    if (seen.has(parsed.href)) {
      problems.push(`"${part}": ${parsed.href} is named twice`);
      continue;
    }
    seen.add(parsed.href);
    const port = parsed.port !== '' ? parsed.port : parsed.protocol === 'https:' ? '443' : '80';
    targets.push({
      service: service as SelfService,
      url: parsed.href,
      instance: `${parsed.hostname}:${port}`,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, targets };
}
