import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';

describe('platform endpoints (real PostgreSQL)', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers /healthz and /readyz without a token', async () => {
    expect(await t.request('GET', '/healthz', { token: null })).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    expect(await t.request('GET', '/readyz', { token: null })).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', migrations: 'ok' } },
    });
  });

  it('serves Prometheus metrics, counting the requests it saw', async () => {
    await t.request('GET', '/healthz', { token: null });
    const { status, body } = await t.request<string>('GET', '/metrics', { token: null });
    expect(status).toBe(200);
    expect(body).toMatch(
      /orfleet_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/,
    );
    expect(body).toMatch(/orfleet_db_pool_connections\{state="total"\} \d+/);
  });

  it('serves the OpenAPI document', async () => {
    const { status, body } = await t.request<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/api/docs-json',
      { token: null },
    );
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toContain('/api/v1/tokens');
  });

  it('echoes a sane request id and invents one otherwise', async () => {
    const given = await t.request('GET', '/healthz', {
      token: null,
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const invented = await t.request('GET', '/healthz', {
      token: null,
      headers: { 'x-request-id': 'bad id!' },
    });
    expect(invented.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses bodies over 1 MiB with a JSON error', async () => {
    const { status, body } = await t.request('POST', '/api/v1/tokens', {
      body: { name: 'x'.repeat(1_100_000), role: 'viewer' },
    });
    expect(status).toBe(413);
    expect(body).toMatchObject({ code: 'BODY_TOO_LARGE' });
  });

  it('answers unknown routes with a JSON 404', async () => {
    expect(await t.request('GET', '/api/v1/nope')).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
  });
});

describe('auth (real PostgreSQL)', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ['no token', null, 401, 'AUTH_REQUIRED'],
    ['an unknown token', 'orf_unknown', 401, 'AUTH_INVALID'],
  ])('refuses %s', async (_label, token, status, code) => {
    expect(await t.request('GET', '/api/v1/tokens', { token })).toMatchObject({
      status,
      body: { code },
    });
  });

  it('refuses a malformed Authorization header', async () => {
    const { status, body } = await t.request('GET', '/api/v1/tokens', {
      token: null,
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    expect([status, body]).toEqual([401, expect.objectContaining({ code: 'AUTH_INVALID' })]);
  });

  it('refuses a valid token without the role with 403', async () => {
    for (const role of ['engineer', 'viewer', 'device-service'] as const) {
      const { status, body } = await t.request('GET', '/api/v1/tokens', { token: t.tokens[role] });
      expect([role, status, body]).toEqual([
        role,
        403,
        expect.objectContaining({ code: 'AUTH_FORBIDDEN' }),
      ]);
    }
  });

  it('creates a token shown once, stores only its hash, records who made it, and revokes it', async () => {
    const created = await t.request<{ id: string; token: string }>('POST', '/api/v1/tokens', {
      body: { name: 'night shift', role: 'engineer' },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^orf_[A-Za-z0-9_-]{43}$/);
    const [row] = await t.sql<{ secret_sha256: string; created_by: string }>(
      'SELECT secret_sha256, created_by FROM api_token WHERE id = $1',
      [created.body.id],
    );
    expect(row?.secret_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.secret_sha256).not.toContain(created.body.token);
    expect(row?.created_by).toMatch(/^test-admin \(token [0-9a-f]{8}\)$/);
    const listed = await t.request<{ id: string }[]>('GET', '/api/v1/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);

    const revoked = await t.request('POST', `/api/v1/tokens/${created.body.id}/revoke`);
    expect(revoked.status).toBe(201);
    const after = await t.request('GET', '/api/v1/tokens', { token: created.body.token });
    expect(after).toMatchObject({ status: 401, body: { code: 'AUTH_INVALID' } });
  });

  it('rejects unknown fields and bad roles with the field named', async () => {
    const { status, body } = await t.request('POST', '/api/v1/tokens', {
      body: { name: 'x', role: 'root', admin: true },
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(body)).toMatch(/role: .*admin, engineer, viewer, device-service/);
    expect(JSON.stringify(body)).toMatch(/property admin should not exist/);
  });
});
