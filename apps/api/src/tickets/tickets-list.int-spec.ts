import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { MINUTE, ManualClock } from '../../test/manual-clock';
import { openTicket, seedDevice, seedSite, step } from './ticket-test-kit';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');

interface Page {
  items: { id: string; title: string; nextDueAt: string | null; status: string }[];
  nextCursor: string | null;
}

describe('GET /tickets (real PostgreSQL)', () => {
  let t: TestApi;
  const clock = new ManualClock(T0);
  const id: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestApi({ clock });
    await seedSite(t, 'st-anne', 'city');
    await seedSite(t, 'st-bede', 'suburb');
    await seedDevice(t, 'gd-1', 'st-bede');
    // next due after acknowledging: RESPOND red 30 min / yellow 2 h / green 4 h from creation
    const open = async (title: string, severity: string, extra: Record<string, unknown> = {}) => {
      id[title] = (await openTicket(t, { title, severity, ...extra })).id;
    };
    await open('green-acked', 'green');
    await open('red-acked', 'red');
    await open('yellow-new', 'yellow', { deviceId: 'gd-1', siteId: undefined });
    await open('cancelled', 'red');
    await open('yellow-acked', 'yellow');
    for (const title of ['green-acked', 'red-acked', 'yellow-acked']) {
      await step(t, id[title] ?? '', { type: 'acknowledge' });
    }
    await step(t, id['cancelled'] ?? '', { type: 'cancel' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const list = (query: string) =>
    t.request<Page>('GET', `/api/v1/tickets${query}`, { token: t.tokens.viewer });
  const titles = (page: Page) => page.items.map((i) => i.title);

  it('sorts by next due (none last), then creation', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(titles(res.body)).toEqual([
      'yellow-new',
      'red-acked',
      'yellow-acked',
      'green-acked',
      'cancelled',
    ]);
    expect(res.body.items[0]?.nextDueAt).toBe(new Date(T0 + 15 * MINUTE).toISOString());
    expect(res.body.items[4]?.nextDueAt).toBeNull();
    expect(res.body.nextCursor).toBeNull();
  });

  it('pages with an opaque cursor, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res = await list(`?limit=2${cursor === '' ? '' : `&cursor=${cursor}`}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...titles(res.body));
      cursor = res.body.nextCursor;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['yellow-new', 'red-acked', 'yellow-acked', 'green-acked', 'cancelled']);
  });

  it.each([
    ['?status=open', ['yellow-new', 'red-acked', 'yellow-acked', 'green-acked']],
    ['?status=cancelled,new', ['yellow-new', 'cancelled']],
    ['?severity=yellow', ['yellow-new', 'yellow-acked']],
    ['?severity=red&status=open', ['red-acked']],
    ['?site=st-bede', ['yellow-new']],
    ['?device=gd-1', ['yellow-new']],
    ['?breached=true', []],
    ['?atRisk=false&status=acknowledged', ['red-acked', 'yellow-acked', 'green-acked']],
  ])('filters %s', async (query, expected) => {
    const res = await list(query);
    expect(res.status).toBe(200);
    expect(titles(res.body)).toEqual(expected);
  });

  it.each([
    ['?status=lost', 'VALIDATION_FAILED'],
    ['?severity=purple', 'VALIDATION_FAILED'],
    ['?limit=201', 'VALIDATION_FAILED'],
    ['?limit=0', 'VALIDATION_FAILED'],
    ['?breached=yes', 'VALIDATION_FAILED'],
    ['?cursor=bm9wZQ', 'CURSOR_INVALID'],
  ])('refuses %s with 400', async (query, code) => {
    expect(await list(query)).toMatchObject({ status: 400, body: { code } });
  });

  it('shows a change at once to the process that made it, though identical lists are shared', async () => {
    const before = await list('?status=open');
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => list('?status=open')));
    for (const page of concurrent) expect(page.body).toEqual(before.body);
    const fresh = await openTicket(t, { title: 'just-opened', severity: 'red' });
    const after = await list('?status=open');
    expect(after.body.items.map((i) => i.id)).toContain(fresh.id);
    await step(t, fresh.id, { type: 'cancel' });
    expect((await list('?status=open')).body.items.map((i) => i.id)).not.toContain(fresh.id);
  });

  it('has an index for the open-tickets order', async () => {
    const plan = await t.api.dataSource.transaction(async (m) => {
      await m.query('SET LOCAL enable_seqscan = off'); // 5 rows: make the planner show its index
      return m.query<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN SELECT * FROM ticket WHERE status NOT IN ('closed', 'cancelled')
          ORDER BY COALESCE(next_due_at, 'infinity'::timestamptz), created_at, id LIMIT 51`,
      );
    });
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/ticket_open_due_order/);
  });
});
