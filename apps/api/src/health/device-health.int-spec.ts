import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { HOUR, MINUTE, ManualClock } from '../../test/manual-clock';
import { SECRET, seedSite } from '../tickets/ticket-test-kit';
import type { TrackedState } from './device-health.rules';
import { DeviceHealthStore } from './device-health.store';
import type { DeviceHealthRow } from './device-health.store';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

interface DeviceHealthBody {
  deviceId: string;
  siteId: string;
  kind: string;
  state: string;
  lastSeenAt: string | null;
  stateSince: string | null;
  missedBeats: number;
  openTickets: { id: string; number: string; severity: string; status: string; title: string }[];
  maintenanceWindow: { id: string; endsAt: string; reason: string } | null;
}

type Counts = Record<'ok' | 'missing' | 'unknown' | 'faulty' | 'maintenance', number>;
interface SiteHealthBody {
  siteId: string;
  total: number;
  byState: Counts;
  byKind: Record<string, Counts>;
}

const counts = (c: Partial<Counts>): Counts => ({
  ok: 0,
  missing: 0,
  unknown: 0,
  faulty: 0,
  maintenance: 0,
  ...c,
});

async function seedDevice(
  t: TestApi,
  id: string,
  siteId: string,
  kind = 'gown_dispenser',
  status = 'active',
): Promise<void> {
  await t.sql(
    `INSERT INTO device (id, kind, model, serial, site_id, install_date, warranty_end, status,
       secret_sha256, created_by, updated_by)
     VALUES ($1, $2, 'M-1', $1, $3, '2025-01-01', '2030-01-01', $4, $5, 'test', 'test')`,
    [id, kind, siteId, status, SECRET],
  );
}

/** A device_health row as the rules engine writes it. */
async function track(
  t: TestApi,
  deviceId: string,
  state: TrackedState,
  lastSeen: number | null = T0 - MINUTE,
  missedBeats = 0,
): Promise<void> {
  await t.sql(
    `INSERT INTO device_health (device_id, last_seen_at, state, state_since, missed_beats,
       updated_at) VALUES ($1, $2, $3, $4, $5, $4)`,
    [
      deviceId,
      lastSeen === null ? null : new Date(lastSeen),
      state,
      new Date(T0 - 30_000),
      missedBeats,
    ],
  );
}

