import { parseSelfMetricsTargets } from './self-metrics/self-metrics.rules';
import type { SelfMetricsTarget } from './self-metrics/self-metrics.rules';
import { parseShard } from './shard.rules';
import type { Shard } from './shard.rules';

/**
 * The ingest's configuration: `process.env` read once, validated, typed. A bad value stops the
 * start with the list of everything wrong (docs/operations.md, "Ingest").
 */
export interface IngestConfig {
  readonly mqtt: {
    /** mqtt://host:port or mqtts://…: orfleet's broker, or any MQTT 3.1.1 broker. */
    readonly url: string;
    readonly username: string | undefined;
    readonly password: string | undefined;
    /** Fixed, so the broker keeps this consumer's clean=false session across restarts. */
    readonly clientId: string;
    readonly keepaliveS: number;
    /** Reconnect backoff with full jitter between these bounds (MQTT.js's own is a fixed 1 s). */
    readonly reconnectMinMs: number;
    readonly reconnectMaxMs: number;
  };
  /** Which sites this instance takes (`INGEST_SHARD=k/n`); 1/1 takes every site. */
  readonly shard: Shard;
  /** Where the site list of a shard comes from (the API), and how often it is refreshed. */
  readonly api: {
    readonly url: string | undefined;
    readonly token: string | undefined;
    readonly refreshMs: number;
  };
  readonly influx:
    | {
        readonly url: string;
        readonly database: string;
        readonly username: string | undefined;
        readonly password: string | undefined;
        readonly rawRetention: string;
        readonly rollupRetention: string;
        /** Run the database, retention and continuous-query set-up at start (1.x). */
        readonly setup: boolean;
      }
    | undefined;
  readonly spool: {
    readonly dir: string;
    readonly quotaBytes: number;
    readonly groupCommitMs: number;
  };
  readonly deadLetter: {
    readonly dir: string;
    readonly maxFileBytes: number;
    readonly files: number;
  };
  readonly writer: {
    readonly batchLines: number;
    /** A batch smaller than `batchLines` is written once its oldest record waited this long. */
    readonly flushMs: number;
    readonly retryMinMs: number;
    readonly retryMaxMs: number;
    readonly timeoutMs: number;
  };
  /** QoS 1 messages received but not yet acknowledged, at most; past it the ingest stops reading. */
  readonly maxInflight: number;
  readonly ops: { readonly host: string; readonly port: number };
  /**
   * The platform's own Prometheus metrics (broker, API, this ingest), scraped into InfluxDB
   * measurement `orfleet_self` every `intervalS` (0: off). Unused without InfluxDB.
   */
  readonly selfMetrics: {
    readonly intervalS: number;
    readonly targets: readonly SelfMetricsTarget[];
  };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const DURATION = /^(INF|\d+[hdw])$/; // InfluxDB 1.x: a retention policy lasts 1h at least
const SIZE = /^(\d+)\s*(B|KiB|MiB|GiB|TiB)?$/i;
const UNITS: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

export function loadConfig(env: Readonly<Record<string, string | undefined>>): IngestConfig {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}: expected an integer ${min}..${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const bytes = (name: string, fallback: number, min: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const match = SIZE.exec(raw.trim());
    const value = match ? Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1) : NaN;
    if (!Number.isSafeInteger(value) || value < min) {
      problems.push(
        `${name}: expected a size of at least ${min} bytes like 2GiB or 512MiB, got "${raw}"`,
      );
      return fallback;
    }
    return value;
  };
  const url = (name: string, fallback: string | undefined, schemes: RegExp, example: string) => {
    const raw = text(name) ?? fallback;
    if (raw === undefined) return undefined;
    if (!schemes.test(raw)) {
      problems.push(`${name}: expected ${example}, got "${raw}"`);
      return undefined;
    }
    return raw.replace(/\/+$/, '');
  };
  const duration = (name: string, fallback: string): string => {
    const raw = text(name) ?? fallback;
    if (!DURATION.test(raw)) {
      problems.push(
        `${name}: expected an InfluxDB duration of hours, days or weeks like 30d, 400d, 52w or INF, got "${raw}"`,
      );
      return fallback;
    }
    return raw;
  };

  const rawLevel = text('ORFLEET_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(rawLevel)) {
    problems.push(`ORFLEET_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got "${rawLevel}"`);
  }
  const shardText = text('INGEST_SHARD') ?? '1/1';
  const shard = parseShard(shardText);
  if (!shard.ok) problems.push(`INGEST_SHARD: ${shard.problem}`);
  const shardValue = shard.ok ? shard.shard : { index: 1, count: 1 };

