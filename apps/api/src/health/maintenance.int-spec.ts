import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { HOUR, MINUTE, ManualClock } from '../../test/manual-clock';
import { DeviceHealth1767225700000 } from '../database/migrations/1767225700000-device-health';
import { seedDevice, seedSite } from '../tickets/ticket-test-kit';
import { MaintenanceService } from './maintenance.service';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

interface WindowBody {
  id: string;
  siteId: string | null;
  deviceId: string | null;
  startsAt: string;
  endsAt: string;
  reason: string;
  status: string;
  createdAt: string;
  createdBy: string;
  endedAt: string | null;
  endedBy: string | null;
  suppressed?: {
    deviceId: string | null;
    siteId: string;
    rule: string;
    fingerprint: string;
    at: string;
    lastAt: string;
    occurrences: number;
  }[];
  suppressedTotal?: number;
}

const ACTOR = /^test-engineer \(token [0-9a-f]{8}\)$/;

describe('maintenance windows API (real PostgreSQL)', () => {
  let t: TestApi;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    t = await startTestApi({ clock });
    await seedSite(t, 'st-anne');
    await seedSite(t, 'st-paul');
    await seedDevice(t, 'gd-or3', 'st-anne');
    await seedDevice(t, 'gd-or4', 'st-anne');
    await seedDevice(t, 'gd-paul', 'st-paul');
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    clock.set(T0);
    await t.sql('DELETE FROM maintenance_suppression');
    await t.sql('DELETE FROM maintenance_window');
  });

  async function create(body: Record<string, unknown>, token: string | null = t.tokens.engineer) {
    return t.request<WindowBody>('POST', '/api/v1/maintenance-windows', { token, body });
  }

  async function created(body: Record<string, unknown>): Promise<WindowBody> {
    const res = await create(body);
    expect(res.status).toBe(201);
    return res.body;
  }

  const device = (from: number, to: number, id = 'gd-or3') => ({
    deviceId: id,
    startsAt: at(from),
    endsAt: at(to),
    reason: 'firmware update',
  });
  const site = (from: number, to: number, id = 'st-anne') => ({
    siteId: id,
    startsAt: at(from),
    endsAt: at(to),
    reason: 'OR suite power works',
  });

  describe('create', () => {
    it('creates a device window, audited with the caller', async () => {
      const res = await create(device(0, 2 * HOUR));
      expect(res).toMatchObject({
        status: 201,
        body: {
          siteId: null,
          deviceId: 'gd-or3',
          startsAt: at(0),
          endsAt: at(2 * HOUR),
          reason: 'firmware update',
          status: 'active',
          createdAt: at(0),
          endedAt: null,
          endedBy: null,
        },
      });
      expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.createdBy).toMatch(ACTOR);
      const [row] = await t.sql('SELECT created_by, device_id FROM maintenance_window');
      expect(row).toEqual({ created_by: res.body.createdBy, device_id: 'gd-or3' });
    });

    it('creates a site window that starts later, with an offset in the instants', async () => {
      const res = await create({
        siteId: 'st-anne',
        startsAt: '2026-03-02T20:00:00+08:00',
        endsAt: '2026-03-02T23:00:00+08:00',
        reason: 'network switch replacement',
      });
      expect(res).toMatchObject({
        status: 201,
        body: {
          siteId: 'st-anne',
          deviceId: null,
          startsAt: '2026-03-02T12:00:00.000Z',
          endsAt: '2026-03-02T15:00:00.000Z',
          status: 'scheduled',
        },
      });
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['no reason', { ...device(0, HOUR), reason: undefined }, 'reason'],
      ['an empty reason', { ...device(0, HOUR), reason: '' }, 'reason'],
      ['a reason over 500 characters', { ...device(0, HOUR), reason: 'x'.repeat(501) }, 'reason'],
      ['no endsAt', { ...device(0, HOUR), endsAt: undefined }, 'endsAt'],
      ['a time that is not ISO 8601', { ...device(0, HOUR), startsAt: 'tomorrow' }, 'startsAt'],
      [
        'a wall-clock time without offset',
        { ...device(0, HOUR), endsAt: '2026-03-02T10:00:00' },
        'endsAt',
      ],
      ['a malformed device id', { ...device(0, HOUR), deviceId: 'GD OR3' }, 'deviceId'],
      ['an unknown field', { ...device(0, HOUR), severity: 'red' }, 'severity'],
    ])('refuses %s (400)', async (_label, body, field) => {
      const res = await create(body);
      expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
      expect(JSON.stringify(res.body)).toContain(field);
    });

    it.each<[string, Record<string, unknown>, string]>([
      [
        'neither site nor device',
        { startsAt: at(0), endsAt: at(HOUR), reason: 'x' },
        'siteId, deviceId: exactly one of them',
      ],
      [
        'both site and device',
        { ...device(0, HOUR), siteId: 'st-anne' },
        'siteId, deviceId: exactly one of them',
      ],
      ['an end before the start', device(2 * HOUR, HOUR), 'endsAt: must be after startsAt'],
      [
        'more than 31 days',
        device(0, 31 * 24 * HOUR + 1),
        'endsAt: a window lasts at most 31 days',
      ],
      ['a window wholly past', device(-2 * HOUR, -HOUR), 'endsAt: already past'],
      ['an unknown device', device(0, HOUR, 'gd-nowhere'), 'deviceId: no device gd-nowhere'],
      ['an unknown site', site(0, HOUR, 'st-nowhere'), 'siteId: no site st-nowhere'],
    ])('refuses %s (422)', async (_label, body, problem) => {
      const res = await create(body);
      expect(res).toMatchObject({
        status: 422,
        body: { code: 'MAINTENANCE_WINDOW_INVALID', details: { problems: [problem] } },
      });
      expect(await t.sql('SELECT 1 FROM maintenance_window')).toEqual([]);
    });

    it('lists every problem at once', async () => {
      const res = await create({ siteId: 'st-nowhere', ...device(2 * HOUR, HOUR) });
      expect(res).toMatchObject({
        status: 422,
        body: {
          details: {
            problems: [
              'siteId, deviceId: exactly one of them',
              'endsAt: must be after startsAt',
              'siteId: no site st-nowhere',
            ],
          },
        },
      });
    });
  });

  describe('roles', () => {
    it.each([
      ['viewer', 403],
      ['device-service', 403],
      ['engineer', 201],
      ['admin', 201],
    ] as const)('create as %s → %d', async (role, status) => {
      expect((await create(device(0, HOUR), t.tokens[role])).status).toBe(status);
    });

    it('needs a token', async () => {
      expect((await create(device(0, HOUR), null)).status).toBe(401);
      const list = await t.request('GET', '/api/v1/maintenance-windows', { token: null });
      expect(list.status).toBe(401);
    });

    it.each(['viewer', 'device-service', 'engineer'] as const)(
      'list and get as %s; ending needs an engineer',
      async (role) => {
        const w = await created(device(0, HOUR));
        const token = t.tokens[role];
        const list = await t.request('GET', '/api/v1/maintenance-windows', { token });
        expect(list.status).toBe(200);
        const get = await t.request('GET', `/api/v1/maintenance-windows/${w.id}`, { token });
        expect(get.status).toBe(200);
        const end = await t.request('POST', `/api/v1/maintenance-windows/${w.id}/end`, { token });
        expect(end.status).toBe(role === 'engineer' ? 200 : 403);
      },
    );
  });

  describe('list', () => {
    it('newest first, filtered by activity, site and device', async () => {
      const ids: Record<string, string> = {};
      for (const [name, body] of [
        ['or3', device(-HOUR, HOUR)],
        ['anne', site(2 * HOUR, 3 * HOUR)],
        ['or4', device(0, HOUR, 'gd-or4')],
        ['paul', site(0, HOUR, 'st-paul')],
        ['paulDevice', device(3 * HOUR, 4 * HOUR, 'gd-paul')],
      ] as const) {
        clock.advance(MINUTE); // distinct creation times
        ids[name] = (await created(body)).id;
      }
      const list = async (query = '') => {
        const res = await t.request<WindowBody[]>('GET', `/api/v1/maintenance-windows${query}`, {
          token: t.tokens.viewer,
        });
        expect(res.status).toBe(200);
        return res.body.map((w) => Object.keys(ids).find((k) => ids[k] === w.id));
      };
      expect(await list()).toEqual(['paulDevice', 'paul', 'or4', 'anne', 'or3']);
      expect(await list('?active=true')).toEqual(['paul', 'or4', 'or3']);
      expect(await list('?active=false')).toEqual(['paulDevice', 'anne']);
      // a site: its own windows and its devices'
      expect(await list('?siteId=st-anne')).toEqual(['or4', 'anne', 'or3']);
      // a device: its own windows and its site's
      expect(await list('?deviceId=gd-or3')).toEqual(['anne', 'or3']);
      expect(await list('?deviceId=gd-or3&active=true')).toEqual(['or3']);
      expect(await list('?siteId=st-paul&active=false')).toEqual(['paulDevice']);
      expect(await list('?limit=2')).toEqual(['paulDevice', 'paul']);
      expect(await list('?siteId=st-nowhere')).toEqual([]);

      clock.set(T0 + 2 * HOUR + 30 * MINUTE);
      expect(await list('?active=true')).toEqual(['anne']);
    });

    it.each(['?active=yes', '?limit=0', '?limit=501', '?siteId=NOT%20AN%20ID', '?color=red'])(
      'refuses %s (400)',
      async (query) => {
        const res = await t.request('GET', `/api/v1/maintenance-windows${query}`);
        expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
      },
    );
  });

  describe('get and end', () => {
    it('ends a window now, once: the second end is a 409', async () => {
      const w = await created(device(0, 2 * HOUR));
      clock.set(T0 + 30 * MINUTE);
      const end = await t.request<WindowBody>('POST', `/api/v1/maintenance-windows/${w.id}/end`, {
        token: t.tokens.engineer,
      });
      expect(end).toMatchObject({
        status: 200,
        body: { id: w.id, status: 'ended', endsAt: at(2 * HOUR), endedAt: at(30 * MINUTE) },
      });
      expect(end.body.endedBy).toMatch(ACTOR);
      const [row] = await t.sql('SELECT ended_at, ended_by FROM maintenance_window');
      expect(row).toEqual({ ended_at: new Date(T0 + 30 * MINUTE), ended_by: end.body.endedBy });

      clock.set(T0 + 40 * MINUTE);
      const again = await t.request('POST', `/api/v1/maintenance-windows/${w.id}/end`, {
        token: t.tokens.engineer,
      });
      expect(again).toMatchObject({
        status: 409,
        body: {
          code: 'MAINTENANCE_WINDOW_ENDED',
          message: `the window was already ended at ${at(30 * MINUTE)}`,
          details: { endedAt: at(30 * MINUTE), endsAt: at(2 * HOUR) },
        },
      });
      const [after] = await t.sql('SELECT ended_at FROM maintenance_window');
      expect(after).toEqual({ ended_at: new Date(T0 + 30 * MINUTE) });
    });

    it('a window over as planned cannot be ended (409)', async () => {
      const w = await created(device(0, HOUR));
      clock.set(T0 + HOUR);
      const res = await t.request('POST', `/api/v1/maintenance-windows/${w.id}/end`, {
        token: t.tokens.engineer,
      });
      expect(res).toMatchObject({ status: 409, body: { code: 'MAINTENANCE_WINDOW_ENDED' } });
    });

    it('ending a window before its start cancels it', async () => {
      const w = await created(site(HOUR, 2 * HOUR));
      const end = await t.request<WindowBody>('POST', `/api/v1/maintenance-windows/${w.id}/end`, {
        token: t.tokens.engineer,
      });
      expect(end.body).toMatchObject({ status: 'ended', endedAt: at(0) });
      clock.set(T0 + 90 * MINUTE);
      const got = await t.request<WindowBody>('GET', `/api/v1/maintenance-windows/${w.id}`);
      expect(got.body.status).toBe('ended');
      const active = await t.request<WindowBody[]>(
        'GET',
        '/api/v1/maintenance-windows?active=true',
      );
      expect(active.body).toEqual([]);
    });

    it('404 for an unknown window, 400 for an id that is not a UUID', async () => {
      const unknown = '7f0c1e2a-0000-4000-8000-000000000000';
      expect(await t.request('GET', `/api/v1/maintenance-windows/${unknown}`)).toMatchObject({
        status: 404,
        body: { code: 'MAINTENANCE_WINDOW_NOT_FOUND' },
      });
      const end = await t.request('POST', `/api/v1/maintenance-windows/${unknown}/end`);
      expect(end).toMatchObject({ status: 404, body: { code: 'MAINTENANCE_WINDOW_NOT_FOUND' } });
      expect((await t.request('GET', '/api/v1/maintenance-windows/42')).status).toBe(400);
    });
  });

  describe('what the health rules call', () => {
    it('suppressions are audited per fingerprint and shown with the window', async () => {
      const w = await created(site(0, 2 * HOUR));
      const maintenance = t.api.app.get(MaintenanceService);
      await maintenance.recordSuppression(w.id, {
        deviceId: 'gd-or3',
        siteId: 'st-anne',
        rule: 'missing',
        fingerprint: 'missing:gd-or3',
        at: new Date(T0 + 10 * MINUTE),
      });
      // the engine's action as it is: epoch ms, no deviceId for a site-level ticket
      await maintenance.recordSuppression(w.id, {
        siteId: 'st-anne',
        rule: 'site',
        fingerprint: 'site:st-anne',
        at: T0 + 20 * MINUTE,
      });
      for (const minute of [30, 25]) {
        await maintenance.recordSuppression(w.id, {
          deviceId: 'gd-or3',
          siteId: 'st-anne',
          rule: 'missing',
          fingerprint: 'missing:gd-or3',
          at: T0 + minute * MINUTE,
        });
      }
      const res = await t.request<WindowBody>('GET', `/api/v1/maintenance-windows/${w.id}`, {
        token: t.tokens.viewer,
      });
      expect(res.status).toBe(200);
      expect(res.body.suppressedTotal).toBe(2);
      expect(res.body.suppressed).toEqual([
        {
          deviceId: 'gd-or3',
          siteId: 'st-anne',
          rule: 'missing',
          fingerprint: 'missing:gd-or3',
          at: at(10 * MINUTE),
          lastAt: at(30 * MINUTE),
          occurrences: 3,
        },
        {
          deviceId: null,
          siteId: 'st-anne',
          rule: 'site',
          fingerprint: 'site:st-anne',
          at: at(20 * MINUTE),
          lastAt: at(20 * MINUTE),
          occurrences: 1,
        },
      ]);
      // another window's audit is its own
      const other = await created(device(0, HOUR, 'gd-or4'));
      const empty = await t.request<WindowBody>('GET', `/api/v1/maintenance-windows/${other.id}`);
      expect(empty.body).toMatchObject({ suppressed: [], suppressedTotal: 0 });
    });

    it('activeWindows: active now or starting within the hour', async () => {
      const ids: Record<string, string> = {};
      for (const [name, body] of [
        ['active', device(-HOUR, HOUR)],
        ['soon', site(59 * MINUTE, 2 * HOUR)],
        ['inAnHour', site(HOUR, 2 * HOUR, 'st-paul')],
        ['later', device(HOUR + 2, 2 * HOUR, 'gd-or4')],
        ['over', device(-HOUR, 1, 'gd-paul')],
        ['endedEarly', device(0, 2 * HOUR, 'gd-or4')],
      ] as const) {
        ids[name] = (await created(body)).id;
      }
      clock.set(T0 + 1);
      await t.request('POST', `/api/v1/maintenance-windows/${ids['endedEarly']}/end`, {
        token: t.tokens.engineer,
      });
      const windows = await t.api.app.get(MaintenanceService).activeWindows(new Date(T0 + 1));
      const names = windows.map((w) => Object.keys(ids).find((k) => ids[k] === w.id));
      expect(names).toEqual(['active', 'soon', 'inAnHour']);
      expect(windows[0]).toMatchObject({
        deviceId: 'gd-or3',
        siteId: null,
        startsAt: new Date(T0 - HOUR),
        endsAt: new Date(T0 + HOUR),
        endedAt: null,
      });
    });

    it('tells listeners when a window is created or ended', async () => {
      const maintenance = t.api.app.get(MaintenanceService);
      let calls = 0;
      const stop = maintenance.onChange(() => calls++);
      const w = await created(device(0, HOUR));
      expect(calls).toBe(1);
      await t.request('POST', `/api/v1/maintenance-windows/${w.id}/end`, {
        token: t.tokens.engineer,
      });
      expect(calls).toBe(2);
      await create(device(HOUR, 0)); // refused: no change
      stop();
      await created(device(0, HOUR));
      expect(calls).toBe(2);
    });
  });

  describe('the schema itself', () => {
    const insert = (siteId: string | null, deviceId: string | null, endsAt = T0 + HOUR) =>
      t.sql(
        `INSERT INTO maintenance_window (site_id, device_id, starts_at, ends_at, reason,
           created_at, created_by) VALUES ($1, $2, $3, $4, 'x', $3, 'test')`,
        [siteId, deviceId, new Date(T0), new Date(endsAt)],
      );

    it.each<[string, () => Promise<unknown>]>([
      ['both a site and a device', () => insert('st-anne', 'gd-or3')],
      ['neither', () => insert(null, null)],
      ['an end not after the start', () => insert('st-anne', null, T0)],
      ['an unknown device', () => insert(null, 'gd-nowhere')],
    ])('refuses %s', async (_label, write) => {
      await expect(write()).rejects.toThrow();
    });

    it('the migration goes down and up again', async () => {
      const runner = t.api.dataSource.createQueryRunner();
      const migration = new DeviceHealth1767225700000();
      try {
        await migration.down(runner);
        const left = await t.sql<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables
            WHERE table_name IN ('device_health', 'maintenance_window', 'maintenance_suppression')`,
        );
        expect(left).toEqual([]);
      } finally {
        await migration.up(runner);
        await runner.release();
      }
      expect((await create(device(0, HOUR))).status).toBe(201);
    });
  });
});
