import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { seedDevice, seedSite } from '../tickets/ticket-test-kit';

interface Notice {
  id: string;
  deviceId: string;
  siteId: string;
  code: string;
  openedAt: string;
  open: boolean;
}
interface Page {
  items: Notice[];
  nextCursor: string | null;
}

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const MINUTE = 60_000;

describe('GET /notices, a page at a time (real PostgreSQL)', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
    await seedSite(t, 'st-anne');
    await seedSite(t, 'st-paul');
    await seedDevice(t, 'gd-1', 'st-anne');
    await seedDevice(t, 'gd-2', 'st-paul');
    // 9 notices: minutes apart, three of them opened at the same instant (the id breaks the tie),
    // every third one cleared
    for (let i = 0; i < 9; i++) {
      const openedAt = new Date(T0 + (i >= 3 && i <= 5 ? 3 : i) * MINUTE);
      await t.sql(
        `INSERT INTO device_notice (device_id, site_id, code, opened_at, last_seen_at, cleared_at)
         VALUES ($1, $2, $3, $4, $4, $5)`,
        [
          i % 2 === 0 ? 'gd-1' : 'gd-2',
          i % 2 === 0 ? 'st-anne' : 'st-paul',
          `CODE_${i}`,
          openedAt,
          i % 3 === 0 ? new Date(openedAt.getTime() + MINUTE) : null,
        ],
      );
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = async (query: string) => {
    const res = await t.request<Page>('GET', `/api/v1/notices${query}`, { token: t.tokens.viewer });
    expect(res.status).toBe(200);
    return res.body;
  };

  /** Follows nextCursor from the first page to the last: the pages, in order. */
  const walk = async (filter: string, limit: number) => {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(
        `?limit=${limit}${filter}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      );
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 20);
    return pages;
  };

  it.each([
    ['every notice', ''],
    ['one site', '&siteId=st-anne'],
    ['only open ones', '&open=true'],
    ['one device, only cleared ones', '&deviceId=gd-2&open=false'],
  ])('%s: the pages together are the whole list, newest first, once each', async (_l, filter) => {
    const whole = await get(`?limit=1000${filter}`);
    expect(whole.nextCursor).toBeNull();
    expect(whole.items.length).toBeGreaterThan(0);
    const pages = await walk(filter, 2);
    expect(pages.map((p) => p.items.length)).toEqual(
      Array.from({ length: Math.ceil(whole.items.length / 2) }, (_, i) =>
        Math.min(2, whole.items.length - 2 * i),
      ),
    );
    expect(pages.flatMap((p) => p.items)).toEqual(whole.items);
    expect(pages.at(-1)?.nextCursor).toBeNull();
  });

  it('orders by opening time, newest first, the id breaking a tie', async () => {
    const { items } = await get('');
    expect(items).toHaveLength(9);
    const keys = items.map((n) => [Date.parse(n.openedAt), n.id] as const);
    const sorted = [...keys].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1));
    expect(keys).toEqual(sorted);
    // the three notices opened at the same instant sit at places 4 to 6: pages of 2 split them,
    // which the walks above get through without losing or repeating one
    const tied = items.map((n) => n.openedAt === new Date(T0 + 3 * MINUTE).toISOString());
    expect(tied).toEqual([false, false, false, true, true, true, false, false, false]);
  });

  it('a page that ends exactly at the end says so: no cursor to an empty page', async () => {
    const pages = await walk('', 3);
    expect(pages.map((p) => p.items.length)).toEqual([3, 3, 3]);
    expect(pages[2]?.nextCursor).toBeNull();
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['a devices cursor', Buffer.from(JSON.stringify({ after: 'gd-1' })).toString('base64url')],
  ])('refuses %s as a cursor: 400 CURSOR_INVALID', async (_label, cursor) => {
    const res = await t.request<{ code: string; message: string }>(
      'GET',
      `/api/v1/notices?cursor=${encodeURIComponent(cursor)}`,
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'CURSOR_INVALID',
      message: 'cursor: not a cursor this API issued',
    });
  });
});
