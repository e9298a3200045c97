import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ApiToken } from '../src/auth/api-token.entity';
import { createApiToken } from '../src/auth/tokens.service';
import type { Role } from '../src/auth/roles';
import { loadConfig } from '../src/config';
import type { ApiConfig } from '../src/config';
import { startApi } from '../src/platform/bootstrap';
import type { RunningApi } from '../src/platform/bootstrap';
import type { Clock } from '../src/platform/clock';

/**
 * Integration-test harness: a fresh database on the run's embedded PostgreSQL (see
 * global-setup.ts), the real API on an ephemeral port, and HTTP helpers.
 */
export interface TestApi {
  readonly api: RunningApi;
  readonly url: string;
  /** postgres:// URL of this test's own database, for direct checks. */
  readonly databaseUrl: string;
  readonly tokens: Readonly<Record<'admin' | 'engineer' | 'viewer' | 'device-service', string>>;
  request<T = unknown>(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T; headers: Headers }>;
  /** One SQL query on the test database. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

async function createDatabase(): Promise<string> {
  const base = process.env['ORFLEET_TEST_PG_URL'];
  if (base === undefined)
    throw new Error('ORFLEET_TEST_PG_URL unset: run through jest globalSetup');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): ApiConfig {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    ORFLEET_API_PORT: '0',
    ORFLEET_LOG_LEVEL: 'silent',
    ORFLEET_SCHEDULER_ENABLED: 'false',
    ORFLEET_HEALTH_ENABLED: 'false',
    ORFLEET_TOKEN_CACHE_MS: '0',
    ...env,
  });
}

export async function startTestApi(
  options: { clock?: Clock; env?: Record<string, string>; databaseUrl?: string } = {},
): Promise<TestApi> {
  const databaseUrl = options.databaseUrl ?? (await createDatabase());
  const api = await startApi(
    testConfig(databaseUrl, options.env),
    options.clock ? { clock: options.clock } : {},
  );
  const repo = api.dataSource.getRepository(ApiToken);
  const tokens = {} as Record<Role, string>;
  for (const role of ['admin', 'engineer', 'viewer', 'device-service'] as const) {
    tokens[role] = (
      await createApiToken(repo, { name: `test-${role}`, role, createdBy: 'test', now: new Date() })
    ).token;
  }
  return {
    api,
    url: api.url,
    databaseUrl,
    tokens,
    async request<T>(
      method: string,
      path: string,
      opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
    ) {
      const token = opts.token === undefined ? tokens.admin : opts.token;
      const headers: Record<string, string> = { ...opts.headers };
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON (e.g. /metrics): keep the text
      }
      return { status: response.status, body: body as T, headers: response.headers };
    },
    sql: <T>(text: string, params: unknown[] = []) => api.dataSource.query<T[]>(text, params),
    close: () => api.close(),
  };
}
