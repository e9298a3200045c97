/**
 * The InfluxDB schema the ingest expects, as pure decisions: which server generation answered,
 * and on 1.x which InfluxQL statements bring a database to the target state (nothing when it is
 * there already). The statements are run by influx-schema.ts.
 */

export type InfluxMajor = 1 | 2 | 3;

export interface ServerVersion {
  /** As the server spelled it: "1.6.7~rc0", "v2.7.10", "3.0.1". */
  readonly raw: string;
  readonly major: InfluxMajor;
}

/**
 * The generation from `GET /ping`: the `X-Influxdb-Version` header (1.x, 2.x; "v" prefix on
 * 2.x), else a JSON body's `version` (3.x answers `/ping` with JSON). Undefined when neither
 * names a 1, 2 or 3.
 */
export function parseServerVersion(
  header: string | readonly string[] | undefined,
  body: unknown,
): ServerVersion | undefined {
  const candidates: unknown[] = [Array.isArray(header) ? header[0] : header];
  if (body !== null && typeof body === 'object') {
    candidates.push((body as Record<string, unknown>)['version']);
  }
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const match = /^\s*v?(\d+)\./i.exec(candidate);
    const major = Number(match?.[1]);
    if (major === 1 || major === 2 || major === 3) return { raw: candidate.trim(), major };
  }
  return undefined;
}

const NS_PER: Readonly<Record<string, number>> = {
  ns: 1,
  u: 1e3,
  µ: 1e3,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3_600e9,
  d: 86_400e9,
  w: 604_800e9,
};

/**
 * Milliseconds of an InfluxQL duration literal ("30d", "400d", "1m", "INF") or of a Go duration
 * as `SHOW RETENTION POLICIES` prints it ("720h0m0s", "0s"). 0 means infinite (INF). Undefined
 * when unreadable.
 */
export function durationMs(text: string): number | undefined {
  const t = text.trim();
  if (/^inf$/i.test(t)) return 0;
  const parts = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|u|µ|ms|s|m|h|d|w))+$/.test(t)
    ? t.match(/\d+(?:\.\d+)?(?:ns|us|µs|u|µ|ms|s|m|h|d|w)/g)
    : null;
  if (!parts) return undefined;
  let ns = 0;
  for (const part of parts) {
    const [, value, unit] = /^(\d+(?:\.\d+)?)(.+)$/.exec(part)!;
    ns += Number(value) * NS_PER[unit!]!;
  }
  return ns / 1e6;
}

/** A single-unit InfluxQL literal ("30d"), the only form settings accept. */
const LITERAL = /^\d+(ns|u|µ|ms|s|m|h|d|w)$/;

/** InfluxQL identifier, always double-quoted (names with '-' or keywords stay valid). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export const RAW_RP = 'raw';
export const ROLLUP_RP = 'rollup_1m';
export const ROLLUP_CQ = 'cq_rollup_1m';

export interface SchemaTarget {
  readonly database: string;
  /** InfluxQL duration literal or INF; 1.x minimum is 1h. */
  readonly rawRetention: string;
  readonly rollupRetention: string;
  /**
   * The CQ's RESAMPLE clause: every `every` it recomputes the 1-minute means of the last `for`.
   * A plain CQ only ever computes the interval that just ended, so lines that reach InfluxDB
   * late — exactly what the spool delivers after an outage — would never be rolled up. FOR
   * bounds how late a line may arrive and still be counted (InfluxDB starts the window FOR less
   * one GROUP BY interval before the run: FOR 10m counts lines up to 9 minutes late); older
   * backlogs need rollupBackfillStatement.
   */
  readonly rollupEvery: string;
  readonly rollupFor: string;
}

export const DEFAULT_SCHEMA_TARGET: Omit<SchemaTarget, 'database'> = {
  rawRetention: '30d',
  rollupRetention: '400d',
  rollupEvery: '1m',
  rollupFor: '10m',
};

/** What is wrong with a target, one message per problem (empty when usable). */
export function schemaTargetProblems(target: SchemaTarget): string[] {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(target.database)) {
    problems.push(`database ${JSON.stringify(target.database)}: use 1-64 of A-Z a-z 0-9 _ . -`);
  }
  for (const [name, value] of [
    ['raw retention', target.rawRetention],
    ['rollup retention', target.rollupRetention],
  ] as const) {
    const ms = LITERAL.test(value) || /^inf$/i.test(value) ? durationMs(value) : undefined;
    if (ms === undefined) problems.push(`${name} ${JSON.stringify(value)}: want e.g. 30d or INF`);
    // InfluxDB 1.x: "retention policy duration must be at least 1h0m0s"
    else if (ms !== 0 && ms < 3_600_000) problems.push(`${name} ${value}: at least 1h`);
  }
  const every = LITERAL.test(target.rollupEvery) ? durationMs(target.rollupEvery) : undefined;
  const span = LITERAL.test(target.rollupFor) ? durationMs(target.rollupFor) : undefined;
  if (!every) problems.push(`rollup every ${JSON.stringify(target.rollupEvery)}: want e.g. 1m`);
  // InfluxDB 1.x: "FOR duration must be >= GROUP BY time duration"
  if (!span || span < 60_000) {
    problems.push(`rollup for ${JSON.stringify(target.rollupFor)}: want a duration >= 1m`);
  }
  return problems;
}

