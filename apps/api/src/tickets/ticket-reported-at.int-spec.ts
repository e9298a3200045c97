import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { HOUR, MINUTE, ManualClock } from '../../test/manual-clock';
import { SlaSchedulerService } from './sla-scheduler.service';
import { clocks, openTicket, postEvent, seedSite, step } from './ticket-test-kit';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

describe('a ticket reported before it was typed in (reportedAt, real PostgreSQL)', () => {
  const clock = new ManualClock(T0);
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ clock });
    await seedSite(t, 'st-anne', 'city');
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => clock.set(T0));

  it('counts the clocks from the report, breaches RESPOND at its due instant, and audits the entry', async () => {
    // a red call taken 40 min ago: RESPOND (30 min) was already due 10 min ago
    const tk = await openTicket(t, { severity: 'red', reportedAt: at(-40 * MINUTE) });
    expect(tk).toMatchObject({ createdAt: at(-40 * MINUTE), status: 'new' });
    expect(clocks(tk)).toMatchObject({
      ACKNOWLEDGE: ['breached', at(-25 * MINUTE)],
      RESPOND: ['breached', at(-10 * MINUTE)],
      RESOLVE: ['running', at(-40 * MINUTE + 4 * HOUR)],
    });
    const [note] = tk.events;
    expect(tk.events).toHaveLength(1);
    expect(note).toMatchObject({
      seq: 1,
      type: 'note',
      at: at(-40 * MINUTE),
      recordedAt: at(0),
      actor: expect.stringMatching(/^test-engineer \(token [0-9a-f]{8}\)$/),
      payload: {
        reportedAt: at(-40 * MINUTE),
        enteredAt: at(0),
        text: expect.stringContaining('entered 40 min later'),
      },
    });

    // the breaches are recorded at once, at the instants they happened; a scheduler run adds none
    await t.api.app.get(SlaSchedulerService).runOnce();
    const rows = await t.sql(
      `SELECT milestone_key, kind, due_at FROM sla_alert WHERE ticket_id = $1 AND kind = 'breach'
        ORDER BY milestone_key`,
      [tk.id],
    );
    expect(rows).toEqual([
      { milestone_key: 'ACKNOWLEDGE', kind: 'breach', due_at: new Date(T0 - 25 * MINUTE) },
      { milestone_key: 'RESPOND', kind: 'breach', due_at: new Date(T0 - 10 * MINUTE) },
    ]);
    const [row] = await t.sql('SELECT breached, created_at FROM ticket WHERE id = $1', [tk.id]);
    expect(row).toEqual({ breached: true, created_at: new Date(T0 - 40 * MINUTE) });
  });

  it('lets events be logged late back to the report time, not before it', async () => {
    const tk = await openTicket(t, { severity: 'red', reportedAt: at(-20 * MINUTE) });
    const early = await postEvent(t, tk.id, { type: 'acknowledge', at: at(-21 * MINUTE) });
    expect(early.status).toBe(422);
    const acked = await step(t, tk.id, { type: 'acknowledge', at: at(-12 * MINUTE) });
    const responded = await step(t, tk.id, { type: 'engage_remote', at: at(-5 * MINUTE) });
    expect(clocks(acked)['ACKNOWLEDGE']).toEqual(['met', at(-5 * MINUTE)]);
    expect(clocks(responded)['RESPOND']).toEqual(['met', at(10 * MINUTE)]);
    expect(responded.breached).toBe(false);
  });

  it('without reportedAt the ticket starts now and carries no note', async () => {
    const tk = await openTicket(t, { severity: 'yellow' });
    expect(tk).toMatchObject({ createdAt: at(0) });
    expect(tk.events).toEqual([]);
  });

  it.each([
    ['in the future', { reportedAt: at(1_000) }, 422, /future/],
    ['more than 24 h back', { reportedAt: at(-24 * HOUR - 1_000) }, 422, /at most 24 h back/],
    ['on a health-rule ticket', { reportedAt: at(-MINUTE), source: 'health-rule' }, 422, /people/],
    ['not an ISO instant', { reportedAt: 'yesterday' }, 400, /reportedAt/],
    [
      'without a UTC offset',
      { reportedAt: at(-40 * MINUTE).replace('Z', '') },
      400,
      /reportedAt: give the UTC offset or Z/,
    ],
  ])('refuses a report time %s, and opens nothing', async (_label, body, status, message) => {
    const [before] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM ticket');
    const res = await t.request<{ code: string; message: string; details?: unknown }>(
      'POST',
      '/api/v1/tickets',
      {
        token: t.tokens.engineer,
        body: { title: 'x', category: 'c', severity: 'red', siteId: 'st-anne', ...body },
      },
    );
    expect(res.status).toBe(status);
    expect(JSON.stringify(res.body)).toMatch(message);
    const [after] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM ticket');
    expect(after?.n).toBe(before?.n);
  });
});
