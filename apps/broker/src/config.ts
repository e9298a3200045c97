import { isDeviceKind } from '@orfleet/devices';
import type { ConnectionGuardConfig } from './guards.rules';

/**
 * The broker's configuration: `process.env` read once, validated, typed. A bad value stops the
 * start with the list of everything wrong (docs/operations.md, "Broker").
 */
export interface BrokerConfig {
  readonly mqtt: { readonly host: string; readonly port: number };
  readonly ws: { readonly host: string; readonly port: number; readonly path: string } | undefined;
  /**
   * MQTT over TLS, when a certificate and key are configured. With a CA, clients may present a
   * certificate signed by it instead of a password: its CN is the device id.
   */
  readonly tls:
    | {
        readonly host: string;
        readonly port: number;
        readonly certFile: string;
        readonly keyFile: string;
        readonly caFile: string | undefined;
      }
    | undefined;
  readonly ops: { readonly host: string; readonly port: number };
  /** PostgreSQL of the API: device credentials are read from its `device_credential` view. */
  readonly databaseUrl: string;
  /** Largest MQTT packet accepted; a bigger one closes the connection before it is buffered. */
  readonly maxPacketBytes: number;
  readonly credentialCache: {
    readonly ttlMs: number;
    readonly negativeTtlMs: number;
    readonly maxEntries: number;
  };
  readonly keepalive: { readonly minS: number; readonly maxS: number };
  readonly guard: ConnectionGuardConfig;
  /** QoS 1 messages kept for one offline clean=false device session at most. */
  readonly offlineQueueMax: number;
  /**
   * The same bound for a service account's session (`svc:…` client ids: the ingest, the health
   * rules): their queue is the fleet's data while they restart, so it is far larger.
   */
  readonly serviceQueueMax: number;
  /** Publishes per second a device may send, by kind (`default` for the rest). */
  readonly flood: { readonly perKind: Readonly<Record<string, number>>; readonly graceMs: number };
  /**
   * Redis shared by several broker processes (subscriptions, sessions, retained messages, every
   * publish); unset: one process with everything in memory.
   */
  readonly redisUrl: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Readonly<Record<string, string | undefined>>): BrokerConfig {
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
  const databaseUrl = env['DATABASE_URL'] ?? '';
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(
      'DATABASE_URL: expected postgres://user:password@host:port/database (the API database)',
    );
  }
  const rawLevel = env['ORFLEET_LOG_LEVEL'] || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(rawLevel)) {
    problems.push(`ORFLEET_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got "${rawLevel}"`);
  }
  const host = env['ORFLEET_BROKER_HOST'] || '127.0.0.1';
  const wsPort =
    env['ORFLEET_BROKER_WS_PORT'] === 'off'
      ? undefined
      : int('ORFLEET_BROKER_WS_PORT', 8080, 0, 65_535);
  const certFile = env['ORFLEET_BROKER_TLS_CERT'] || undefined;
  const keyFile = env['ORFLEET_BROKER_TLS_KEY'] || undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push(
      'ORFLEET_BROKER_TLS_CERT and ORFLEET_BROKER_TLS_KEY: set both (PEM files) or neither',
    );
  }
  const redisUrl = env['REDIS_URL'] || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^/]/.test(redisUrl)) {
    problems.push(
      `REDIS_URL: expected redis://[:password@]host:port[/db] or rediss://…, got "${redisUrl}"`,
    );
  }
  const config: BrokerConfig = {
    redisUrl,
    mqtt: { host, port: int('ORFLEET_BROKER_PORT', 1883, 0, 65_535) },
    tls:
      certFile !== undefined && keyFile !== undefined
        ? {
            host,
            port: int('ORFLEET_BROKER_TLS_PORT', 8883, 0, 65_535),
            certFile,
            keyFile,
            caFile: env['ORFLEET_BROKER_TLS_CA'] || undefined,
          }
        : undefined,
    ws: wsPort === undefined ? undefined : { host, port: wsPort, path: '/mqtt' },
    ops: { host, port: int('ORFLEET_BROKER_OPS_PORT', 9101, 0, 65_535) },
    databaseUrl,
    maxPacketBytes: int('ORFLEET_BROKER_MAX_PACKET_BYTES', 256 * 1024, 1_024, 16 * 1024 * 1024),
    credentialCache: {
      ttlMs: int('ORFLEET_BROKER_CREDENTIAL_TTL_MS', 30_000, 0, 3_600_000),
      negativeTtlMs: int('ORFLEET_BROKER_CREDENTIAL_NEGATIVE_TTL_MS', 5_000, 0, 3_600_000),
      maxEntries: int('ORFLEET_BROKER_CREDENTIAL_CACHE_SIZE', 200_000, 100, 10_000_000),
    },
    keepalive: {
      minS: int('ORFLEET_BROKER_KEEPALIVE_MIN_S', 5, 0, 65_535),
      maxS: int('ORFLEET_BROKER_KEEPALIVE_MAX_S', 600, 1, 65_535),
    },
    logLevel: rawLevel as BrokerConfig['logLevel'],
    guard: {
      // a hospital behind one NAT address connects hundreds of devices at once after a power cut
      perIp: {
        ratePerS: int('ORFLEET_BROKER_CONNECT_RATE_PER_IP', 100, 1, 1_000_000),
        burst: int('ORFLEET_BROKER_CONNECT_BURST_PER_IP', 1_000, 1, 1_000_000),
      },
      perClient: {
        ratePerS: int('ORFLEET_BROKER_CONNECT_RATE_PER_CLIENT', 1, 1, 1_000),
        burst: int('ORFLEET_BROKER_CONNECT_BURST_PER_CLIENT', 5, 1, 1_000),
      },
      flapping: {
        maxConnects: int('ORFLEET_BROKER_FLAP_MAX_CONNECTS', 15, 1, 100_000),
        windowMs: int('ORFLEET_BROKER_FLAP_WINDOW_MS', 60_000, 1_000, 86_400_000),
        banMs: int('ORFLEET_BROKER_BAN_MS', 300_000, 1_000, 86_400_000),
      },
      maxConnections: int('ORFLEET_BROKER_MAX_CONNECTIONS', 100_000, 1, 10_000_000),
    },
    offlineQueueMax: int('ORFLEET_BROKER_OFFLINE_QUEUE_MAX', 1_000, 1, 1_000_000),
    serviceQueueMax: int('ORFLEET_BROKER_SERVICE_QUEUE_MAX', 1_000_000, 1, 100_000_000),
    flood: {
      perKind: floodLimits(
        env['ORFLEET_BROKER_FLOOD_LIMITS'] ?? 'default=20,base_station=100',
        problems,
      ),
      graceMs: int('ORFLEET_BROKER_FLOOD_GRACE_MS', 5_000, 0, 600_000),
    },
  };
  if (config.keepalive.minS > config.keepalive.maxS) {
    problems.push('ORFLEET_BROKER_KEEPALIVE_MIN_S: must not exceed ORFLEET_BROKER_KEEPALIVE_MAX_S');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** `default=20,base_station=100` → {default: 20, base_station: 100}. */
function floodLimits(raw: string, problems: string[]): Record<string, number> {
  const limits: Record<string, number> = { default: 20 };
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [kind = '', value = ''] = part.split('=');
    const rate = Number(value);
    if ((kind !== 'default' && !isDeviceKind(kind)) || !Number.isFinite(rate) || rate <= 0) {
      problems.push(
        `ORFLEET_BROKER_FLOOD_LIMITS: "${part}" is not <kind|default>=<messages per second>`,
      );
    } else {
      limits[kind] = rate;
    }
  }
  return limits;
}
