/**
 * The API's configuration: `process.env` is read here once, validated, and handed on as a typed
 * object. A bad or missing value stops start-up with the list of everything wrong
 * (docs/operations.md has the reference).
 */
export interface ApiConfig {
  readonly http: {
    readonly host: string;
    readonly port: number;
    /** Request bodies above this are refused with 413. */
    readonly bodyLimitBytes: number;
  };
  readonly database: {
    /** External PostgreSQL; when absent the API starts an embedded one. */
    readonly url: string | undefined;
    readonly poolMax: number;
    readonly embedded: { readonly dataDir: string; readonly port: number };
  };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly scheduler: {
    readonly enabled: boolean;
    /** How often the SLA scheduler looks for due milestones. */
    readonly intervalMs: number;
  };
  /** How long a verified API token stays cached; a revoked token works at most this long. */
  readonly tokenCacheMs: number;
  /**
   * How long a ticket list page may be reused for identical queries. This process's own writes
   * always show at once; other processes' writes after at most this long. 0: share in-flight only.
   */
  readonly listCacheMs: number;
  /**
   * How long the broker-auth endpoints reuse a device's credential or a service account's tokens.
   * A change made through this API process applies at once; one made elsewhere (another API
   * process, SQL) after at most this long.
   */
  readonly brokerAuthCacheMs: number;
  /** The device-health rules (docs/health-rules.md): one process at a time runs them. */
  readonly health: {
    readonly enabled: boolean;
    /** The broker the rules listen to, as a service account. */
    readonly mqttUrl: string;
    /** Unset: the API makes itself a device-service token (orfleet's broker reads it). */
    readonly mqttUsername: string | undefined;
    readonly mqttPassword: string | undefined;
    readonly tickMs: number;
    readonly snapshotMs: number;
    readonly registryRefreshMs: number;
    readonly correlationMs: number;
    readonly holdDownMs: { readonly red: number; readonly yellow: number; readonly green: number };
    readonly siteShare: number;
    readonly siteMinDevices: number;
    /** A device missing again within this long after a recovery re-opens its ticket. */
    readonly flapCooldownMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env): ApiConfig {
  const problems: string[] = [];

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}: expected an integer ${min}..${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    problems.push(`${name}: expected true or false, got "${raw}"`);
    return fallback;
  };

  const url = env['DATABASE_URL'] || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    problems.push('DATABASE_URL: expected postgres://user:password@host:port/database');
  }
  const rawLevel = env['ORFLEET_LOG_LEVEL'] || 'info';
  const logLevel = (LOG_LEVELS as readonly string[]).includes(rawLevel)
    ? (rawLevel as ApiConfig['logLevel'])
    : (problems.push(
        `ORFLEET_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got "${rawLevel}"`,
      ),
      'info');

  const config: ApiConfig = {
    http: {
      host: env['ORFLEET_API_HOST'] || '127.0.0.1',
      port: int('ORFLEET_API_PORT', 3000, 0, 65_535),
      bodyLimitBytes: int('ORFLEET_API_BODY_LIMIT_BYTES', 1_048_576, 1_024, 16 * 1_048_576),
    },
    database: {
      url,
      poolMax: int('ORFLEET_DB_POOL_MAX', 20, 1, 500),
      embedded: {
        dataDir: env['ORFLEET_PG_DATA_DIR'] || './data/pg',
        port: int('ORFLEET_PG_PORT', 5433, 0, 65_535),
      },
    },
    logLevel,
    scheduler: {
      enabled: bool('ORFLEET_SCHEDULER_ENABLED', true),
      intervalMs: int('ORFLEET_SCHEDULER_INTERVAL_MS', 5_000, 100, 3_600_000),
    },
    tokenCacheMs: int('ORFLEET_TOKEN_CACHE_MS', 30_000, 0, 3_600_000),
    listCacheMs: int('ORFLEET_LIST_CACHE_MS', 500, 0, 60_000),
    brokerAuthCacheMs: int('ORFLEET_BROKER_AUTH_CACHE_MS', 10_000, 0, 3_600_000),
    health: {
      enabled: bool('ORFLEET_HEALTH_ENABLED', true),
      mqttUrl: env['ORFLEET_HEALTH_MQTT_URL'] || 'mqtt://127.0.0.1:1883',
      mqttUsername: env['ORFLEET_HEALTH_MQTT_USERNAME'] || undefined,
      mqttPassword: env['ORFLEET_HEALTH_MQTT_PASSWORD'] || undefined,
      tickMs: int('ORFLEET_HEALTH_TICK_MS', 250, 10, 10_000),
      snapshotMs: int('ORFLEET_HEALTH_SNAPSHOT_MS', 5_000, 100, 600_000),
      registryRefreshMs: int('ORFLEET_HEALTH_REGISTRY_REFRESH_MS', 30_000, 100, 3_600_000),
      correlationMs: int('ORFLEET_HEALTH_CORRELATION_MS', 60_000, 0, 3_600_000),
      holdDownMs: {
        red: int('ORFLEET_HEALTH_HOLD_DOWN_RED_MS', 0, 0, 86_400_000),
        yellow: int('ORFLEET_HEALTH_HOLD_DOWN_YELLOW_MS', 0, 0, 86_400_000),
        green: int('ORFLEET_HEALTH_HOLD_DOWN_GREEN_MS', 0, 0, 86_400_000),
      },
      siteShare: int('ORFLEET_HEALTH_SITE_SHARE_PCT', 30, 1, 100) / 100,
      siteMinDevices: int('ORFLEET_HEALTH_SITE_MIN_DEVICES', 10, 1, 1_000_000),
      flapCooldownMs: int('ORFLEET_HEALTH_FLAP_COOLDOWN_MS', 30 * 60_000, 0, 86_400_000),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