  const mqttUrl =
    url(
      'MQTT_URL',
      'mqtt://127.0.0.1:1883',
      /^(mqtts?|wss?):\/\/[^/]/,
      'mqtt://host:port (or mqtts://, ws://, wss://)',
    ) ?? 'mqtt://127.0.0.1:1883';
  const influxUrl = url('INFLUX_URL', undefined, /^https?:\/\/[^/]/, 'http://host:8086');
  const database = text('INFLUX_DB') ?? 'orfleet';
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(database)) {
    problems.push(`INFLUX_DB: expected a name of letters, digits, _ and -, got "${database}"`);
  }
  const apiUrl = url(
    'ORFLEET_API_URL',
    undefined,
    /^https?:\/\/[^/]/,
    'http://host:port of the orfleet API',
  );
  const apiToken = text('ORFLEET_API_TOKEN');
  if (shardValue.count > 1 && (apiUrl === undefined || apiToken === undefined)) {
    problems.push(
      'INGEST_SHARD: a shard of several needs the site list: set ORFLEET_API_URL and ORFLEET_API_TOKEN (a device-service token)',
    );
  }
  const reconnectMinMs = int('MQTT_RECONNECT_MIN_MS', 500, 10, 600_000);
  const reconnectMaxMs = int('MQTT_RECONNECT_MAX_MS', 30_000, 10, 3_600_000);
  if (reconnectMinMs > reconnectMaxMs)
    problems.push('MQTT_RECONNECT_MIN_MS: must not exceed MQTT_RECONNECT_MAX_MS');
  const retryMinMs = int('ORFLEET_INGEST_RETRY_MIN_MS', 200, 1, 600_000);
  const retryMaxMs = int('ORFLEET_INGEST_RETRY_MAX_MS', 30_000, 1, 3_600_000);
  if (retryMinMs > retryMaxMs)
    problems.push('ORFLEET_INGEST_RETRY_MIN_MS: must not exceed ORFLEET_INGEST_RETRY_MAX_MS');
  const dataDir = text('ORFLEET_INGEST_DATA_DIR') ?? 'data/ingest';
  // checked whether or not INFLUX_URL is usable, so every mistake is listed at once
  const rawRetention = duration('INFLUX_RAW_RETENTION', '30d');
  const rollupRetention = duration('INFLUX_ROLLUP_RETENTION', '400d');

  const opsHost = text('ORFLEET_INGEST_OPS_HOST') ?? '127.0.0.1';
  const opsPort = int('ORFLEET_INGEST_OPS_PORT', 9102, 0, 65_535);
  // unset: this ingest's own endpoint (a wildcard listen address is reached on loopback)
  const selfHost = opsHost === '0.0.0.0' || opsHost === '::' ? '127.0.0.1' : opsHost;
  const targetsText =
    text('ORFLEET_INGEST_SELF_METRICS_TARGETS') ??
    (opsPort === 0
      ? ''
      : `ingest=http://${selfHost.includes(':') ? `[${selfHost}]` : selfHost}:${opsPort}/metrics`);
  const targets = parseSelfMetricsTargets(targetsText);
  if (!targets.ok) {
    for (const problem of targets.problems) {
      problems.push(`ORFLEET_INGEST_SELF_METRICS_TARGETS: ${problem}`);
    }
  }

  const config: IngestConfig = {
    mqtt: {
      url: mqttUrl,
      username: text('MQTT_USERNAME'),
      password: text('MQTT_PASSWORD'),
      clientId:
        text('MQTT_CLIENT_ID') ??
        (shardValue.count === 1
          ? 'svc:ingest'
          : `svc:ingest:${shardValue.index}of${shardValue.count}`),
      keepaliveS: int('MQTT_KEEPALIVE_S', 30, 5, 600),
      reconnectMinMs,
      reconnectMaxMs,
    },
    shard: shardValue,
    api: {
      url: apiUrl,
      token: apiToken,
      refreshMs: int('ORFLEET_INGEST_SITES_REFRESH_MS', 60_000, 1_000, 3_600_000),
    },
    influx:
      influxUrl === undefined
        ? undefined
        : {
            url: influxUrl,
            database,
            username: text('INFLUX_USERNAME'),
            password: text('INFLUX_PASSWORD'),
            rawRetention,
            rollupRetention,
            setup: (text('INFLUX_SETUP') ?? 'on') !== 'off',
          },
    spool: {
      dir: text('ORFLEET_INGEST_SPOOL_DIR') ?? `${dataDir}/spool`,
      quotaBytes: bytes('ORFLEET_INGEST_SPOOL_QUOTA', 2 * 1024 ** 3, 1024 ** 2),
      groupCommitMs: int('ORFLEET_INGEST_GROUP_COMMIT_MS', 2, 0, 1_000),
    },
    deadLetter: {
      dir: text('ORFLEET_INGEST_DEAD_LETTER_DIR') ?? `${dataDir}/dead-letter`,
      maxFileBytes: bytes('ORFLEET_INGEST_DEAD_LETTER_FILE_SIZE', 64 * 1024 ** 2, 4 * 1024),
      files: int('ORFLEET_INGEST_DEAD_LETTER_FILES', 5, 1, 1_000),
    },
    writer: {
      batchLines: int('ORFLEET_INGEST_BATCH_LINES', 5_000, 1, 1_000_000),
      flushMs: int('ORFLEET_INGEST_FLUSH_MS', 1_000, 0, 600_000),
      retryMinMs,
      retryMaxMs,
      timeoutMs: int('ORFLEET_INGEST_WRITE_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    maxInflight: int('ORFLEET_INGEST_MAX_INFLIGHT', 10_000, 1, 1_000_000),
    ops: { host: opsHost, port: opsPort },
    selfMetrics: {
      intervalS: int('ORFLEET_INGEST_SELF_METRICS_INTERVAL_S', 10, 0, 3_600),
      targets: targets.ok ? targets.targets : [],
    },
    logLevel: rawLevel as IngestConfig['logLevel'],
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
