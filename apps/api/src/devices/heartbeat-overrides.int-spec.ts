import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';

interface HeartbeatFields {
  id: string;
  heartbeatIntervalS: number | null;
  missesBeforeMissing: number | null;
  effectiveHeartbeatIntervalS: number;
  effectiveMissesBeforeMissing: number;
  missingAfterS: number;
}

interface ErrorBody {
  code: string;
  message: string;
  details?: { fields?: string[]; rows?: { index: number; id: string; errors: string[] }[] };
}

/**
 * Per-device heartbeat overrides through the registry API: create, bulk import and PATCH store
 * them (null = the kind's default, contract table: dispenser 30 s × 3, base station 10 s × 3),
 * the views return them with the effective values, and out-of-range values are refused with 400s
 * that name the field, writing nothing.
 */
describe('heartbeat overrides in the registry (real PostgreSQL)', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
    const site = await t.request('POST', '/api/v1/sites', {
      body: { id: 'st-anne', name: 'St Anne', zone: 'city', timezone: 'UTC', region: 'east' },
    });
    expect(site.status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  const device = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    kind: 'gown_dispenser',
    model: 'GD-200',
    serial: `SN-${id}`,
    siteId: 'st-anne',
    installDate: '2026-03-01',
    ...extra,
  });
  const stored = async (id: string) =>
    (
      await t.sql<{ interval: number | null; misses: number | null }>(
        'SELECT heartbeat_interval_s AS interval, misses_before_missing AS misses FROM device WHERE id = $1',
        [id],
      )
    )[0];
  const count = async () =>
    (await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM device'))[0]?.n;

  it('stores overrides given at creation and returns them with the effective values', async () => {
    const { status, body } = await t.request<{ device: HeartbeatFields }>(
      'POST',
      '/api/v1/devices',
      { body: device('gd-0001', { heartbeatIntervalS: 120, missesBeforeMissing: 4 }) },
    );
    expect(status).toBe(201);
    expect(body.device).toMatchObject({
      heartbeatIntervalS: 120,
      missesBeforeMissing: 4,
      effectiveHeartbeatIntervalS: 120,
      effectiveMissesBeforeMissing: 4,
      missingAfterS: 480,
    });
    expect(await stored('gd-0001')).toEqual({ interval: 120, misses: 4 });
    const read = await t.request<HeartbeatFields>('GET', '/api/v1/devices/gd-0001', {
      token: t.tokens.viewer,
    });
    expect(read.body).toMatchObject({ heartbeatIntervalS: 120, missingAfterS: 480 });
  });

  it('stores null without overrides and reports the kind defaults as effective', async () => {
    const { body } = await t.request<{ device: HeartbeatFields }>('POST', '/api/v1/devices', {
      body: device('gd-0002', { missesBeforeMissing: null }),
    });
    expect(body.device).toMatchObject({
      heartbeatIntervalS: null,
      missesBeforeMissing: null,
      effectiveHeartbeatIntervalS: 30,
      effectiveMissesBeforeMissing: 3,
      missingAfterS: 90,
    });
    expect(await stored('gd-0002')).toEqual({ interval: null, misses: null });
  });

  it('imports overrides row by row in a bulk import, including the limits', async () => {
    const { status, body } = await t.request<{ device: HeartbeatFields }[]>(
      'POST',
      '/api/v1/devices:bulk',
      {
        body: {
          devices: [
            device('bs-0001', { kind: 'base_station', missesBeforeMissing: 1_000 }),
            device('gd-0003', { heartbeatIntervalS: 86_400, missesBeforeMissing: 1 }),
            device('gd-0004'),
          ],
        },
      },
    );
    expect(status).toBe(201);
    expect(
      body.map((r) => [
        r.device.id,
        r.device.heartbeatIntervalS,
        r.device.missesBeforeMissing,
        r.device.missingAfterS,
      ]),
    ).toEqual([
      ['bs-0001', null, 1_000, 10_000],
      ['gd-0003', 86_400, 1, 86_400],
      ['gd-0004', null, null, 90],
    ]);
    expect(await stored('bs-0001')).toEqual({ interval: null, misses: 1_000 });
    expect(await stored('gd-0003')).toEqual({ interval: 86_400, misses: 1 });
  });

  it('changes, keeps and clears overrides with PATCH', async () => {
    const patch = (body: unknown) =>
      t.request<HeartbeatFields>('PATCH', '/api/v1/devices/gd-0004', { body });
    expect((await patch({ heartbeatIntervalS: 15 })).body).toMatchObject({
      heartbeatIntervalS: 15,
      missesBeforeMissing: null,
      missingAfterS: 45,
    });
    // a PATCH that does not name them leaves them alone
    expect((await patch({ room: 'OR-9', missesBeforeMissing: 8 })).body).toMatchObject({
      heartbeatIntervalS: 15,
      missesBeforeMissing: 8,
      missingAfterS: 120,
    });
    expect(await stored('gd-0004')).toEqual({ interval: 15, misses: 8 });
    expect((await patch({ room: 'OR-1' })).body).toMatchObject({ heartbeatIntervalS: 15 });
    // null hands the device back to its kind's default
    const cleared = await patch({ heartbeatIntervalS: null, missesBeforeMissing: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({
      heartbeatIntervalS: null,
      missesBeforeMissing: null,
      effectiveHeartbeatIntervalS: 30,
      effectiveMissesBeforeMissing: 3,
      missingAfterS: 90,
    });
    expect(await stored('gd-0004')).toEqual({ interval: null, misses: null });
  });

  it.each([
    [{ heartbeatIntervalS: 0 }, 'heartbeatIntervalS: whole seconds from 1 to 86400'],
    [{ heartbeatIntervalS: 86_401 }, 'heartbeatIntervalS: whole seconds from 1 to 86400'],
    [{ heartbeatIntervalS: 2.5 }, 'heartbeatIntervalS: whole seconds from 1 to 86400'],
    [{ heartbeatIntervalS: '60' }, 'heartbeatIntervalS: whole seconds from 1 to 86400'],
    [{ missesBeforeMissing: 0 }, 'missesBeforeMissing: whole beats from 1 to 1000'],
    [{ missesBeforeMissing: 1_001 }, 'missesBeforeMissing: whole beats from 1 to 1000'],
  ])(
    'refuses %j on create, bulk import and PATCH with a 400 naming the field',
    async (bad, message) => {
      const before = await count();
      const created = await t.request<ErrorBody>('POST', '/api/v1/devices', {
        body: device('gd-0900', bad),
      });
      expect(created.status).toBe(400);
      expect(created.body.code).toBe('VALIDATION_FAILED');
      expect(created.body.details?.fields).toEqual([expect.stringContaining(message)]);

      const bulk = await t.request<ErrorBody>('POST', '/api/v1/devices:bulk', {
        body: { devices: [device('gd-0901'), device('gd-0902', bad)] },
      });
      expect(bulk.status).toBe(400);
      expect(bulk.body.details?.fields).toEqual([expect.stringContaining(`devices.1.${message}`)]);
      expect(await count()).toBe(before);

      const patched = await t.request<ErrorBody>('PATCH', '/api/v1/devices/gd-0001', {
        body: bad,
      });
      expect(patched.status).toBe(400);
      expect(patched.body.details?.fields).toEqual([expect.stringContaining(message)]);
      expect(await stored('gd-0001')).toEqual({ interval: 120, misses: 4 });
    },
  );

  it('documents the overrides and the effective values in the OpenAPI document', async () => {
    const { body } = await t.request<{
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    }>('GET', '/api/docs-json', { token: null });
    const { schemas } = body.components;
    for (const dto of ['CreateDeviceDto', 'UpdateDeviceDto']) {
      expect(schemas[dto]?.properties['heartbeatIntervalS']).toMatchObject({
        nullable: true,
        minimum: 1,
        maximum: 86_400,
      });
      expect(schemas[dto]?.properties['missesBeforeMissing']).toMatchObject({
        nullable: true,
        minimum: 1,
        maximum: 1_000,
      });
    }
    expect(Object.keys(schemas['DeviceView']?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'heartbeatIntervalS',
        'missesBeforeMissing',
        'effectiveHeartbeatIntervalS',
        'effectiveMissesBeforeMissing',
        'missingAfterS',
      ]),
    );
  });

  it('lets only admins set overrides', async () => {
    const denied = await t.request('PATCH', '/api/v1/devices/gd-0001', {
      token: t.tokens.engineer,
      body: { heartbeatIntervalS: 10 },
    });
    expect(denied.status).toBe(403);
    expect(await stored('gd-0001')).toEqual({ interval: 120, misses: 4 });
  });
});
