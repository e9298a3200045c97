/**
 * Grafana's query interpolation, as far as our boards use it: template variables (single,
 * multi-value, All), the global time variables and the InfluxQL and PostgreSQL macros. It turns a
 * panel's query into the statement Grafana would send, so the board proofs can run it against a
 * real InfluxDB and PostgreSQL. Pure: the time range and variable selections are arguments.
 *
 * Sources: Grafana's InfluxDB datasource (`interpolateQueryExpr`, `$timeFilter` as
 * `time >= <ms>ms and time <= <ms>ms`), its SQL datasources (`$__timeFilter`, `$__timeGroup`,
 * quoting of multi-value variables), the global variables page (`$__interval`, `$__range_s`),
 * the variable syntax page (`${name:format}`) and its template service (`TemplateSrv.replace`): a
 * custom all value is inserted as it is, never escaped nor formatted, in every format but `text`
 * (which writes "All") and `percentencode` (which percent-encodes it).
 */

export type QueryDialect = 'influxql' | 'sql';

/** A template variable as the dashboard defines it and as a user has set it. */
export interface VariableSelection {
  readonly multi: boolean;
  readonly includeAll: boolean;
  /** What "All" stands for when set; otherwise All means every option. */
  readonly allValue?: string;
  /** The options the variable's query returned. */
  readonly options: readonly string[];
  /** The chosen values, or `'$__all'` for All. */
  readonly selected: readonly string[] | '$__all';
}

export interface InterpolationContext {
  readonly from: Date;
  readonly to: Date;
  /** `$__interval` as Grafana computed it for the panel, e.g. "1m" (see autoInterval). */
  readonly interval: string;
  readonly variables: Readonly<Record<string, VariableSelection>>;
}

export class InterpolationError extends Error {
  constructor(
    readonly code:
      | 'VARIABLE_UNDEFINED'
      | 'VARIABLE_EMPTY'
      | 'MACRO_UNKNOWN'
      | 'MACRO_ARGUMENTS'
      | 'INTERVAL_INVALID'
      | 'FORMAT_UNKNOWN',
    message: string,
  ) {
    super(message);
    this.name = 'InterpolationError';
  }
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds of a Grafana interval ("30s", "5m", "1d"). */
export function intervalMs(text: string): number {
  const match = /^\s*'?(\d+)(ms|s|m|h|d|w)'?\s*$/.exec(text);
  if (!match)
    throw new InterpolationError(
      'INTERVAL_INVALID',
      `interval ${JSON.stringify(text)}: want e.g. 1m`,
    );
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

// Grafana's rangeutil.roundInterval: [below this many ms, use this interval in ms].
const ROUND_INTERVAL: readonly (readonly [number, number])[] = [
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1_500, 1_000],
  [3_500, 2_000],
  [7_500, 5_000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
  [3_628_800_000, 2_592_000_000],
];

/** An interval in ms as Grafana prints it: the largest unit that divides it ("5m", "7d"). */
export function formatInterval(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit]! && ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * `$__interval` for a range, as Grafana's calculateInterval: range / maxDataPoints rounded to a
 * nice step, never below the datasource's minimum (`jsonData.timeInterval`).
 */
export function autoInterval(rangeMs: number, maxDataPoints: number, minMs: number): string {
  const raw = rangeMs / Math.max(1, maxDataPoints);
  const rounded = ROUND_INTERVAL.find(([below]) => raw < below)?.[1] ?? 31_536_000_000;
  return formatInterval(Math.max(rounded, minMs));
}

/** InfluxQL regex escaping as Grafana's InfluxDB datasource does it (`/` included). */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/** A PostgreSQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function chosen(name: string, v: VariableSelection): { values: readonly string[]; raw?: string } {
  if (v.selected === '$__all') {
    if (!v.includeAll)
      throw new InterpolationError('VARIABLE_EMPTY', `$${name}: All chosen but includeAll is off`);
    if (v.allValue !== undefined) return { values: [], raw: v.allValue };
    return { values: v.options };
  }
  return { values: v.selected };
}

/** The `${name:format}` formats we model, as Grafana's format registry writes a list of values. */
export const VARIABLE_FORMATS = [
  'regex',
  'csv',
  'raw',
  'sqlstring',
  'text',
  'percentencode',
] as const;
export type VariableFormat = (typeof VARIABLE_FORMATS)[number];

function isFormat(format: string): format is VariableFormat {
  return (VARIABLE_FORMATS as readonly string[]).includes(format);
}

function applyFormat(values: readonly string[], format: VariableFormat): string {
  switch (format) {
    case 'regex': {
      const escaped = values.map(escapeRegex);
      return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
    }
    case 'csv':
    case 'raw':
      return values.join(',');
    case 'sqlstring':
      return values.map(quoteLiteral).join(',');
    case 'text':
      return values.join(' + ');
    case 'percentencode':
      return encodeURIComponent(values.join(','));
  }
}

/**
 * One variable's text in a query of `dialect`, formatted the way Grafana formats it: with the
 * datasource's own formatting (InfluxDB: regex, PostgreSQL: quoted list) unless `format` is given.
 */
export function formatVariable(
  name: string,
  v: VariableSelection,
  dialect: QueryDialect,
  format?: string,
): string {
  if (format !== undefined && !isFormat(format)) {
    throw new InterpolationError(
      'FORMAT_UNKNOWN',
      `\${${name}:${format}}: not one of ${VARIABLE_FORMATS.join(', ')}`,
    );
  }
  const { values, raw } = chosen(name, v);
  if (raw !== undefined) {
    // a custom all value goes in verbatim, whatever the format, but for these two
    if (format === 'text') return 'All';
    if (format === 'percentencode') return encodeURIComponent(raw);
    return raw;
  }
  if (values.length === 0) {
    throw new InterpolationError(
      'VARIABLE_EMPTY',
      `$${name}: no value chosen and no option to stand for All`,
    );
  }
  if (format !== undefined) return applyFormat(values, format);
  if (!v.multi && !v.includeAll) return values[0]!; // plain variables are not escaped
  if (dialect === 'sql') return values.map(quoteLiteral).join(',');
  const escaped = values.map(escapeRegex);
  return escaped.length === 1 && v.selected !== '$__all' ? escaped[0]! : `(${escaped.join('|')})`;
}

/** Names of the template variables a query refers to (`$name`, `${name}`, `[[name]]`), in order. */
export function variablesUsed(query: string): string[] {
  const names = new Set<string>();
  for (const match of query.matchAll(VARIABLE)) {
    const name = match[1] ?? match[3] ?? match[4]!;
    if (!name.startsWith('__') && name !== 'timeFilter') names.add(name);
  }
  return [...names];
}

const VARIABLE = /\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]|\$(\w+)/g;

function builtIn(
  name: string,
  ctx: InterpolationContext,
  dialect: QueryDialect,
): string | undefined {
  const from = ctx.from.getTime();
  const to = ctx.to.getTime();
  switch (name) {
    case 'timeFilter':
      return dialect === 'influxql' ? `time >= ${from}ms and time <= ${to}ms` : undefined;
    case '__interval':
      return ctx.interval;
    case '__interval_ms':
      return String(intervalMs(ctx.interval));
    case '__from':
      return String(from);
    case '__to':
      return String(to);
    case '__range_ms':
      return String(to - from);
    case '__range_s':
      return String(Math.round((to - from) / 1_000));
    default:
      return undefined;
  }
}

/** Replaces every variable; an unknown one is an error, never left in the statement. */
export function interpolateVariables(
  query: string,
  ctx: InterpolationContext,
  dialect: QueryDialect,
): string {
  return query.replace(
    VARIABLE,
    (whole, braced?: string, format?: string, bracketed?: string, plain?: string) => {
      const name = braced ?? bracketed ?? plain!;
      const value = builtIn(name, ctx, dialect);
      if (value !== undefined) return value;
      // SQL macros ($__timeFilter(...)) are expanded afterwards
      if (dialect === 'sql' && name.startsWith('__')) return whole;
      const variable = ctx.variables[name];
      if (variable === undefined) {
        throw new InterpolationError('VARIABLE_UNDEFINED', `${whole}: no such variable or macro`);
      }
      return formatVariable(name, variable, dialect, format);
    },
  );
}

const SQL_MACRO = /\$(__\w+)\(([^)]*)\)/g;

