import { InfluxError } from './influx.errors';
import type { HttpExchange, InfluxHttp, InfluxLogger } from './influx-http';
import {
  DEFAULT_SCHEMA_TARGET,
  RAW_RP,
  ROLLUP_RP,
  parseServerVersion,
  planSchema,
  quoteIdent,
  rollupBackfillStatement,
  schemaTargetProblems,
} from './influx-schema.rules';
import type {
  ContinuousQueryRow,
  RetentionPolicyRow,
  SchemaState,
  SchemaTarget,
  ServerVersion,
} from './influx-schema.rules';
import { errorMessage } from './influx-write.rules';

export type InfluxSchemaOptions = Pick<SchemaTarget, 'database'> &
  Partial<Omit<SchemaTarget, 'database'>>;

export interface InfluxSetupResult {
  readonly version: ServerVersion;
  /** The `rp` writes use: 'raw' on 1.x and 2.x (DBRP), undefined on 3.x. */
  readonly retentionPolicy: string | undefined;
  /** InfluxQL statements run (1.x); empty when the server was already up to date. */
  readonly applied: readonly string[];
}

export type InfluxPing =
  | { readonly ok: true; readonly version: ServerVersion; readonly ms: number }
  | { readonly ok: false; readonly message: string; readonly ms: number };

/** Readiness: does InfluxDB answer /ping, and which version is it. Never throws. */
export async function pingInflux(
  http: InfluxHttp,
  elapsed: () => number = () => performance.now(),
): Promise<InfluxPing> {
  const started = elapsed();
  const exchange = await http.ping();
  const ms = elapsed() - started;
  if (exchange.kind === 'failure') return { ok: false, message: exchange.message, ms };
  if (exchange.status < 200 || exchange.status > 299) {
    return { ok: false, message: `/ping answered ${exchange.status}`, ms };
  }
  const version = parseServerVersion(exchange.headers['x-influxdb-version'], exchange.body);
  if (!version) return { ok: false, message: '/ping answered without a known version', ms };
  return { ok: true, version, ms };
}

/**
 * Brings InfluxDB to the schema the ingest writes to, idempotently (a second run changes
 * nothing), then checks that a write is accepted.
 *
 * - 1.x: database, retention policies `raw` (default) and `rollup_1m`, continuous query
 *   `cq_rollup_1m` (1-minute means of every numeric field, all tags kept).
 * - 2.x, 3.x: no 1.x DDL; logs what the operator must configure and checks a write.
 *
 * Throws InfluxError: INFLUX_OPTIONS_INVALID, INFLUX_UNREACHABLE, INFLUX_AUTH_FAILED,
 * INFLUX_VERSION_UNKNOWN, INFLUX_QUERY_FAILED, INFLUX_WRITE_CHECK_FAILED.
 */
export async function setupInfluxSchema(
  http: InfluxHttp,
  options: InfluxSchemaOptions,
  log: InfluxLogger,
  now: () => Date = () => new Date(),
): Promise<InfluxSetupResult> {
  const target: SchemaTarget = { ...DEFAULT_SCHEMA_TARGET, ...options };
  const problems = schemaTargetProblems(target);
  if (problems.length) {
    throw new InfluxError('INFLUX_OPTIONS_INVALID', `InfluxDB schema: ${problems.join('; ')}`);
  }
  const version = await serverVersion(http);

  switch (version.major) {
    case 1: {
      const state = await readState(http, target.database);
      const applied = planSchema(state, target);
      for (const statement of applied) {
        await run(http, statement);
        log.info(`InfluxDB ${version.raw}: ${statement}`);
      }
      // an empty body still checks the database, the rp and the write permission on 1.x
      await checkWrite(http, '', target.database, RAW_RP);
      return { version, retentionPolicy: RAW_RP, applied };
    }
    case 2: {
      log.warn(
        `InfluxDB ${version.raw}: the ingest writes to /write?db=${target.database}&rp=${RAW_RP} ` +
          `(v1 compatibility API, Basic auth with a v1-auth user or any name + an API token). ` +
          `Operator setup: bucket "${target.database}/${RAW_RP}" (retention ${target.rawRetention}) ` +
          `and bucket "${target.database}/${ROLLUP_RP}" (retention ${target.rollupRetention}); ` +
          `their names map them to db "${target.database}", rps "${RAW_RP}"/"${ROLLUP_RP}" ` +
          `(or: influx v1 dbrp create --db ${target.database} --rp ${RAW_RP} --bucket-id <id> --default); ` +
          `a Flux task aggregating 1-minute means into the rollup bucket replaces the continuous query.`,
      );
      await checkWrite(http, checkLine(now()), target.database, RAW_RP);
      return { version, retentionPolicy: RAW_RP, applied: [] };
    }
    case 3: {
      log.warn(
        `InfluxDB ${version.raw}: the ingest writes to /write?db=${target.database} ` +
          `(v1 compatibility API, Basic auth with the token as password; no rp, which 3.x ` +
          `maps to a "db/rp" database). Operator setup: database "${target.database}" with retention ` +
          `${target.rawRetention} (influxdb3 create database --retention-period; immutable in Core); ` +
          `1-minute rollups need the processing engine (Downsampler plugin), no continuous queries.`,
      );
      await checkWrite(http, checkLine(now()), target.database, undefined);
      return { version, retentionPolicy: undefined, applied: [] };
    }
  }
}