export interface RetentionPolicyRow {
  readonly name: string;
  /** As SHOW RETENTION POLICIES prints it ("720h0m0s"). */
  readonly duration: string;
  readonly default: boolean;
}

export interface ContinuousQueryRow {
  readonly name: string;
  readonly query: string;
}

/** What a 1.x server has now, from SHOW DATABASES / RETENTION POLICIES / CONTINUOUS QUERIES. */
export interface SchemaState {
  readonly databaseExists: boolean;
  readonly retentionPolicies: readonly RetentionPolicyRow[];
  /** The CQs of the target database only. */
  readonly continuousQueries: readonly ContinuousQueryRow[];
}

export function rollupQueryStatement(target: SchemaTarget): string {
  const db = quoteIdent(target.database);
  return (
    `CREATE CONTINUOUS QUERY ${quoteIdent(ROLLUP_CQ)} ON ${db} ` +
    `RESAMPLE EVERY ${target.rollupEvery} FOR ${target.rollupFor} ` +
    `BEGIN SELECT mean(*) INTO ${db}.${quoteIdent(ROLLUP_RP)}.:MEASUREMENT ` +
    `FROM ${db}.${quoteIdent(RAW_RP)}./.*/ GROUP BY time(1m), * END`
  );
}

/**
 * Comparable form of a CQ definition: influxd prints it back with quotes dropped where not
 * needed and durations in its own spelling (600s → 10m), so both are erased here.
 */
export function normalizeQuery(query: string): string {
  return query
    .replace(/"/g, '')
    .replace(/\b(\d+)(ns|µs|us|ms|u|µ|s|m|h|d|w)\b/g, (token) => String(durationMs(token)))
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * The statements that take `state` to `target`, in order; empty when nothing is to do. Never
 * drops data: retention policies are created or altered (never dropped, `autogen` is left
 * alone), a CQ whose definition differs is dropped and created again (CQs cannot be altered).
 */
export function planSchema(state: SchemaState, target: SchemaTarget): string[] {
  const db = quoteIdent(target.database);
  const statements: string[] = [];
  const rps = new Map(state.retentionPolicies.map((rp) => [rp.name, rp]));

  if (!state.databaseExists) {
    // one statement: the database and `raw` as its default RP, no `autogen` beside it
    statements.push(
      `CREATE DATABASE ${db} WITH DURATION ${target.rawRetention} REPLICATION 1 NAME ${quoteIdent(RAW_RP)}`,
    );
  } else {
    statements.push(...planRetention(rps.get(RAW_RP), RAW_RP, target.rawRetention, db, true));
  }
  statements.push(
    ...planRetention(
      state.databaseExists ? rps.get(ROLLUP_RP) : undefined,
      ROLLUP_RP,
      target.rollupRetention,
      db,
      false,
    ),
  );

  const wanted = rollupQueryStatement(target);
  const current = state.databaseExists
    ? state.continuousQueries.find((cq) => cq.name === ROLLUP_CQ)
    : undefined;
  if (current && normalizeQuery(current.query) !== normalizeQuery(wanted)) {
    statements.push(`DROP CONTINUOUS QUERY ${quoteIdent(ROLLUP_CQ)} ON ${db}`);
  }
  if (!current || normalizeQuery(current.query) !== normalizeQuery(wanted)) {
    statements.push(wanted);
  }
  return statements;
}

function planRetention(
  current: RetentionPolicyRow | undefined,
  name: string,
  duration: string,
  db: string,
  isDefault: boolean,
): string[] {
  const rp = quoteIdent(name);
  if (!current) {
    return [
      `CREATE RETENTION POLICY ${rp} ON ${db} DURATION ${duration} REPLICATION 1${isDefault ? ' DEFAULT' : ''}`,
    ];
  }
  const changes: string[] = [];
  if (durationMs(current.duration) !== durationMs(duration)) changes.push(`DURATION ${duration}`);
  if (isDefault && !current.default) changes.push('DEFAULT');
  return changes.length ? [`ALTER RETENTION POLICY ${rp} ON ${db} ${changes.join(' ')}`] : [];
}

/**
 * Recomputes the 1-minute means for [from, to) — for backlogs older than the CQ's FOR window
 * (after a long outage), run once the spool has drained. Bounds are rounded down to the minute.
 */
export function rollupBackfillStatement(database: string, from: Date, to: Date): string {
  const db = quoteIdent(database);
  const minute = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000).toISOString();
  return (
    `SELECT mean(*) INTO ${db}.${quoteIdent(ROLLUP_RP)}.:MEASUREMENT ` +
    `FROM ${db}.${quoteIdent(RAW_RP)}./.*/ ` +
    `WHERE time >= '${minute(from)}' AND time < '${minute(to)}' GROUP BY time(1m), *`
  );
}