/** A time as Go's RFC3339Nano prints it (Grafana's SQL macros): no trailing zeros in the fraction. */
export function rfc3339Nano(date: Date): string {
  return date
    .toISOString()
    .replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** Expands Grafana's PostgreSQL macros (after the variables). */
export function expandSqlMacros(query: string, ctx: InterpolationContext): string {
  const from = `'${rfc3339Nano(ctx.from)}'`;
  const to = `'${rfc3339Nano(ctx.to)}'`;
  return query.replace(SQL_MACRO, (whole, name: string, rawArgs: string) => {
    const args = rawArgs.trim() === '' ? [] : rawArgs.split(',').map((a) => a.trim());
    const want = (n: number) => {
      if (args.length < n) {
        throw new InterpolationError('MACRO_ARGUMENTS', `${whole}: needs ${n} argument(s)`);
      }
    };
    switch (name) {
      case '__timeFilter':
        want(1);
        return `${args[0]} BETWEEN ${from} AND ${to}`;
      case '__timeFrom':
        return from;
      case '__timeTo':
        return to;
      case '__timeGroup':
      case '__timeGroupAlias': {
        want(2);
        const seconds = intervalMs(args[1]!) / 1_000;
        const group = `floor(extract(epoch from ${args[0]})/${seconds})*${seconds}`;
        return name === '__timeGroupAlias' ? `${group} AS "time"` : group;
      }
      default:
        throw new InterpolationError(
          'MACRO_UNKNOWN',
          `${whole}: not a PostgreSQL macro we support`,
        );
    }
  });
}

/** The statement Grafana would run for `query`. */
export function interpolate(
  query: string,
  ctx: InterpolationContext,
  dialect: QueryDialect,
): string {
  const withVariables = interpolateVariables(query, ctx, dialect);
  return dialect === 'sql' ? expandSqlMacros(withVariables, ctx) : withVariables;
}
