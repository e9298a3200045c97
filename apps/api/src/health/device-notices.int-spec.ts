import { HealthWorld, until } from '../../test/health-world';
import { DeviceNotice1767226000000 } from '../database/migrations/1767226000000-device-notice';
import type { TestApi } from '../../test/harness';

const FLEET = [
  ...['gd-1', 'gd-2', 'gd-3'].map((id) => ({ id, siteId: 'st-anne' })),
  ...['gd-p1', 'gd-p2', 'gd-p3'].map((id) => ({ id, siteId: 'st-paul' })),
].map((d) => ({ ...d, kind: 'gown_dispenser', intervalS: 2, misses: 2 }));

interface Notice {
  id: string;
  deviceId: string;
  siteId: string;
  code: string;
  description: string;
  openedAt: string;
  lastSeenAt: string;
  count: number;
  clearedAt: string | null;
  open: boolean;
}

/**
 * Replenishment notices for real: a dispenser's empty stock (telemetry `stock_level` 0, or a
 * `STOCK_EMPTY` fault) through our broker into the rule loop becomes a `device_notice` row, not
 * a ticket; reports while it is open count on it, stock above empty clears it, the next empty
 * spell is a new row, and a notice left open survives a restart of the loop.
 */
describe('replenishment notices (real broker, API, PostgreSQL, MQTT.js devices)', () => {
  let world: HealthWorld;
  let t: TestApi;

  beforeAll(async () => {
    world = await HealthWorld.start(FLEET);
    t = world.registry;
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  const send = async (id: string, channel: 'telemetry' | 'fault', body: object) => {
    const site = FLEET.find((d) => d.id === id)?.siteId ?? '';
    await world
      .client(id)
      .publishAsync(
        `or/${site}/gown_dispenser/${id}/${channel}`,
        JSON.stringify({ ts: Date.now(), ...body }),
        { qos: 1 },
      );
  };
  const stock = (id: string, level: number) => send(id, 'telemetry', { stock_level: level });
  const rows = () =>
    t.sql<{ device_id: string; count: number; cleared: boolean }>(
      `SELECT device_id, count, cleared_at IS NOT NULL AS cleared FROM device_notice ORDER BY opened_at, id`,
    );
  const page = async (query: string, token = t.tokens.viewer) => {
    const res = await t.request<{ items: Notice[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/notices${query}`,
      { token },
    );
    expect(res.status).toBe(200);
    return res.body;
  };
  /** A list that fits one page. */
  const list = async (query: string, token = t.tokens.viewer) => {
    const { items, nextCursor } = await page(query, token);
    expect(nextCursor).toBeNull();
    return items;
  };

  it('empty stock: one open notice counting every report, never a ticket', async () => {
    await stock('gd-1', 0);
    await stock('gd-1', 0); // the same empty spell: telemetry does not count it again
    await send('gd-1', 'fault', { code: 'STOCK_EMPTY', state: 'raised' });
    await send('gd-1', 'fault', { code: 'STOCK_EMPTY', state: 'raised' });
    await until('three reports on the notice', async () => (await rows())[0]?.count === 3);
    expect(await rows()).toEqual([{ device_id: 'gd-1', count: 3, cleared: false }]);
    const [notice] = await list('?siteId=st-anne&open=true');
    expect(notice).toMatchObject({
      deviceId: 'gd-1',
      siteId: 'st-anne',
      code: 'STOCK_EMPTY',
      description: expect.stringContaining('refilling'),
      count: 3,
      clearedAt: null,
      open: true,
    });
    expect(Date.parse(notice?.lastSeenAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(notice?.openedAt ?? ''),
    );
    expect(await world.tickets()).toEqual([]);
  });

  it('stock above empty clears it; the next empty spell is a new notice', async () => {
    await stock('gd-1', 40);
    await until('the notice cleared', async () => (await rows())[0]?.cleared === true);
    await stock('gd-1', 0);
    await until('a second notice', async () => (await rows()).length === 2);
    expect(await rows()).toEqual([
      { device_id: 'gd-1', count: 3, cleared: true },
      { device_id: 'gd-1', count: 1, cleared: false },
    ]);
    const cleared = await list('?siteId=st-anne&open=false');
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatchObject({ count: 3, open: false });
    expect(Date.parse(cleared[0]?.clearedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(cleared[0]?.openedAt ?? ''),
    );
    expect(await world.tickets()).toEqual([]);
  });

  it('lists by site, device and state, newest first, for viewers up', async () => {
    await send('gd-p2', 'fault', { code: 'STOCK_EMPTY', state: 'raised' });
    await until('the st-paul notice', async () => (await rows()).length === 3);
    expect((await list('')).map((n) => [n.deviceId, n.open])).toEqual([
      ['gd-p2', true],
      ['gd-1', true],
      ['gd-1', false],
    ]);
    expect((await list('?siteId=st-paul')).map((n) => n.deviceId)).toEqual(['gd-p2']);
    expect((await list('?siteId=st-anne')).map((n) => n.count)).toEqual([1, 3]);
    expect((await list('?open=true')).map((n) => n.deviceId)).toEqual(['gd-p2', 'gd-1']);
    expect((await list('?deviceId=gd-1&open=true')).map((n) => n.count)).toEqual([1]);
    expect(await list('?siteId=nowhere')).toEqual([]);
    const first = await page('?limit=1', t.tokens.engineer);
    expect(first.items.map((n) => n.deviceId)).toEqual(['gd-p2']);
    expect(first.nextCursor).not.toBeNull();
    const rest = await list(`?limit=5&cursor=${first.nextCursor ?? ''}`, t.tokens.engineer);
    expect(rest.map((n) => [n.deviceId, n.open])).toEqual([
      ['gd-1', true],
      ['gd-1', false],
    ]);
    // a device clearing the code itself ends the notice too
    await send('gd-p2', 'fault', { code: 'STOCK_EMPTY', state: 'cleared' });
    await until(
      'gd-p2 cleared',
      async () => (await list('?siteId=st-paul&open=true')).length === 0,
    );
    expect(await world.tickets()).toEqual([]);
  });

  it.each([
    ['?open=maybe', 400, 'open: true or false'],
    ['?limit=0', 400, 'limit: a whole number from 1 to 1000'],
    ['?limit=1001', 400, 'limit: a whole number from 1 to 1000'],
    ['?siteId=St%20Anne', 400, 'siteId: a site id'],
  ])('refuses %s with %i', async (query, status, message) => {
    const res = await t.request<{ code: string; message: string }>(
      'GET',
      `/api/v1/notices${query}`,
    );
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(res.body.message).toContain(message);
  });

  it('is read like the tickets list: no token 401, the device-service role 403', async () => {
    expect((await t.request('GET', '/api/v1/notices', { token: null })).status).toBe(401);
    expect(
      (await t.request('GET', '/api/v1/notices', { token: t.tokens['device-service'] })).status,
    ).toBe(403);
  });

  it('a notice left open through a restart of the loop is cleared by the next report above empty', async () => {
    await world.stopRules();
    await world.startRules();
    // the snapshot the old loop left may look fresh: wait until the new one hears the fleet
    await until('the new loop to receive heartbeats', async () => {
      const res = await world.rules?.request<string>('GET', '/metrics', { token: null });
      const line = res?.body
        .split('\n')
        .find((l) => l.startsWith('orfleet_health_messages_total{type="heartbeat"} '));
      return Number(line?.split(' ')[1] ?? 0) > 0;
    });
    await stock('gd-1', 25);
    await until('the open notice cleared after the restart', async () =>
      (await rows()).every((r) => r.cleared),
    );
    expect(await rows()).toEqual([
      { device_id: 'gd-1', count: 3, cleared: true },
      { device_id: 'gd-1', count: 1, cleared: true },
      { device_id: 'gd-p2', count: 1, cleared: true },
    ]);
    expect(await world.tickets()).toEqual([]);
  }, 120_000);

  it('the database keeps one open notice per device and code, and the migration goes down and up', async () => {
    const insert = (deviceId: string) =>
      t.sql(
        `INSERT INTO device_notice (device_id, site_id, code, opened_at, last_seen_at)
         VALUES ($1, 'st-anne', 'STOCK_EMPTY', now(), now())`,
        [deviceId],
      );
    await insert('gd-3');
    await expect(insert('gd-3')).rejects.toThrow(/device_notice_open/);
    const runner = t.api.dataSource.createQueryRunner();
    const migration = new DeviceNotice1767226000000();
    try {
      await migration.down(runner);
      expect(await t.sql(`SELECT to_regclass('device_notice') AS t`)).toEqual([{ t: null }]);
    } finally {
      await migration.up(runner);
      await runner.release();
    }
    await insert('gd-3');
    expect(await list('')).toHaveLength(1);
  });
});