describe('device health (real PostgreSQL)', () => {
  let t: TestApi;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    t = await startTestApi({ clock });
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => clock.set(T0));

  describe('DeviceHealthStore', () => {
    const N = 10_000;
    const id = (i: number) => `bc-${String(i).padStart(5, '0')}`;
    beforeAll(async () => {
      await seedSite(t, 'st-big');
      await t.sql(
        `INSERT INTO device (id, kind, model, serial, site_id, install_date, warranty_end,
           secret_sha256, created_by, updated_by)
         SELECT 'bc-' || lpad(i::text, 5, '0'), 'beacon', 'BC-1', 'bc-' || i, 'st-big',
                '2025-01-01', '2030-01-01', $2, 'test', 'test'
           FROM generate_series(0, $1::int - 1) AS i`,
        [N, SECRET],
      );
    });

    const states: TrackedState[] = ['ok', 'missing', 'unknown'];
    // millisecond instants that a float or a microsecond rounding would get wrong
    const rowsAt = (base: number, shift: number): DeviceHealthRow[] =>
      Array.from({ length: N }, (_, i) => ({
        deviceId: id(i),
        lastSeenAt: i % 7 === 0 ? null : base - i * 1_001 - 1,
        state: states[(i + shift) % 3] as TrackedState,
        stateSince: base - i * 997 + 3,
        missedBeats: (i + shift) % 3 === 0 ? 0 : (i % 50) + 1,
      }));
    const byId = (rows: readonly { deviceId: string }[]) =>
      [...rows].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));

    it('writes 10,000 rows in one call and reads them back exactly', async () => {
      const store = t.api.app.get(DeviceHealthStore);
      const rows = rowsAt(T0 + 123, 0);
      expect(await store.upsertMany(rows, T0 + 5)).toBe(N);
      const loaded = await store.loadAll();
      expect(loaded).toHaveLength(N);
      expect(byId(loaded)).toEqual(rows.map((r) => ({ ...r, updatedAt: T0 + 5 })));

      // again, every row changed: replaced, not added
      const next = rowsAt(T0 + 60_000 + 7, 1);
      expect(await store.upsertMany(next, T0 + 60_005)).toBe(N);
      expect(byId(await store.loadAll())).toEqual(
        next.map((r) => ({ ...r, updatedAt: T0 + 60_005 })),
      );
      expect(await t.sql('SELECT count(*)::int AS n FROM device_health')).toEqual([{ n: N }]);
    });

    it('skips rows of devices not in the registry, writes the rest', async () => {
      const store = t.api.app.get(DeviceHealthStore);
      const row = (deviceId: string): DeviceHealthRow => ({
        deviceId,
        lastSeenAt: T0,
        state: 'ok',
        stateSince: T0,
        missedBeats: 0,
      });
      expect(await store.upsertMany([row('bc-00001'), row('bc-gone')], T0 + 1)).toBe(1);
      expect(await store.upsertMany([], T0)).toBe(0);
      const [stored] = await t.sql(
        `SELECT last_seen_at, updated_at FROM device_health WHERE device_id = 'bc-00001'`,
      );
      expect(stored).toEqual({ last_seen_at: new Date(T0), updated_at: new Date(T0 + 1) });
    });

    it('counts a site of 10,000 devices (after the writes above)', async () => {
      const res = await t.request('GET', '/api/v1/sites/st-big/health');
      // the second write's states, then bc-00001 (unknown) written ok
      const expected = counts({ ok: 3334, missing: 3334, unknown: 3332 });
      expect(res).toMatchObject({
        status: 200,
        body: { siteId: 'st-big', total: N, byState: expected, byKind: { beacon: expected } },
      });
    });

    it('the database refuses a state it does not know', async () => {
      const store = t.api.app.get(DeviceHealthStore);
      const bad = {
        deviceId: 'bc-00002',
        lastSeenAt: null,
        state: 'faulty' as TrackedState,
        stateSince: T0,
        missedBeats: 0,
      };
      await expect(store.upsertMany([bad], T0)).rejects.toThrow(/device_health_state_check/);
    });
  });

  describe('GET /devices/:id/health and /sites/:id/health', () => {
    let ticketSeq = 0;
    /** A ticket through the tickets API, as the health rules open them. */
    async function openTicket(
      deviceId: string,
      fingerprint: string | undefined,
      source = 'health-rule',
      severity = 'red',
    ): Promise<{ id: string; number: string }> {
      const res = await t.request<{ id: string; number: string }>('POST', '/api/v1/tickets', {
        token: t.tokens.engineer,
        body: {
          severity,
          title: `ticket ${++ticketSeq}`,
          category: 'device-unusable',
          deviceId,
          source,
          ...(fingerprint === undefined ? {} : { fingerprint }),
        },
      });
      expect(res.status).toBe(201);
      return res.body;
    }

    async function window(on: Record<string, string>, from: number, to: number, reason = 'works') {
      const res = await t.request<{ id: string }>('POST', '/api/v1/maintenance-windows', {
        token: t.tokens.engineer,
        body: { ...on, startsAt: at(from), endsAt: at(to), reason },
      });
      expect(res.status).toBe(201);
      return res.body.id;
    }

    const health = async (deviceId: string, token = t.tokens.viewer) => {
      const res = await t.request<DeviceHealthBody>('GET', `/api/v1/devices/${deviceId}/health`, {
        token,
      });
      expect(res.status).toBe(200);
      return res.body;
    };
    const siteHealth = async (siteId: string, token = t.tokens.viewer) => {
      const res = await t.request<SiteHealthBody>('GET', `/api/v1/sites/${siteId}/health`, {
        token,
      });
      expect(res.status).toBe(200);
      return res.body;
    };

    beforeAll(async () => {
      await seedSite(t, 'st-anne');
      await seedSite(t, 'st-empty');
      // st-anne: the states one by one
      await seedDevice(t, 'gd-new', 'st-anne'); // no device_health row
      await seedDevice(t, 'gd-ok', 'st-anne');
      await track(t, 'gd-ok', 'ok');
      await seedDevice(t, 'gd-missing', 'st-anne');
      await track(t, 'gd-missing', 'missing', T0 - 5 * MINUTE, 9);
      await seedDevice(t, 'bc-behind', 'st-anne', 'beacon');
      await track(t, 'bc-behind', 'unknown', T0 - 10 * MINUTE, 2);
      await seedDevice(t, 'gd-faulty', 'st-anne');
      await track(t, 'gd-faulty', 'ok');
      await seedDevice(t, 'gd-back', 'st-anne'); // missing ticket open, device seen again
      await track(t, 'gd-back', 'ok');
      await seedDevice(t, 'gd-hotline', 'st-anne'); // a person's ticket only
      await track(t, 'gd-hotline', 'ok');
      await seedDevice(t, 'gd-silent-faulty', 'st-anne'); // fault ticket, then silence
      await track(t, 'gd-silent-faulty', 'missing', T0 - 5 * MINUTE, 9);
      await seedDevice(t, 'gd-fixed', 'st-anne'); // fault ticket cancelled
      await track(t, 'gd-fixed', 'ok');
      await seedDevice(t, 'bs-maint', 'st-anne', 'base_station');
      await track(t, 'bs-maint', 'missing', T0 - 5 * MINUTE, 30);
      await seedDevice(t, 'gd-retired', 'st-anne', 'gown_dispenser', 'retired');
      await track(t, 'gd-retired', 'missing');

      await openTicket('gd-faulty', 'fault:gd-faulty:MOTOR_STALL');
      await openTicket('gd-faulty', 'battery:gd-faulty', 'health-rule', 'green');
      await openTicket('gd-back', 'missing:gd-back');
      await openTicket('gd-hotline', undefined, 'hotline', 'yellow');
      await openTicket('gd-silent-faulty', 'motor:gd-silent-faulty');
      const fixed = await openTicket('gd-fixed', 'fault:gd-fixed:JAM');
      const cancel = await t.request('POST', `/api/v1/tickets/${fixed.id}/events`, {
        token: t.tokens.engineer,
        body: { type: 'cancel', text: 'false alarm' },
      });
      expect(cancel.status).toBe(201);
      await window({ deviceId: 'bs-maint' }, -HOUR, 2 * HOUR, 'base station swap');
      await window({ deviceId: 'gd-ok' }, HOUR, 2 * HOUR); // not yet
    });

    it.each<[string, string, Partial<DeviceHealthBody>]>([
      [
        'never seen since tracking began',
        'gd-new',
        { state: 'unknown', lastSeenAt: null, stateSince: null, missedBeats: 0 },
      ],
      [
        'heartbeating',
        'gd-ok',
        { state: 'ok', lastSeenAt: at(-MINUTE), stateSince: at(-30_000), missedBeats: 0 },
      ],
      ['missing', 'gd-missing', { state: 'missing', lastSeenAt: at(-5 * MINUTE), missedBeats: 9 }],
      ['unknown behind its base station', 'bc-behind', { state: 'unknown', kind: 'beacon' }],
      ['an open fault ticket', 'gd-faulty', { state: 'faulty' }],
      ['an open missing ticket after recovery', 'gd-back', { state: 'ok' }],
      ["a person's ticket", 'gd-hotline', { state: 'ok' }],
      ['missing with a fault ticket', 'gd-silent-faulty', { state: 'missing' }],
      ['a cancelled fault ticket', 'gd-fixed', { state: 'ok', openTickets: [] }],
      [
        'missing in a maintenance window',
        'bs-maint',
        {
          state: 'maintenance',
          kind: 'base_station',
          missedBeats: 30,
          maintenanceWindow: {
            id: expect.any(String),
            endsAt: at(2 * HOUR),
            reason: 'base station swap',
          },
        },
      ],
    ])('%s → %s', async (_label, deviceId, expected) => {
      expect(await health(deviceId)).toMatchObject({
        deviceId,
        siteId: 'st-anne',
        kind: 'gown_dispenser',
        maintenanceWindow: null,
        ...expected,
      });
    });

    it('lists the open tickets, red first', async () => {
      const faulty = await health('gd-faulty');
      expect(faulty.openTickets).toEqual([
        expect.objectContaining({ severity: 'red', status: 'new', title: expect.any(String) }),
        expect.objectContaining({ severity: 'green', status: 'new' }),
      ]);
      expect(faulty.openTickets[0]?.number).toMatch(/^T-2026-\d{6}$/);
      expect((await health('gd-back')).openTickets).toHaveLength(1);
    });

    it('counts a site by state and by kind, without retired devices', async () => {
      expect(await siteHealth('st-anne')).toEqual({
        siteId: 'st-anne',
        total: 10,
        byState: counts({ ok: 4, missing: 2, unknown: 2, faulty: 1, maintenance: 1 }),
        byKind: {
          base_station: counts({ maintenance: 1 }),
          beacon: counts({ unknown: 1 }),
          gown_dispenser: counts({ ok: 4, missing: 2, unknown: 1, faulty: 1 }),
        },
      });
    });

    it('a window on the whole site puts every device in maintenance, until it is ended', async () => {
      clock.set(T0 + 10 * MINUTE);
      const id = await window({ siteId: 'st-anne' }, 10 * MINUTE, HOUR, 'power works');
      const during = await siteHealth('st-anne');
      expect(during).toMatchObject({ total: 10, byState: counts({ maintenance: 10 }) });
      expect(await health('gd-faulty')).toMatchObject({
        state: 'maintenance',
        maintenanceWindow: { id, endsAt: at(HOUR), reason: 'power works' },
      });
      // both cover bs-maint: the one lasting longer is shown
      expect((await health('bs-maint')).maintenanceWindow?.reason).toBe('base station swap');

      clock.set(T0 + 20 * MINUTE);
      const end = await t.request('POST', `/api/v1/maintenance-windows/${id}/end`, {
        token: t.tokens.engineer,
      });
      expect(end.status).toBe(200);
      expect((await siteHealth('st-anne')).byState).toEqual(
        counts({ ok: 4, missing: 2, unknown: 2, faulty: 1, maintenance: 1 }),
      );
      // the device window of gd-ok starts at +1 h
      clock.set(T0 + HOUR);
      expect(await health('gd-ok')).toMatchObject({ state: 'maintenance' });
      clock.set(T0 + 2 * HOUR);
      expect(await health('gd-ok')).toMatchObject({ state: 'ok', maintenanceWindow: null });
      expect(await health('bs-maint')).toMatchObject({ state: 'missing' });
    });

    it('a site without devices has zero counts', async () => {
      expect(await siteHealth('st-empty')).toEqual({
        siteId: 'st-empty',
        total: 0,
        byState: counts({}),
        byKind: {},
      });
    });

    it('404 for an unknown device or site', async () => {
      expect(await t.request('GET', '/api/v1/devices/gd-nowhere/health')).toMatchObject({
        status: 404,
        body: { code: 'DEVICE_NOT_FOUND' },
      });
      expect(await t.request('GET', '/api/v1/sites/st-nowhere/health')).toMatchObject({
        status: 404,
        body: { code: 'SITE_NOT_FOUND' },
      });
    });

    it.each(['viewer', 'device-service', 'engineer', 'admin'] as const)(
      'readable as %s',
      async (role) => {
        expect((await health('gd-ok', t.tokens[role])).deviceId).toBe('gd-ok');
        expect((await siteHealth('st-anne', t.tokens[role])).siteId).toBe('st-anne');
      },
    );

    it('needs a token', async () => {
      const res = await t.request('GET', '/api/v1/devices/gd-ok/health', { token: null });
      expect(res.status).toBe(401);
      const site = await t.request('GET', '/api/v1/sites/st-anne/health', { token: null });
      expect(site.status).toBe(401);
    });
  });
});
