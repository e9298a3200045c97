import { PART_CATALOG } from '@orfleet/devices';
import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { ManualClock } from '../../test/manual-clock';

interface StockLine {
  onHand: number;
  reserved: number;
  available: number;
}
interface Move {
  type: string;
  qty: number;
  storeId: string;
  note: string | null;
}

const CATALOG_SIZE = Object.keys(PART_CATALOG).length;

describe('parts catalog, stores and stock (real PostgreSQL)', () => {
  let t: TestApi;
  const clock = new ManualClock('2026-05-01T08:00:00Z');

  beforeAll(async () => {
    t = await startTestApi({ clock });
    await t.sql(
      `INSERT INTO site (id, name, zone, timezone, region, created_by, updated_by)
       VALUES ('st-anne', 'St Anne', 'city', 'Asia/Shanghai', 'east', 'test', 'test'),
              ('st-paul', 'St Paul', 'suburb', 'Asia/Shanghai', 'east', 'test', 'test')`,
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('catalog', () => {
    it('imports PART_CATALOG idempotently at the custom-method path', async () => {
      const first = await t.request('POST', '/api/v1/parts:import-catalog');
      expect(first).toMatchObject({
        status: 201,
        body: { total: CATALOG_SIZE, created: CATALOG_SIZE, updated: 0, unchanged: 0 },
      });
      const again = await t.request('POST', '/api/v1/parts:import-catalog');
      expect(again.body).toEqual({
        total: CATALOG_SIZE,
        created: 0,
        updated: 0,
        unchanged: CATALOG_SIZE,
      });
      const counted = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM part');
      expect(counted).toEqual([{ n: CATALOG_SIZE }]);
      // The colon is literal, not a route parameter.
      expect(await t.request('POST', '/api/v1/parts:other')).toMatchObject({ status: 404 });
    });

    it('puts a hand-edited part back to the catalog and counts it as updated', async () => {
      await t.sql(`UPDATE part SET name = 'renamed', fits_models = '{GD-200}'
                    WHERE part_number = 'BS-UNIT-01'`);
      const result = await t.request('POST', '/api/v1/parts:import-catalog');
      expect(result.body).toMatchObject({ created: 0, updated: 1, unchanged: CATALOG_SIZE - 1 });
      const part = await t.request('GET', '/api/v1/parts/BS-UNIT-01', { token: t.tokens.viewer });
      expect(part).toMatchObject({
        status: 200,
        body: {
          name: PART_CATALOG['BS-UNIT-01'].name,
          class: 'special',
          defaultTier: 'regional',
          fitsKinds: ['base_station'],
          fitsModels: ['GD-200'],
        },
      });
    });

    it('lists parts by device kind', async () => {
      const { status, body } = await t.request<{ partNumber: string; class: string }[]>(
        'GET',
        '/api/v1/parts?kind=server',
        { token: t.tokens.viewer },
      );
      expect(status).toBe(200);
      expect(body.map((p) => p.partNumber)).toEqual(['DISK-SRV-1T9', 'NIC-SRV-10G', 'PSU-SRV-800']);
      expect(new Set(body.map((p) => p.class))).toEqual(new Set(['common']));
      expect(await t.request('GET', '/api/v1/parts?kind=toaster')).toMatchObject({ status: 400 });
    });

    it('creates a part, refuses a duplicate, bad input and non-admins', async () => {
      const part = {
        partNumber: 'FAN-SRV-01',
        name: 'Server fan',
        class: 'common',
        defaultTier: 'hospital',
        fitsKinds: ['server'],
        fitsModels: ['R740'],
      };
      const created = await t.request('POST', '/api/v1/parts', { body: part });
      expect(created).toMatchObject({
        status: 201,
        body: { ...part, createdBy: expect.stringMatching(/^test-admin/) },
      });
      expect(await t.request('POST', '/api/v1/parts', { body: part })).toMatchObject({
        status: 409,
        body: { code: 'PART_EXISTS' },
      });
      expect(
        await t.request('POST', '/api/v1/parts', { body: part, token: t.tokens.engineer }),
      ).toMatchObject({ status: 403 });
      for (const bad of [
        { ...part, partNumber: 'fan-lower' },
        { ...part, class: 'rare' },
        { ...part, fitsKinds: ['toaster'] },
        { ...part, partNumber: 'FAN-2', extra: true },
      ]) {
        expect(await t.request('POST', '/api/v1/parts', { body: bad })).toMatchObject({
          status: 400,
          body: { code: 'VALIDATION_FAILED' },
        });
      }
      expect(await t.request('GET', '/api/v1/parts/NOPE-1')).toMatchObject({
        status: 404,
        body: { code: 'PART_NOT_FOUND' },
      });
    });
  });

  describe('stores', () => {
    it.each([
      ['hospital store for st-anne', { id: 'anne-it', tier: 'hospital', siteId: 'st-anne' }],
      ['regional store for east', { id: 'east-wh', tier: 'regional', region: 'east' }],
      ['national store', { id: 'national', tier: 'national' }],
    ])('creates the %s', async (_label, store) => {
      const { status, body } = await t.request('POST', '/api/v1/stores', {
        body: { name: 'store', ...store },
      });
      expect([status, body]).toEqual([201, expect.objectContaining(store)]);
    });

    it.each([
      ['a hospital store without site', { id: 'x1', tier: 'hospital' }, 422, 'STORE_INVALID'],
      [
        'a regional store with a site',
        { id: 'x2', tier: 'regional', siteId: 'st-anne', region: 'east' },
        422,
        'STORE_INVALID',
      ],
      [
        'a national store with a region',
        { id: 'x3', tier: 'national', region: 'east' },
        422,
        'STORE_INVALID',
      ],
      [
        'a store for an unknown site',
        { id: 'x4', tier: 'hospital', siteId: 'nowhere' },
        404,
        'SITE_NOT_FOUND',
      ],
      [
        'a second store for a site',
        { id: 'x5', tier: 'hospital', siteId: 'st-anne' },
        409,
        'STORE_EXISTS',
      ],
      [
        'a second store for a region',
        { id: 'x6', tier: 'regional', region: 'east' },
        409,
        'STORE_EXISTS',
      ],
      ['a second national store', { id: 'x7', tier: 'national' }, 409, 'STORE_EXISTS'],
      ['a taken id', { id: 'anne-it', tier: 'hospital', siteId: 'st-paul' }, 409, 'STORE_EXISTS'],
      ['a bad id', { id: 'Bad Id', tier: 'national' }, 400, 'VALIDATION_FAILED'],
    ])('refuses %s', async (_label, store, status, code) => {
      expect(
        await t.request('POST', '/api/v1/stores', { body: { name: 'store', ...store } }),
      ).toMatchObject({ status, body: { code } });
    });

    it('lists and reads stores for viewers', async () => {
      const list = await t.request<{ id: string }[]>('GET', '/api/v1/stores', {
        token: t.tokens.viewer,
      });
      expect(list.body.map((s) => s.id)).toEqual(['anne-it', 'east-wh', 'national']);
      expect(await t.request('GET', '/api/v1/stores/nope')).toMatchObject({
        status: 404,
        body: { code: 'STORE_NOT_FOUND' },
      });
    });
  });

  describe('stock', () => {
    const stockPath = (store: string, part: string, verb: string) =>
      `/api/v1/stores/${store}/stock/${part}/${verb}`;
    const moves = async (store: string, part: string) =>
      (
        await t.request<Move[]>('GET', `/api/v1/stock-moves?store=${store}&part=${part}`, {
          token: t.tokens.viewer,
        })
      ).body;
    const row = async (store: string, part: string) =>
      (
        await t.sql<{ on_hand: number; reserved: number }>(
          'SELECT on_hand, reserved FROM stock WHERE store_id = $1 AND part_number = $2',
          [store, part],
        )
      )[0];

    it('receives stock and writes the ledger in the same transaction', async () => {
      const received = await t.request<StockLine>(
        'POST',
        stockPath('east-wh', 'BS-UNIT-01', 'receive'),
        {
          body: { qty: 10, note: 'PO-1' },
        },
      );
      expect(received).toMatchObject({
        status: 201,
        body: { onHand: 10, reserved: 0, available: 10, partName: PART_CATALOG['BS-UNIT-01'].name },
      });
      await t.request('POST', stockPath('east-wh', 'BS-UNIT-01', 'receive'), { body: { qty: 2 } });
      expect(await row('east-wh', 'BS-UNIT-01')).toEqual({ on_hand: 12, reserved: 0 });
      expect(await moves('east-wh', 'BS-UNIT-01')).toEqual([
        expect.objectContaining({ type: 'receive', qty: 2, note: null }),
        expect.objectContaining({ type: 'receive', qty: 10, note: 'PO-1' }),
      ]);
    });

    it.each([
      ['qty 0', 'east-wh', 'BS-UNIT-01', { qty: 0 }, 400, 'VALIDATION_FAILED'],
      ['qty over 100000', 'east-wh', 'BS-UNIT-01', { qty: 100_001 }, 400, 'VALIDATION_FAILED'],
      ['an unknown store', 'nope', 'BS-UNIT-01', { qty: 1 }, 404, 'STORE_NOT_FOUND'],
      ['an unknown part', 'east-wh', 'NOPE-1', { qty: 1 }, 404, 'PART_NOT_FOUND'],
    ])('refuses a receive with %s', async (_label, store, part, body, status, code) => {
      expect(await t.request('POST', stockPath(store, part, 'receive'), { body })).toMatchObject({
        status,
        body: { code },
      });
    });

    it('refuses stock changes from engineers', async () => {
      expect(
        await t.request('POST', stockPath('east-wh', 'BS-UNIT-01', 'receive'), {
          body: { qty: 1 },
          token: t.tokens.engineer,
        }),
      ).toMatchObject({ status: 403 });
    });

    it('adjusts with a note, never below reserved', async () => {
      const down = await t.request<StockLine>(
        'POST',
        stockPath('east-wh', 'BS-UNIT-01', 'adjust'),
        {
          body: { delta: -2, note: 'count: 2 broken' },
        },
      );
      expect(down).toMatchObject({ status: 201, body: { onHand: 10, available: 10 } });
      // 7 of the 10 are held by reservations: only 3 may go.
      await t.sql(
        `UPDATE stock SET reserved = 7 WHERE store_id = 'east-wh' AND part_number = 'BS-UNIT-01'`,
      );
      const tooMuch = await t.request('POST', stockPath('east-wh', 'BS-UNIT-01', 'adjust'), {
        body: { delta: -4, note: 'count' },
      });
      expect(tooMuch).toMatchObject({
        status: 409,
        body: { code: 'STOCK_INSUFFICIENT', details: { onHand: 10, reserved: 7, available: 3 } },
      });
      const justEnough = await t.request('POST', stockPath('east-wh', 'BS-UNIT-01', 'adjust'), {
        body: { delta: -3, note: 'count' },
      });
      expect(justEnough).toMatchObject({
        status: 201,
        body: { onHand: 7, reserved: 7, available: 0 },
      });
      const up = await t.request('POST', stockPath('east-wh', 'BS-UNIT-01', 'adjust'), {
        body: { delta: 5, note: 'found in the back room' },
      });
      expect(up).toMatchObject({ status: 201, body: { onHand: 12, available: 5 } });
      expect(await row('east-wh', 'BS-UNIT-01')).toEqual({ on_hand: 12, reserved: 7 });
      expect((await moves('east-wh', 'BS-UNIT-01')).slice(0, 3)).toEqual([
        expect.objectContaining({ type: 'adjust', qty: 5, note: 'found in the back room' }),
        expect.objectContaining({ type: 'adjust', qty: -3 }),
        expect.objectContaining({ type: 'adjust', qty: -2, note: 'count: 2 broken' }),
      ]);
      for (const body of [{ delta: 0, note: 'x' }, { delta: -1 }, { delta: 1, note: '' }]) {
        expect(
          await t.request('POST', stockPath('east-wh', 'BS-UNIT-01', 'adjust'), { body }),
        ).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
      }
    });

    it('transfers only available stock, with a move on each side', async () => {
      // east-wh: 12 on hand, 7 reserved → 5 available
      const tooMuch = await t.request('POST', '/api/v1/stock/transfers', {
        body: { partNumber: 'BS-UNIT-01', fromStoreId: 'east-wh', toStoreId: 'anne-it', qty: 6 },
      });
      expect(tooMuch).toMatchObject({ status: 409, body: { code: 'STOCK_INSUFFICIENT' } });
      const moved = await t.request('POST', '/api/v1/stock/transfers', {
        body: { partNumber: 'BS-UNIT-01', fromStoreId: 'east-wh', toStoreId: 'anne-it', qty: 5 },
      });
      expect(moved).toMatchObject({
        status: 201,
        body: {
          from: { storeId: 'east-wh', onHand: 7, reserved: 7, available: 0 },
          to: { storeId: 'anne-it', onHand: 5, reserved: 0, available: 5 },
        },
      });
      expect((await moves('east-wh', 'BS-UNIT-01'))[0]).toMatchObject({
        type: 'transfer_out',
        qty: -5,
      });
      expect(await moves('anne-it', 'BS-UNIT-01')).toEqual([
        expect.objectContaining({ type: 'transfer_in', qty: 5 }),
      ]);
      expect(
        await t.request('POST', '/api/v1/stock/transfers', {
          body: { partNumber: 'BS-UNIT-01', fromStoreId: 'anne-it', toStoreId: 'anne-it', qty: 1 },
        }),
      ).toMatchObject({ status: 422, body: { code: 'STOCK_INVALID' } });
      expect(
        await t.request('POST', '/api/v1/stock/transfers', {
          body: { partNumber: 'BS-UNIT-01', fromStoreId: 'anne-it', toStoreId: 'nope', qty: 1 },
        }),
      ).toMatchObject({ status: 404, body: { code: 'STORE_NOT_FOUND' } });
    });

    it('keeps the ledger equal to on hand, and append-only', async () => {
      const [sums] = await t.sql<{ ledger: number; on_hand: number }>(
        `SELECT (SELECT sum(qty)::int FROM stock_move
                  WHERE type NOT IN ('reserve', 'release')) AS ledger,
                (SELECT sum(on_hand)::int FROM stock) AS on_hand`,
      );
      expect(sums?.ledger).toBe(sums?.on_hand);
      await expect(t.sql('UPDATE stock_move SET qty = 99')).rejects.toThrow(/append-only/);
      await expect(t.sql('DELETE FROM stock_move')).rejects.toThrow(/append-only/);
    });

    it('sets the reorder point and shows the store stock to viewers', async () => {
      const set = await t.request('PUT', stockPath('anne-it', 'PSU-SRV-800', 'reorder'), {
        body: { reorderPoint: 2, reorderQty: null },
      });
      expect(set).toMatchObject({
        status: 200,
        body: { onHand: 0, reorderPoint: 2, reorderQty: null },
      });
      expect(
        await t.request('PUT', stockPath('anne-it', 'PSU-SRV-800', 'reorder'), {
          body: { reorderPoint: -1, reorderQty: 0 },
        }),
      ).toMatchObject({ status: 400 });
      const stock = await t.request<{ partNumber: string; available: number }[]>(
        'GET',
        '/api/v1/stores/anne-it/stock',
        { token: t.tokens.viewer },
      );
      expect(stock.body).toEqual([
        expect.objectContaining({ partNumber: 'BS-UNIT-01', onHand: 5, available: 5 }),
        expect.objectContaining({ partNumber: 'PSU-SRV-800', onHand: 0, reorderPoint: 2 }),
      ]);
    });
  });
});
