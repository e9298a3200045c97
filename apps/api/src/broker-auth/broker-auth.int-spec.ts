import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';

/**
 * The wire contracts an external broker relies on, exactly: mosquitto-go-auth's HTTP backend
 * (JSON and form parameters; status, text and json response modes) and EMQX 5's HTTP
 * authenticator and authorizer. Debian's mosquitto ships no HTTP auth plugin (go-auth is not
 * packaged), so the contract is tested here, request by request, as those plugins send it.
 */

interface Wire {
  status: number;
  contentType: string;
  text: string;
}

const GO_AUTH = '/api/v1/broker-auth/go-auth';
const EMQX = '/api/v1/broker-auth/emqx';

describe('broker-auth endpoints for Mosquitto (go-auth) and EMQX (real PostgreSQL)', () => {
  let t: TestApi;
  const secret: Record<string, string> = {};
  // the harness names its tokens `test-<role>`: service accounts are `svc:test-<role>`
  let svc: string;
  let admin: string;
  let viewer: string;

  /** A POST as the plugins make it: JSON, or a form (go-auth `http_params_mode form`). */
  async function post(
    path: string,
    params: Record<string, string | number>,
    options: { form?: boolean; query?: Record<string, string>; bearer?: string } = {},
  ): Promise<Wire> {
    const query = new URLSearchParams(options.query ?? {}).toString();
    const headers: Record<string, string> = {
      'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json',
    };
    if (options.bearer !== undefined) headers['authorization'] = `Bearer ${options.bearer}`;
    const response = await fetch(`${t.url}${path}${query === '' ? '' : `?${query}`}`, {
      method: 'POST',
      headers,
      body: options.form
        ? new URLSearchParams(
            Object.entries(params).map(([k, v]) => [k, String(v)] as [string, string]),
          ).toString()
        : JSON.stringify(params),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  }

  /** go-auth, as configured in docs/api.md: the token in the URI's query string. */
  const goAuth = (
    check: 'user' | 'superuser' | 'acl',
    params: Record<string, string | number>,
    options: { form?: boolean; response?: string; token?: string | null } = {},
  ): Promise<Wire> => {
    const token = options.token === undefined ? t.tokens['device-service'] : options.token;
    const query: Record<string, string> = {};
    if (token !== null) query['access_token'] = token;
    if (options.response !== undefined) query['response'] = options.response;
    return post(`${GO_AUTH}/${check}`, params, { form: options.form ?? false, query });
  };

  /** EMQX, as configured in docs/api.md: the token in an Authorization header. */
  const emqx = (
    check: 'authn' | 'authz',
    params: Record<string, string | number>,
    token: string | null = t.tokens['device-service'],
  ): Promise<Wire> => post(`${EMQX}/${check}`, params, token === null ? {} : { bearer: token });

  const json = (wire: Wire): unknown => JSON.parse(wire.text);

  beforeAll(async () => {
    t = await startTestApi();
    svc = 'svc:test-device-service';
    admin = 'svc:test-admin';
    viewer = 'svc:test-viewer';
    expect(
      (
        await t.request('POST', '/api/v1/sites', {
          body: { id: 'st-anne', name: 'St Anne', zone: 'city', timezone: 'UTC', region: 'east' },
        })
      ).status,
    ).toBe(201);
    for (const [id, kind] of [
      ['gd-0001', 'gown_dispenser'],
      ['gd-0002', 'gown_dispenser'],
      ['bs-0001', 'base_station'],
      ['gd-0009', 'gown_dispenser'],
    ] as const) {
      const created = await t.request<{ secret: string }>('POST', '/api/v1/devices', {
        body: {
          id,
          kind,
          model: 'M-1',
          serial: `SN-${id}`,
          siteId: 'st-anne',
          installDate: '2026-03-01',
        },
      });
      expect(created.status).toBe(201);
      secret[id] = created.body.secret;
    }
    const retired = await t.request('PATCH', '/api/v1/devices/gd-0009', {
      body: { status: 'retired' },
    });
    expect(retired.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** [case, username, password, clientid, expected refusal reason or true]. */
  const connects = (): [string, string, string, string, string | true][] => [
    ['a device with its secret', 'gd-0001', secret['gd-0001'] ?? '', 'gd-0001', true],
    ['a second session of it', 'gd-0001', secret['gd-0001'] ?? '', 'gd-0001:diag', true],
    ['a wrong secret', 'gd-0001', secret['gd-0002'] ?? '', 'gd-0001', 'BAD_SECRET'],
    ['an unknown device', 'gd-0404', secret['gd-0001'] ?? '', 'gd-0404', 'UNKNOWN_DEVICE'],
    ['a retired device', 'gd-0009', secret['gd-0009'] ?? '', 'gd-0009', 'RETIRED_DEVICE'],
    ['a foreign client id', 'gd-0001', secret['gd-0001'] ?? '', 'gd-0002', 'CLIENT_ID_MISMATCH'],
    ['no password', 'gd-0001', '', 'gd-0001', 'NO_CREDENTIALS'],
    ['no username', '', secret['gd-0001'] ?? '', 'gd-0001', 'NO_CREDENTIALS'],
    ['a device-service account', svc, t.tokens['device-service'], svc, true],
    ['an admin (api) account', admin, t.tokens.admin, `${admin}:1`, true],
    ['a viewer token as service', viewer, t.tokens.viewer, viewer, 'UNKNOWN_SERVICE'],
    [
      'a token under another name',
      'svc:rules',
      t.tokens['device-service'],
      'svc:rules',
      'UNKNOWN_SERVICE',
    ],
    [
      'a service taking a device session',
      svc,
      t.tokens['device-service'],
      'gd-0001',
      'CLIENT_ID_MISMATCH',
    ],
  ];

  describe('go-auth http_getuser_uri', () => {
    it('answers a good device 200 {"ok":true,"error":""} as JSON (response modes json, status)', async () => {
      const wire = await goAuth('user', {
        username: 'gd-0001',
        password: secret['gd-0001'] ?? '',
        clientid: 'gd-0001',
      });
      expect(wire.status).toBe(200);
      expect(wire.contentType).toMatch(/^application\/json/);
      expect(wire.text).toBe('{"ok":true,"error":""}');
    });

    it('answers text mode with exactly "ok", and a refusal with its reason and 403', async () => {
      const good = await goAuth(
        'user',
        { username: 'gd-0001', password: secret['gd-0001'] ?? '', clientid: 'gd-0001' },
        { response: 'text' },
      );
      expect(good).toMatchObject({ status: 200, text: 'ok' });
      expect(good.contentType).toMatch(/^text\/plain/);
      const bad = await goAuth(
        'user',
        { username: 'gd-0001', password: 'dev_nope', clientid: 'gd-0001' },
        { response: 'text' },
      );
      expect(bad).toMatchObject({ status: 403, text: 'BAD_SECRET' });
    });

    it.each([false, true])('decides every case alike with form params: %s', async (form) => {
      for (const [name, username, password, clientid, expected] of connects()) {
        const wire = await goAuth('user', { username, password, clientid }, { form });
        expect({ name, status: wire.status, body: json(wire) }).toEqual({
          name,
          status: expected === true ? 200 : 403,
          body: expected === true ? { ok: true, error: '' } : { ok: false, error: expected },
        });
      }
    });

    it('applies a rotated secret and a retirement made through the API at once', async () => {
      const params = (password: string) => ({ username: 'gd-0002', password, clientid: 'gd-0002' });
      const old = secret['gd-0002'] ?? '';
      expect((await goAuth('user', params(old))).status).toBe(200); // now cached
      const rotated = await t.request<{ secret: string }>('POST', '/api/v1/devices/gd-0002/secret');
      expect(rotated.status).toBe(200);
      expect(json(await goAuth('user', params(old)))).toEqual({ ok: false, error: 'BAD_SECRET' });
      expect((await goAuth('user', params(rotated.body.secret))).status).toBe(200);
      await t.request('PATCH', '/api/v1/devices/gd-0002', { body: { status: 'retired' } });
      expect(json(await goAuth('user', params(rotated.body.secret)))).toEqual({
        ok: false,
        error: 'RETIRED_DEVICE',
      });
      secret['gd-0002'] = rotated.body.secret;
    });
  });

  describe('go-auth http_superuser_uri', () => {
    it.each([['gd-0001'], ['svc:test-device-service']])('says no to %s', async (username) => {
      const wire = await goAuth('superuser', { username });
      expect(wire.status).toBe(403);
      expect(json(wire)).toEqual({ ok: false, error: 'NOT_SUPERUSER' });
      const text = await goAuth('superuser', { username }, { form: true, response: 'text' });
      expect(text).toMatchObject({ status: 403, text: 'NOT_SUPERUSER' });
    });
  });

  /** [username, clientid, acc, topic, expected]. acc: 1 read, 2 write, 3 readwrite, 4 subscribe. */
  const acls: [string, string, 1 | 2 | 3 | 4, string, string | true][] = [
    ['gd-0001', 'gd-0001', 2, 'or/st-anne/gown_dispenser/gd-0001/heartbeat', true],
    ['gd-0001', 'gd-0001:diag', 2, 'or/st-anne/gown_dispenser/gd-0001/telemetry', true],
    ['gd-0001', 'gd-0001', 2, 'or/st-anne/gown_dispenser/gd-0002/heartbeat', 'NOT_OWN_TOPIC'],
    ['gd-0001', 'gd-0001', 2, 'or/st-anne/gown_dispenser/gd-0001/sightings', 'CHANNEL_NOT_ALLOWED'],
    ['bs-0001', 'bs-0001', 2, 'or/st-anne/base_station/bs-0001/sightings', true],
    [
      'gd-0001',
      'gd-0001',
      2,
      'or/st-anne/gown_dispenser/gd-0001/cmd/reboot',
      'CHANNEL_NOT_ALLOWED',
    ],
    ['gd-0001', 'gd-0001', 2, '$SYS/broker/uptime', 'SYS_TOPIC'],
    ['gd-0001', 'gd-0001', 4, 'or/st-anne/gown_dispenser/gd-0001/cmd/#', true],
    ['gd-0001', 'gd-0001', 4, 'or/st-anne/gown_dispenser/gd-0002/cmd/#', 'NOT_ALLOWED'],
    ['gd-0001', 'gd-0001', 4, '#', 'NOT_ALLOWED'],
    [
      'gd-0001',
      'gd-0001',
      4,
      '$share/g/or/st-anne/gown_dispenser/gd-0001/cmd/#',
      'SHARED_SUBSCRIPTION',
    ],
    ['gd-0001', 'gd-0001', 4, '$SYS/#', 'NOT_ALLOWED'],
    ['gd-0001', 'gd-0001', 1, 'or/st-anne/gown_dispenser/gd-0001/cmd/reboot', true],
    ['gd-0001', 'gd-0001', 1, 'or/st-anne/gown_dispenser/gd-0002/cmd/reboot', 'NOT_ALLOWED'],
    ['gd-0001', 'gd-0001', 1, 'or/st-anne/base_station/bs-0001/sightings', 'NOT_ALLOWED'],
    ['gd-0001', 'gd-0001', 3, 'or/st-anne/gown_dispenser/gd-0001/heartbeat', 'NOT_ALLOWED'],
    ['gd-0001', 'gd-0002', 2, 'or/st-anne/gown_dispenser/gd-0001/heartbeat', 'CLIENT_ID_MISMATCH'],
    ['gd-0404', 'gd-0404', 2, 'or/st-anne/gown_dispenser/gd-0404/heartbeat', 'UNKNOWN_DEVICE'],
    ['gd-0009', 'gd-0009', 2, 'or/st-anne/gown_dispenser/gd-0009/heartbeat', 'RETIRED_DEVICE'],
    ['', 'anonymous', 4, '#', 'NO_CREDENTIALS'],
    ['svc:test-device-service', 'svc:test-device-service', 4, 'or/#', true],
    ['svc:test-device-service', 'svc:test-device-service', 4, '$SYS/#', true],
    ['svc:test-device-service', 'svc:test-device-service', 4, '#', 'NOT_ALLOWED'],
    [
      'svc:test-device-service',
      'svc:test-device-service',
      4,
      '$share/ingest/or/#',
      'SHARED_SUBSCRIPTION',
    ],
    [
      'svc:test-device-service',
      'svc:test-device-service',
      1,
      'or/st-anne/gown_dispenser/gd-0001/heartbeat',
      true,
    ],
    [
      'svc:test-device-service',
      'svc:test-device-service',
      2,
      'or/st-anne/gown_dispenser/gd-0001/heartbeat',
      'NOT_ALLOWED',
    ],
    [
      'svc:test-device-service',
      'svc:test-device-service',
      2,
      'or/st-anne/gown_dispenser/gd-0001/cmd/reboot',
      true,
    ],
    ['svc:test-admin', 'svc:test-admin', 2, 'or/st-anne/gown_dispenser/gd-0001/cmd/reboot', true],
    ['svc:test-admin', 'svc:test-admin', 2, '$SYS/broker/x', 'SYS_TOPIC'],
    ['svc:test-viewer', 'svc:test-viewer', 4, 'or/#', 'UNKNOWN_SERVICE'],
    ['svc:nobody', 'svc:nobody', 4, 'or/#', 'UNKNOWN_SERVICE'],
  ];

  describe('go-auth http_aclcheck_uri', () => {
    it.each([false, true])(
      'decides every case alike with form params (acc as text): %s',
      async (form) => {
        for (const [username, clientid, acc, topic, expected] of acls) {
          const wire = await goAuth('acl', { username, clientid, topic, acc }, { form });
          expect({ username, acc, topic, status: wire.status, body: json(wire) }).toEqual({
            username,
            acc,
            topic,
            status: expected === true ? 200 : 403,
            body: expected === true ? { ok: true, error: '' } : { ok: false, error: expected },
          });
        }
      },
    );

    it('refuses a malformed check with 400 (go-auth reads any non-2xx as "no")', async () => {
      const base = { username: 'gd-0001', clientid: 'gd-0001', topic: 'x' };
      expect((await goAuth('acl', { ...base, acc: 5 })).status).toBe(400);
      expect((await goAuth('acl', { ...base, acc: 'read' }, { form: true })).status).toBe(400);
      expect((await goAuth('acl', { username: 'gd-0001', acc: 1 })).status).toBe(400);
      expect((await goAuth('acl', { ...base, acc: 1 }, { response: 'xml' })).status).toBe(400);
    });
  });

  describe('EMQX authentication', () => {
    it('answers 200 application/json {"result","is_superuser"} for allow and deny', async () => {
      const good = await emqx('authn', {
        username: 'gd-0001',
        password: secret['gd-0001'] ?? '',
        clientid: 'gd-0001',
      });
      expect(good.status).toBe(200);
      expect(good.contentType).toMatch(/^application\/json/);
      expect(good.text).toBe('{"result":"allow","is_superuser":false}');
      const bad = await emqx('authn', {
        username: 'gd-0001',
        password: 'dev_nope',
        clientid: 'gd-0001',
      });
      expect(bad.status).toBe(200);
      expect(bad.text).toBe('{"result":"deny","is_superuser":false}');
    });

    it('decides every case as go-auth does', async () => {
      for (const [name, username, password, clientid, expected] of connects()) {
        const wire = await emqx('authn', { username, password, clientid });
        expect({ name, status: wire.status, body: json(wire) }).toEqual({
          name,
          status: 200,
          body: { result: expected === true ? 'allow' : 'deny', is_superuser: false },
        });
      }
    });
  });

  describe('EMQX authorization', () => {
    it('decides every case as go-auth does (publish = write, subscribe = subscribe)', async () => {
      for (const [username, clientid, acc, topic, expected] of acls) {
        if (acc !== 2 && acc !== 4) continue; // EMQX asks before publish and subscribe only
        const action = acc === 2 ? 'publish' : 'subscribe';
        const wire = await emqx('authz', { username, clientid, topic, action, qos: '1' });
        expect({ username, action, topic, status: wire.status, body: wire.text }).toEqual({
          username,
          action,
          topic,
          status: 200,
          body: `{"result":"${expected === true ? 'allow' : 'deny'}"}`,
        });
      }
    });

    it('refuses a QoS 2 publish when EMQX sends ${qos}, as text or as a number', async () => {
      const base = {
        username: 'gd-0001',
        clientid: 'gd-0001',
        topic: 'or/st-anne/gown_dispenser/gd-0001/heartbeat',
        action: 'publish',
      };
      expect(json(await emqx('authz', { ...base, qos: '2' }))).toEqual({ result: 'deny' });
      expect(json(await emqx('authz', { ...base, qos: 2 }))).toEqual({ result: 'deny' });
      expect(json(await emqx('authz', base))).toEqual({ result: 'allow' });
      expect((await emqx('authz', { ...base, action: 'all' })).status).toBe(400);
    });
  });

  describe('who may ask', () => {
    const user = () => ({
      username: 'gd-0001',
      password: secret['gd-0001'] ?? '',
      clientid: 'gd-0001',
    });

    it('refuses go-auth without a device-service (or admin) token: 401 / 403', async () => {
      expect(await goAuth('user', user(), { token: null })).toMatchObject({ status: 401 });
      expect(await goAuth('user', user(), { token: 'orf_forged' })).toMatchObject({ status: 401 });
      for (const role of ['viewer', 'engineer'] as const) {
        const wire = await goAuth(
          'acl',
          { ...user(), topic: '#', acc: 4 },
          { token: t.tokens[role] },
        );
        expect(wire.status).toBe(403);
        expect(json(wire)).toMatchObject({ code: 'AUTH_FORBIDDEN' });
      }
      expect((await goAuth('user', user(), { token: t.tokens.admin })).status).toBe(200);
      // a header works as well as the query string
      const header = await post(`${GO_AUTH}/user`, user(), { bearer: t.tokens['device-service'] });
      expect(header.status).toBe(200);
    });

    it('refuses EMQX without a device-service token, and takes no token from its query', async () => {
      expect((await emqx('authn', user(), null)).status).toBe(401);
      expect((await emqx('authn', user(), t.tokens.viewer)).status).toBe(403);
      expect((await emqx('authn', user(), t.tokens.engineer)).status).toBe(403);
      const inQuery = await post(`${EMQX}/authn`, user(), {
        query: { access_token: t.tokens['device-service'] },
      });
      expect(inQuery.status).toBe(401);
    });
  });

  it('counts refusals by dialect, check and reason', async () => {
    const { body } = await t.request<string>('GET', '/metrics', { token: null });
    expect(body).toMatch(
      /orfleet_broker_auth_refused_total\{dialect="go-auth",check="connect",reason="BAD_SECRET"\} [1-9]/,
    );
    expect(body).toMatch(
      /orfleet_broker_auth_refused_total\{dialect="go-auth",check="subscribe",reason="SHARED_SUBSCRIPTION"\} [1-9]/,
    );
    expect(body).toMatch(
      /orfleet_broker_auth_refused_total\{dialect="emqx",check="publish",reason="NOT_OWN_TOPIC"\} [1-9]/,
    );
    expect(body).toMatch(
      /orfleet_broker_auth_refused_total\{dialect="emqx",check="connect",reason="RETIRED_DEVICE"\} [1-9]/,
    );
  });
});
