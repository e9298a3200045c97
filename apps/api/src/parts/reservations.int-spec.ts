import type { Severity } from '@orfleet/sla';
import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { HOUR, ManualClock } from '../../test/manual-clock';
import { MetricsService } from '../platform/metrics.service';
import type { Reservation } from './reservation.entity';
import { ReservationsService } from './reservations.service';
import type { ReserveRequest, ReserveResult } from './reservations.service';

const T0 = new Date('2026-05-01T08:00:00Z');

describe('reservations (real PostgreSQL)', () => {
  let t: TestApi;
  let service: ReservationsService;
  const clock = new ManualClock(T0);

  /** One reservation call in its own transaction, as the tickets feature makes it. */
  const reserve = (
    request: Partial<ReserveRequest> &
      Pick<ReserveRequest, 'ticketId' | 'partNumber' | 'idempotencyKey'>,
  ): Promise<ReserveResult> =>
    t.api.dataSource.transaction((m) =>
      service.reserve(m, {
        siteId: 'st-anne',
        severity: 'red',
        qty: 1,
        actor: 'engineer-1',
        now: clock.now(),
        ...request,
      }),
    );
  const inTx = <T>(
    work: (
      s: ReservationsService,
      m: Parameters<ReservationsService['forTicket']>[0],
    ) => Promise<T>,
  ) => t.api.dataSource.transaction((m) => work(service, m));
  const stock = async (store: string, part: string) =>
    (
      await t.sql<{ on_hand: number; reserved: number }>(
        'SELECT on_hand, reserved FROM stock WHERE store_id = $1 AND part_number = $2',
        [store, part],
      )
    )[0];
  const receive = async (store: string, part: string, qty: number) => {
    const { status } = await t.request('POST', `/api/v1/stores/${store}/stock/${part}/receive`, {
      body: { qty },
    });
    expect(status).toBe(201);
  };
  const newTicket = async (site = 'st-anne'): Promise<string> => {
    const [row] = await t.sql<{ id: string }>(
      `INSERT INTO ticket (number, severity, title, category, site_id, zone, source, status,
                           policy_id, policy_version, created_at, created_by, updated_at)
       VALUES ('T-' || gen_random_uuid(), 'red', 'test', 'device', $1, 'city', 'api', 'new',
               'contract', 1, now(), 'test', now())
       RETURNING id`,
      [site],
    );
    if (row === undefined) throw new Error('no ticket');
    return row.id;
  };
  const newPart = async (partNumber: string) => {
    const { status } = await t.request('POST', '/api/v1/parts', {
      body: { partNumber, name: partNumber, class: 'special', defaultTier: 'regional' },
    });
    expect(status).toBe(201);
  };

  beforeAll(async () => {
    // A larger pool so the concurrency test really runs transactions side by side.
    t = await startTestApi({ clock, env: { ORFLEET_DB_POOL_MAX: '50' } });
    service = t.api.app.get(ReservationsService);
    await t.sql(
      `INSERT INTO site (id, name, zone, timezone, region, created_by, updated_by)
       VALUES ('st-anne', 'St Anne', 'city', 'Asia/Shanghai', 'east', 'test', 'test'),
              ('st-west', 'St West', 'city', 'Asia/Shanghai', 'west', 'test', 'test')`,
    );
    for (const store of [
      { id: 'anne-it', tier: 'hospital', siteId: 'st-anne' },
      { id: 'west-it', tier: 'hospital', siteId: 'st-west' },
      { id: 'east-wh', tier: 'regional', region: 'east' },
      { id: 'national', tier: 'national' },
    ]) {
      const { status } = await t.request('POST', '/api/v1/stores', {
        body: { name: store.id, ...store },
      });
      expect(status).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('fallback order and ETAs', () => {
    let ticket: string;
    const results: Reservation[] = [];
    beforeAll(async () => {
      await newPart('FB-1');
      await receive('anne-it', 'FB-1', 1);
      await receive('east-wh', 'FB-1', 2);
      await receive('national', 'FB-1', 2);
      ticket = await newTicket();
      // hospital (1) → regional (2) → national (2) → nothing left
      const plan: Severity[] = ['red', 'red', 'green', 'yellow', 'green', 'red'];
      for (const [i, severity] of plan.entries()) {
        const { reservation, created } = await reserve({
          ticketId: ticket,
          partNumber: 'FB-1',
          idempotencyKey: `fb-${i}`,
          severity,
        });
        expect(created).toBe(true);
        results.push(reservation);
      }
    });

    it.each([
      [0, 'red', 'reserved', 'anne-it', 'hospital', 0],
      [1, 'red', 'reserved', 'east-wh', 'regional', 2 * HOUR],
      [2, 'green', 'reserved', 'east-wh', 'regional', 24 * HOUR],
      [3, 'yellow', 'reserved', 'national', 'national', 48 * HOUR],
      [4, 'green', 'reserved', 'national', 'national', 48 * HOUR],
    ])('reservation %d (%s): %s from %s (%s), ETA +%d ms', (i, _sev, status, store, tier, ms) => {
      expect(results[i]).toMatchObject({
        status,
        storeId: store,
        tier,
        eta: new Date(T0.getTime() + ms),
      });
    });

    it('backorders when no store has the part (no store, tier or ETA)', () => {
      expect(results[5]).toMatchObject({
        status: 'backordered',
        storeId: null,
        tier: null,
        eta: null,
      });
    });

    it('books stock and a reserve move per allocated reservation', async () => {
      for (const store of ['anne-it', 'east-wh', 'national']) {
        const row = await stock(store, 'FB-1');
        expect([store, row?.reserved]).toEqual([store, row?.on_hand]);
      }
      const moves = await t.sql<{ store_id: string; qty: number; reservation_id: string }>(
        `SELECT store_id, qty, reservation_id FROM stock_move
          WHERE part_number = 'FB-1' AND type = 'reserve' ORDER BY id`,
      );
      expect(moves).toEqual(
        results.slice(0, 5).map((r) => ({ store_id: r.storeId, qty: 1, reservation_id: r.id })),
      );
    });

    it('skips the regional store of another region', async () => {
      await newPart('FB-2');
      await receive('east-wh', 'FB-2', 5);
      await receive('national', 'FB-2', 5);
      const { reservation } = await reserve({
        ticketId: await newTicket('st-west'),
        siteId: 'st-west',
        partNumber: 'FB-2',
        idempotencyKey: 'fb-west',
      });
      expect(reservation).toMatchObject({ storeId: 'national', tier: 'national' });
    });

    it('lists them by ticket, status and part for viewers', async () => {
      const byTicket = await t.request<{ id: string }[]>(
        'GET',
        `/api/v1/reservations?ticket=${ticket}`,
        {
          token: t.tokens.viewer,
        },
      );
      expect(byTicket.body.map((r) => r.id).sort()).toEqual(results.map((r) => r.id).sort());
      const backordered = await t.request<{ id: string; eta: string | null }[]>(
        'GET',
        `/api/v1/reservations?ticket=${ticket}&status=backordered&part=FB-1`,
        { token: t.tokens.viewer },
      );
      expect(backordered.body).toEqual([
        expect.objectContaining({ id: results[5]?.id, eta: null }),
      ]);
      const one = await t.request('GET', `/api/v1/reservations/${results[1]?.id}`, {
        token: t.tokens.viewer,
      });
      expect(one).toMatchObject({
        status: 200,
        body: { tier: 'regional', eta: new Date(T0.getTime() + 2 * HOUR).toISOString() },
      });
      for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
        expect(await t.request('GET', `/api/v1/reservations/${id}`)).toMatchObject({
          status: 404,
          body: { code: 'RESERVATION_NOT_FOUND' },
        });
      }
      expect(await t.request('GET', '/api/v1/reservations?status=lost')).toMatchObject({
        status: 400,
      });
    });
  });

  describe('release, deliver, consume', () => {
    it('release returns the units and writes a release move; a backorder releases without stock', async () => {
      await newPart('RL-1');
      await receive('anne-it', 'RL-1', 2);
      const ticketId = await newTicket();
      const { reservation } = await reserve({
        ticketId,
        partNumber: 'RL-1',
        idempotencyKey: 'rl-1',
        qty: 2,
      });
      expect(await stock('anne-it', 'RL-1')).toEqual({ on_hand: 2, reserved: 2 });
      clock.advance(HOUR);
      const released = await inTx((s, m) =>
        s.release(m, reservation.id, 'fixed remotely', 'eng', clock.now()),
      );
      expect(released).toMatchObject({
        status: 'released',
        releaseReason: 'fixed remotely',
        releasedAt: clock.now(),
      });
      expect(await stock('anne-it', 'RL-1')).toEqual({ on_hand: 2, reserved: 0 });
      const moves = await t.sql(
        `SELECT type, qty FROM stock_move WHERE reservation_id = $1 ORDER BY id`,
        [reservation.id],
      );
      expect(moves).toEqual([
        { type: 'reserve', qty: 2 },
        { type: 'release', qty: -2 },
      ]);
      await expect(
        inTx((s, m) => s.release(m, reservation.id, 'again', 'eng', clock.now())),
      ).rejects.toMatchObject({ code: 'RESERVATION_STATE_INVALID' });

      const backorder = await reserve({
        ticketId,
        partNumber: 'RL-1',
        idempotencyKey: 'rl-2',
        qty: 3,
      });
      expect(backorder.reservation.status).toBe('backordered');
      const releasedBackorder = await inTx((s, m) =>
        s.release(m, backorder.reservation.id, 'cancelled', 'eng', clock.now()),
      );
      expect(releasedBackorder).toMatchObject({ status: 'released', storeId: null });
      expect(await stock('anne-it', 'RL-1')).toEqual({ on_hand: 2, reserved: 0 });
    });

    it('consume lowers on hand and opens exactly one replenishment request', async () => {
      await newPart('CS-1');
      await receive('anne-it', 'CS-1', 4);
      await t.request('PUT', '/api/v1/stores/anne-it/stock/CS-1/reorder', {
        body: { reorderPoint: 2, reorderQty: null },
      });
      const ticketId = await newTicket();
      const consumeOne = async (key: string, deliverFirst: boolean) => {
        const { reservation } = await reserve({
          ticketId,
          partNumber: 'CS-1',
          idempotencyKey: key,
        });
        if (deliverFirst) {
          const delivered = await inTx((s, m) => s.deliver(m, reservation.id, 'eng', clock.now()));
          expect(delivered).toMatchObject({ status: 'delivered', deliveredAt: clock.now() });
        }
        return inTx((s, m) => s.consume(m, reservation.id, 'eng', clock.now()));
      };
      const openRequests = () =>
        t.sql<{ qty: number; on_hand: number; status: string }>(
          `SELECT qty, on_hand, status FROM replenishment_request WHERE part_number = 'CS-1' ORDER BY id`,
        );

      expect(await consumeOne('cs-1', false)).toMatchObject({
        status: 'consumed',
        consumedAt: clock.now(),
      });
      expect(await stock('anne-it', 'CS-1')).toEqual({ on_hand: 3, reserved: 0 });
      expect(await openRequests()).toEqual([]); // 3 > reorder point 2

      await consumeOne('cs-2', true); // on hand 2: at the point → order up to 2 × 2
      await consumeOne('cs-3', false); // on hand 1: a request is already open
      expect(await stock('anne-it', 'CS-1')).toEqual({ on_hand: 1, reserved: 0 });
      expect(await openRequests()).toEqual([{ qty: 2, on_hand: 2, status: 'open' }]);
      const consumeMoves = await t.sql<{ n: number; total: number }>(
        `SELECT count(*)::int AS n, sum(qty)::int AS total FROM stock_move
          WHERE part_number = 'CS-1' AND type = 'consume'`,
      );
      expect(consumeMoves).toEqual([{ n: 3, total: -3 }]);

      // The administrator follows it up; once received, the next consume opens a new one.
      const [{ id } = { id: '' }] = await t.sql<{ id: string }>(
        `SELECT id FROM replenishment_request WHERE part_number = 'CS-1'`,
      );
      const listed = await t.request<{ id: string }[]>(
        'GET',
        '/api/v1/replenishment-requests?status=open',
        {
          token: t.tokens.viewer,
        },
      );
      expect(listed.body.map((r) => r.id)).toContain(id);
      for (const [status, code, expected] of [
        ['ordered', 201, 'ordered'],
        ['ordered', 409, 'REPLENISHMENT_STATE_INVALID'],
        ['received', 201, 'received'],
        ['cancelled', 409, 'REPLENISHMENT_STATE_INVALID'],
      ] as const) {
        const answer = await t.request<{ status?: string; code?: string }>(
          'POST',
          `/api/v1/replenishment-requests/${id}/status`,
          { body: { status } },
        );
        expect([status, answer.status, answer.body.status ?? answer.body.code]).toEqual([
          status,
          code,
          expected,
        ]);
      }
      expect(
        await t.request('POST', `/api/v1/replenishment-requests/${id}/status`, {
          body: { status: 'open' },
        }),
      ).toMatchObject({ status: 400 });
      expect(
        await t.request('POST', '/api/v1/replenishment-requests/999999/status', {
          body: { status: 'ordered' },
        }),
      ).toMatchObject({ status: 404, body: { code: 'REPLENISHMENT_NOT_FOUND' } });
      expect(
        await t.request('POST', `/api/v1/replenishment-requests/${id}/status`, {
          body: { status: 'cancelled' },
          token: t.tokens.engineer,
        }),
      ).toMatchObject({ status: 403 });

      await receive('anne-it', 'CS-1', 1);
      await consumeOne('cs-4', false);
      expect(await openRequests()).toEqual([
        { qty: 2, on_hand: 2, status: 'received' },
        { qty: 3, on_hand: 1, status: 'open' },
      ]);
    });

    it.each([
      ['deliver', 'backordered'],
      ['consume', 'backordered'],
      ['deliver', 'released'],
      ['consume', 'released'],
    ] as const)('refuses to %s a %s reservation', async (action, state) => {
      await newPart(`ST-${action}-${state}`.toUpperCase());
      const ticketId = await newTicket();
      const { reservation } = await reserve({
        ticketId,
        partNumber: `ST-${action}-${state}`.toUpperCase(),
        idempotencyKey: `st-${action}-${state}`,
      });
      expect(reservation.status).toBe('backordered');
      if (state === 'released')
        await inTx((s, m) => s.release(m, reservation.id, 'x', 'eng', clock.now()));
      await expect(
        inTx((s, m) => s[action](m, reservation.id, 'eng', clock.now())),
      ).rejects.toMatchObject({ code: 'RESERVATION_STATE_INVALID' });
    });

    it.each([
      [
        'an unknown reservation',
        () =>
          inTx((s, m) => s.consume(m, '00000000-0000-0000-0000-000000000000', 'e', clock.now())),
        'RESERVATION_NOT_FOUND',
      ],
      [
        'an unknown part',
        async () =>
          reserve({ ticketId: await newTicket(), partNumber: 'NOPE-9', idempotencyKey: 'np' }),
        'PART_NOT_FOUND',
      ],
      [
        'qty 0',
        async () =>
          reserve({
            ticketId: await newTicket(),
            partNumber: 'CS-1',
            idempotencyKey: 'q0',
            qty: 0,
          }),
        'RESERVATION_INVALID',
      ],
    ])('refuses %s', async (_label, call, code) => {
      await expect(call()).rejects.toMatchObject({ code });
    });
  });

  describe('idempotency and concurrency', () => {
    const count = async (sql: string, params: unknown[] = []) =>
      (await t.sql<{ n: number }>(sql, params))[0]?.n;

    it('returns the stored reservation for a retried key; refuses a key reused for another request', async () => {
      await newPart('ID-1');
      await receive('anne-it', 'ID-1', 5);
      const ticketId = await newTicket();
      const first = await reserve({ ticketId, partNumber: 'ID-1', idempotencyKey: 'id-1' });
      const retry = await reserve({ ticketId, partNumber: 'ID-1', idempotencyKey: 'id-1' });
      expect([first.created, retry.created, retry.reservation.id]).toEqual([
        true,
        false,
        first.reservation.id,
      ]);
      await expect(
        reserve({ ticketId, partNumber: 'ID-1', idempotencyKey: 'id-1', qty: 2 }),
      ).rejects.toMatchObject({ code: 'RESERVATION_CONFLICT' });
      expect(await stock('anne-it', 'ID-1')).toEqual({ on_hand: 5, reserved: 1 });
    });

    it('200 parallel reservations of 50 units: exactly 50 reserved, 150 backordered; a retry wave books nothing', async () => {
      await newPart('CC-1');
      await receive('anne-it', 'CC-1', 50);
      const ticketId = await newTicket();
      const metrics = t.api.app.get(MetricsService);
      // prom-client hands out live objects: read the numbers out at once.
      const counted = async () => {
        const { values } = await metrics.reservations.get();
        const of = (outcome: string) =>
          values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
        return { hospital: of('hospital'), backordered: of('backordered') };
      };
      const before = await counted();

      const wave = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          reserve({ ticketId, partNumber: 'CC-1', idempotencyKey: `cc-${i}` }),
        ),
      );
      const statuses = wave.map((r) => r.reservation.status);
      expect(statuses.filter((s) => s === 'reserved')).toHaveLength(50);
      expect(statuses.filter((s) => s === 'backordered')).toHaveLength(150);
      expect(wave.every((r) => r.created)).toBe(true);
      expect(await stock('anne-it', 'CC-1')).toEqual({ on_hand: 50, reserved: 50 });
      expect(
        await count(
          `SELECT sum(qty)::int AS n FROM stock_move WHERE part_number = 'CC-1' AND type = 'reserve'`,
        ),
      ).toBe(50);
      const after = await counted();
      expect(after).toEqual({
        hospital: before.hospital + 50,
        backordered: before.backordered + 150,
      });

      // Retries of half the keys, all at once: the stored results, nothing new.
      const retries = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          reserve({ ticketId, partNumber: 'CC-1', idempotencyKey: `cc-${i * 2}` }),
        ),
      );
      expect(retries.every((r) => !r.created)).toBe(true);
      expect(retries.map((r) => r.reservation.id)).toEqual(
        wave.filter((_, i) => i % 2 === 0).map((r) => r.reservation.id),
      );
      expect(
        await count(`SELECT count(*)::int AS n FROM reservation WHERE part_number = 'CC-1'`),
      ).toBe(200);
      expect(
        await count(`SELECT count(*)::int AS n FROM stock_move WHERE part_number = 'CC-1'`),
      ).toBe(51);
      expect(await stock('anne-it', 'CC-1')).toEqual({ on_hand: 50, reserved: 50 });
      expect(await counted()).toEqual(after);
    });

    it('20 parallel requests sharing one key make one reservation', async () => {
      await newPart('CC-2');
      await receive('anne-it', 'CC-2', 100);
      const ticketId = await newTicket();
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          reserve({ ticketId, partNumber: 'CC-2', idempotencyKey: 'cc-shared' }),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.reservation.id)).size).toBe(1);
      expect(
        await count(
          `SELECT count(*)::int AS n FROM reservation WHERE idempotency_key = 'cc-shared'`,
        ),
      ).toBe(1);
      expect(await stock('anne-it', 'CC-2')).toEqual({ on_hand: 100, reserved: 1 });
    });
  });
});
