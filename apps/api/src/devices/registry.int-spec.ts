import { createHash } from 'node:crypto';
import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { CREDENTIAL_SQL } from './devices.service';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface Registered {
  device: { id: string; warrantyEnd: string; createdBy: string; status: string };
  secret: string;
}

describe('registry (real PostgreSQL)', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
    for (const id of ['st-anne', 'st-paul']) {
      const created = await t.request('POST', '/api/v1/sites', {
        body: { id, name: id, zone: 'city', timezone: 'Asia/Shanghai', region: 'east' },
      });
      expect(created.status).toBe(201);
    }
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

  describe('sites', () => {
    it.each([
      [
        { id: 'st-anne', name: 'x', zone: 'city', timezone: 'UTC', region: 'east' },
        409,
        'SITE_EXISTS',
      ],
      [
        { id: 'st-mark', name: 'x', zone: 'city', timezone: 'Mars/Base', region: 'east' },
        422,
        'SITE_INVALID',
      ],
      [
        { id: 'St Mark', name: 'x', zone: 'city', timezone: 'UTC', region: 'east' },
        400,
        'VALIDATION_FAILED',
      ],
      [
        { id: 'st-mark', name: 'x', zone: 'downtown', timezone: 'UTC', region: 'east' },
        400,
        'VALIDATION_FAILED',
      ],
    ])('refuses %j with %i', async (body, status, code) => {
      expect(await t.request('POST', '/api/v1/sites', { body })).toMatchObject({
        status,
        body: { code },
      });
    });

    it('lets viewers read and only admins write', async () => {
      expect((await t.request('GET', '/api/v1/sites', { token: t.tokens.viewer })).status).toBe(
        200,
      );
      const denied = await t.request('POST', '/api/v1/sites', {
        token: t.tokens.engineer,
        body: { id: 'st-x', name: 'x', zone: 'city', timezone: 'UTC', region: 'east' },
      });
      expect(denied.status).toBe(403);
    });

    it('updates a site and records who did it', async () => {
      const { status, body } = await t.request('PATCH', '/api/v1/sites/st-paul', {
        body: { zone: 'suburb' },
      });
      expect([status, body]).toEqual([
        200,
        expect.objectContaining({
          zone: 'suburb',
          updatedBy: expect.stringMatching(/^test-admin/),
        }),
      ]);
    });
  });

  describe('devices', () => {
    it('registers a device, returns its MQTT secret once and stores only the hash', async () => {
      const { status, body } = await t.request<Registered>('POST', '/api/v1/devices', {
        body: device('gd-0001'),
      });
      expect(status).toBe(201);
      expect(body.secret).toMatch(/^dev_[A-Za-z0-9_-]{43}$/);
      expect(body.device).toMatchObject({
        warrantyEnd: '2031-03-01',
        status: 'active',
        createdBy: expect.stringMatching(/^test-admin/),
      });
      const [row] = await t.sql<{ secret_sha256: string }>(
        'SELECT secret_sha256 FROM device WHERE id = $1',
        ['gd-0001'],
      );
      expect(row?.secret_sha256).toBe(sha256(body.secret));
      const fetched = await t.request('GET', '/api/v1/devices/gd-0001', { token: t.tokens.viewer });
      expect(JSON.stringify(fetched.body)).not.toMatch(/secret_?sha256|dev_/i);
    });

    it.each([
      [device('gd-0001'), 409, 'DEVICE_EXISTS'],
      [device('gd-0002', { kind: 'toaster' }), 422, 'DEVICE_INVALID'],
      [device('gd-0002', { siteId: 'nowhere' }), 422, 'DEVICE_INVALID'],
      [device('gd-0002', { installDate: '2999-01-01' }), 422, 'DEVICE_INVALID'],
      [device('gd-0002', { parentId: 'gd-0001' }), 422, 'DEVICE_INVALID'],
      [device('gd-0002', { color: 'red' }), 400, 'VALIDATION_FAILED'],
      [device('gd-0002', { installDate: 'yesterday' }), 400, 'VALIDATION_FAILED'],
    ])('refuses %j with %i', async (body, status, code) => {
      expect(await t.request('POST', '/api/v1/devices', { body })).toMatchObject({
        status,
        body: { code },
      });
    });

    it('refuses a second device with the same model and serial (409), whoever races', async () => {
      const dup = await t.request('POST', '/api/v1/devices', {
        body: device('gd-0050', { serial: 'SN-gd-0001' }),
      });
      expect(dup).toMatchObject({ status: 409, body: { code: 'DEVICE_EXISTS' } });
      const racing = await Promise.all(
        Array.from({ length: 6 }, () =>
          t.request('POST', '/api/v1/devices', { body: device('gd-0051') }),
        ),
      );
      expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      const sites = await Promise.all(
        Array.from({ length: 6 }, () =>
          t.request('POST', '/api/v1/sites', {
            body: { id: 'st-race', name: 'r', zone: 'city', timezone: 'UTC', region: 'east' },
          }),
        ),
      );
      expect(sites.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    });

    it('rotates the secret: the credential lookup then matches the new one only', async () => {
      const first = await t.request<Registered>('POST', '/api/v1/devices', {
        body: device('gd-0003'),
      });
      const rotated = await t.request<Registered>('POST', '/api/v1/devices/gd-0003/secret');
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).not.toBe(first.body.secret);
      const credential = await t.request<{
        secretSha256: string;
        siteId: string;
        kind: string;
        status: string;
      }>('GET', '/api/v1/internal/devices/gd-0003/credential', {
        token: t.tokens['device-service'],
      });
      expect(credential.body).toMatchObject({
        secretSha256: sha256(rotated.body.secret),
        siteId: 'st-anne',
        kind: 'gown_dispenser',
        status: 'active',
      });
      // the documented SQL gives a broker the same answer
      const [row] = await t.sql<{ secret_sha256: string; status: string }>(CREDENTIAL_SQL, [
        'gd-0003',
      ]);
      expect(row).toMatchObject({ secret_sha256: sha256(rotated.body.secret), status: 'active' });
    });

    it('keeps the credential lookup for service accounts and admins', async () => {
      const path = '/api/v1/internal/devices/gd-0001/credential';
      expect((await t.request('GET', path, { token: t.tokens.engineer })).status).toBe(403);
      expect((await t.request('GET', path, { token: t.tokens.viewer })).status).toBe(403);
      expect((await t.request('GET', path, { token: null })).status).toBe(401);
      expect(
        (
          await t.request('GET', '/api/v1/internal/devices/nope-1/credential', {
            token: t.tokens['device-service'],
          })
        ).status,
      ).toBe(404);
    });

    it('retires a device: its credential says so', async () => {
      await t.request('POST', '/api/v1/devices', { body: device('gd-0004') });
      const retired = await t.request('PATCH', '/api/v1/devices/gd-0004', {
        body: { status: 'retired' },
      });
      expect(retired).toMatchObject({ status: 200, body: { status: 'retired' } });
      const [row] = await t.sql<{ status: string }>(CREDENTIAL_SQL, ['gd-0004']);
      expect(row?.status).toBe('retired');
    });

    it('links BLE devices to a base station of their site', async () => {
      await t.request('POST', '/api/v1/devices', {
        body: device('bs-0001', { kind: 'base_station' }),
      });
      const beacon = await t.request('POST', '/api/v1/devices', {
        body: device('bc-0001', { kind: 'beacon', parentId: 'bs-0001' }),
      });
      expect(beacon.status).toBe(201);
      const moved = await t.request('PATCH', '/api/v1/devices/bc-0001', {
        body: { parentId: 'gd-0001' },
      });
      expect(moved).toMatchObject({ status: 422, body: { code: 'DEVICE_INVALID' } });
    });
  });

  describe('bulk import', () => {
    it('imports all rows, parents before children, with a secret each', async () => {
      const rows = [
        device('bs-0100', { kind: 'base_station' }),
        device('wb-0100', { kind: 'wristband', parentId: 'bs-0100' }),
        device('gd-0100'),
      ];
      const { status, body } = await t.request<Registered[]>('POST', '/api/v1/devices:bulk', {
        body: { devices: rows },
      });
      expect(status).toBe(201);
      expect(body.map((r) => r.device.id)).toEqual(['bs-0100', 'wb-0100', 'gd-0100']);
      expect(new Set(body.map((r) => r.secret)).size).toBe(3);
    });

    it('imports nothing when any row is wrong, and names every bad row', async () => {
      const before = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM device');
      const rows = [
        device('gd-0200'),
        device('gd-0201', { siteId: 'nowhere' }),
        device('gd-0202'),
        device('gd-0202'),
        device('gd-0001'),
        device('gd-0203', { serial: 'SN-gd-0200' }),
      ];
      const { status, body } = await t.request<{
        code: string;
        details: { rows: { index: number; errors: string[] }[] };
      }>('POST', '/api/v1/devices:bulk', { body: { devices: rows } });
      expect(status).toBe(422);
      expect(body.code).toBe('BULK_IMPORT_INVALID');
      expect(body.details.rows.map((r) => r.index)).toEqual([1, 3, 4, 5]);
      expect(body.details.rows[3]?.errors).toEqual([
        'serial: GD-200 SN-gd-0200 is already registered as gd-0200',
      ]);
      expect(body.details.rows[1]?.errors).toEqual([
        'serial: GD-200 SN-gd-0202 is already registered as gd-0202',
        'id: gd-0202 appears twice in this import',
      ]);
      const after = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM device');
      expect(after[0]?.n).toBe(before[0]?.n);
    });

    it('refuses a bulk body that is not a list of devices', async () => {
      expect(
        (await t.request('POST', '/api/v1/devices:bulk', { body: { devices: [] } })).status,
      ).toBe(400);
      expect(
        (await t.request('POST', '/api/v1/devices:bulk', { body: [device('gd-0300')] })).status,
      ).toBe(400);
    });
  });

  describe('listing', () => {
    beforeAll(async () => {
      const rows = Array.from({ length: 230 }, (_, i) =>
        device(`sd-${String(i).padStart(4, '0')}`, {
          kind: 'shoe_dispenser',
          siteId: i % 2 === 0 ? 'st-anne' : 'st-paul',
        }),
      );
      const { status } = await t.request('POST', '/api/v1/devices:bulk', {
        body: { devices: rows },
      });
      expect(status).toBe(201);
    });

    it('pages through a filtered list with a cursor, each device once, in id order', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/api/v1/devices?kind=shoe_dispenser&site=st-anne&limit=50${cursor ? `&cursor=${cursor}` : ''}`;
        const { status, body } = await t.request<{
          items: { id: string; siteId: string }[];
          nextCursor: string | null;
        }>('GET', query, {
          token: t.tokens.viewer,
        });
        expect(status).toBe(200);
        for (const item of body.items) expect(item.siteId).toBe('st-anne');
        seen.push(...body.items.map((d) => d.id));
        cursor = body.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(seen).toHaveLength(115);
      expect([...seen].sort()).toEqual(seen);
      expect(new Set(seen).size).toBe(115);
      expect(pages).toBe(3);
    });

    it.each([
      ['/api/v1/devices?cursor=not-a-cursor', 400, 'CURSOR_INVALID'],
      ['/api/v1/devices?limit=5000', 400, 'VALIDATION_FAILED'],
      ['/api/v1/devices?kind=toaster', 400, 'VALIDATION_FAILED'],
    ])('refuses %s', async (path, status, code) => {
      expect(await t.request('GET', path)).toMatchObject({ status, body: { code } });
    });
  });
});