/**
 * Recomputes the 1-minute rollups of [from, to) on 1.x, for backlogs older than the CQ's
 * RESAMPLE FOR window (after a long outage, once the spool has drained).
 */
export async function backfillRollup(
  http: InfluxHttp,
  database: string,
  from: Date,
  to: Date,
): Promise<void> {
  await run(http, rollupBackfillStatement(database, from, to));
}

/** The one point 2.x/3.x setup writes to prove the target accepts writes. */
const checkLine = (at: Date) => `orfleet_ingest_check ok=true ${at.getTime()}`;

async function serverVersion(http: InfluxHttp): Promise<ServerVersion> {
  const exchange = await http.ping();
  if (exchange.kind === 'failure') {
    throw new InfluxError('INFLUX_UNREACHABLE', `InfluxDB ${http.url}: ${exchange.message}`);
  }
  const version = parseServerVersion(exchange.headers['x-influxdb-version'], exchange.body);
  if (version) return version;
  if (exchange.status === 401 || exchange.status === 403) {
    throw new InfluxError('INFLUX_AUTH_FAILED', `InfluxDB ${http.url}/ping: ${exchange.status}`);
  }
  throw new InfluxError(
    'INFLUX_VERSION_UNKNOWN',
    `InfluxDB ${http.url}/ping answered ${exchange.status} without X-Influxdb-Version ` +
      `(is the URL an InfluxDB?)`,
  );
}

async function readState(http: InfluxHttp, database: string): Promise<SchemaState> {
  const databases = rows(await run(http, 'SHOW DATABASES'));
  if (!databases.some((row) => row.values[0] === database)) {
    return { databaseExists: false, retentionPolicies: [], continuousQueries: [] };
  }
  const rps = rows(await run(http, `SHOW RETENTION POLICIES ON ${quoteIdent(database)}`));
  const cqs = rows(await run(http, 'SHOW CONTINUOUS QUERIES'));
  return {
    databaseExists: true,
    retentionPolicies: rps.map((row): RetentionPolicyRow => ({
      name: String(row.get('name')),
      duration: String(row.get('duration')),
      default: row.get('default') === true,
    })),
    // one series per database, named after it
    continuousQueries: cqs
      .filter((row) => row.series === database)
      .map((row): ContinuousQueryRow => ({
        name: String(row.get('name')),
        query: String(row.get('query')),
      })),
  };
}

interface Row {
  readonly series: string | undefined;
  readonly values: readonly unknown[];
  get(column: string): unknown;
}

interface QueryResult {
  readonly series?: readonly {
    readonly name?: string;
    readonly columns: readonly string[];
    readonly values?: readonly (readonly unknown[])[];
  }[];
}

function rows(result: QueryResult): Row[] {
  return (result.series ?? []).flatMap((series) =>
    (series.values ?? []).map((values) => ({
      series: series.name,
      values,
      get: (column: string) => values[series.columns.indexOf(column)],
    })),
  );
}

/** One InfluxQL statement; its result, or an InfluxError saying what failed. */
async function run(http: InfluxHttp, statement: string): Promise<QueryResult> {
  const exchange = await http.query(statement);
  const fail = (code: 'INFLUX_AUTH_FAILED' | 'INFLUX_QUERY_FAILED', why: string) =>
    new InfluxError(code, `InfluxDB ${http.url}: ${statement}: ${why}`);
  if (exchange.kind === 'failure') {
    throw new InfluxError('INFLUX_UNREACHABLE', `InfluxDB ${http.url}: ${exchange.message}`);
  }
  const why = errorMessage(exchange.status, exchange.body);
  if (exchange.status === 401 || exchange.status === 403) throw fail('INFLUX_AUTH_FAILED', why);
  if (exchange.status !== 200) throw fail('INFLUX_QUERY_FAILED', `${exchange.status} ${why}`);
  const result = (exchange.body as { results?: (QueryResult & { error?: string })[] } | undefined)
    ?.results?.[0];
  if (!result) throw fail('INFLUX_QUERY_FAILED', 'no result');
  if (result.error) {
    // 1.x: a non-admin user gets 200 with "error authorizing query: ..." for DDL
    throw fail(
      /authoriz/i.test(result.error) ? 'INFLUX_AUTH_FAILED' : 'INFLUX_QUERY_FAILED',
      result.error,
    );
  }
  return result;
}

async function checkWrite(
  http: InfluxHttp,
  body: string,
  database: string,
  rp: string | undefined,
): Promise<void> {
  const exchange: HttpExchange = await http.write(body, database, rp);
  if (exchange.kind === 'response' && exchange.status === 204) return;
  const where = `/write?db=${database}${rp === undefined ? '' : `&rp=${rp}`}`;
  if (exchange.kind === 'failure') {
    throw new InfluxError(
      'INFLUX_UNREACHABLE',
      `InfluxDB ${http.url}${where}: ${exchange.message}`,
    );
  }
  const why = `${exchange.status} ${errorMessage(exchange.status, exchange.body)}`;
  throw new InfluxError(
    exchange.status === 401 || exchange.status === 403
      ? 'INFLUX_AUTH_FAILED'
      : 'INFLUX_WRITE_CHECK_FAILED',
    `InfluxDB ${http.url}${where}: ${why}`,
  );
}
