import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { HOUR, MINUTE, ManualClock } from '../../test/manual-clock';
import { clocks, openTicket, seedHospitalStock, seedSite, step } from './ticket-test-kit';
import type { TicketBody } from './ticket-test-kit';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

describe('a red ticket, from the call to the closure (real PostgreSQL)', () => {
  let t: TestApi;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    t = await startTestApi({ clock });
    await seedSite(t, 'st-anne', 'city');
    await seedHospitalStock(t, 'st-anne', 'PSU-450W', 3);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Moves the clock, posts, and checks the answer is what GET /tickets/:id says too. */
  async function walk(id: string, offset: number, body: Record<string, unknown>) {
    clock.set(T0 + offset);
    const posted = await step(t, id, body);
    const read = await t.request<TicketBody>('GET', `/api/v1/tickets/${id}`, {
      token: t.tokens.viewer,
    });
    expect(read.status).toBe(200);
    expect(clocks(read.body)).toEqual(clocks(posted));
    return read.body;
  }

  it('ticks every milestone from the contract at each step', async () => {
    const created = await openTicket(t, { severity: 'red' });
    expect(created).toMatchObject({ number: 'T-2026-000001', status: 'new', severity: 'red' });
    // contract: acknowledge 15 min, red respond 30 min, red resolve 4 h, from creation
    expect(clocks(created)).toEqual({
      ACKNOWLEDGE: ['running', at(15 * MINUTE)],
      RESPOND: ['running', at(30 * MINUTE)],
      REPLACE_PARTS: ['pending', null],
      RESOLVE: ['running', at(4 * HOUR)],
    });
    expect(created.nextDueAt).toBe(at(15 * MINUTE));
    const id = created.id;

    let tk = await walk(id, 5 * MINUTE, { type: 'acknowledge' });
    expect(tk.status).toBe('acknowledged');
    expect(clocks(tk)['ACKNOWLEDGE']).toEqual(['met', at(15 * MINUTE)]);
    expect(tk.nextDueAt).toBe(at(30 * MINUTE));

    tk = await walk(id, 10 * MINUTE, { type: 'engage_remote' });
    expect(tk.status).toBe('in_progress');
    expect(clocks(tk)['RESPOND']).toEqual(['met', at(30 * MINUTE)]);

    tk = await walk(id, 12 * MINUTE, { type: 'dispatch', engineer: 'Li Wei' });
    expect(tk.visits).toEqual([
      expect.objectContaining({ id: 'v1', status: 'dispatched', zone: 'city', engineer: 'Li Wei' }),
    ]);
    // contract: city on site within 2 h of dispatch
    expect(clocks(tk)['ARRIVE:v1']).toEqual(['running', at(2 * HOUR + 12 * MINUTE)]);

    tk = await walk(id, 1 * HOUR, { type: 'arrive' });
    expect(clocks(tk)['ARRIVE:v1']).toEqual(['met', at(2 * HOUR + 12 * MINUTE)]);
    // contract: first diagnosis within 1 h of arrival
    expect(clocks(tk)['DIAGNOSE:v1']).toEqual(['running', at(2 * HOUR)]);

    tk = await walk(id, 80 * MINUTE, {
      type: 'diagnose',
      faultCode: 'PSU_FAIL',
      parts: [{ partNumber: 'PSU-450W', qty: 1 }],
    });
    expect(clocks(tk)['DIAGNOSE:v1']).toEqual(['met', at(2 * HOUR)]);
    // contract: spare part replaced within 48 h of diagnosis
    expect(clocks(tk)['REPLACE_PARTS']).toEqual(['running', at(80 * MINUTE + 48 * HOUR)]);
    expect(tk.reservations).toEqual([
      expect.objectContaining({ partNumber: 'PSU-450W', status: 'reserved' }),
    ]);
    const reservationId = tk.reservations[0]?.id ?? '';
    // hospital store: 15 min (policy reading of "about 0")
    expect(clocks(tk)[`PART_DELIVERY:${reservationId}`]).toEqual(['running', at(95 * MINUTE)]);
    expect(tk.events.map((e) => e.type).slice(-2)).toEqual(['diagnose', 'part_reserved']);
    // part in at 1:20 + 1 h install + 2 h test = 4:20, after RESOLVE's 4:00: at risk at once
    expect(tk.milestones.find((m) => m.key === 'RESOLVE')?.atRisk).toBe(true);
    expect(tk.atRisk).toBe(true);

    clock.set(T0 + 90 * MINUTE);
    const delivered = await t.request('POST', `/api/v1/reservations/${reservationId}/deliver`, {
      token: t.tokens.engineer,
    });
    expect(delivered).toMatchObject({ status: 200, body: { status: 'delivered' } });
    tk = (await t.request<TicketBody>('GET', `/api/v1/tickets/${id}`)).body;
    expect(clocks(tk)[`PART_DELIVERY:${reservationId}`]).toEqual(['met', at(95 * MINUTE)]);
    expect(tk.breached).toBe(false);
    expect(tk.atRisk).toBe(false);

    tk = await walk(id, 100 * MINUTE, { type: 'parts_installed' });
    expect(clocks(tk)['REPLACE_PARTS']).toEqual(['met', at(80 * MINUTE + 48 * HOUR)]);
    expect(tk.reservations[0]?.status).toBe('consumed');

    tk = await walk(id, 105 * MINUTE, { type: 'verify_start' });
    // a minimum duration: dueAt is the earliest instant a pass counts
    expect(clocks(tk)['VERIFY:v1']).toEqual(['running', at(105 * MINUTE + 2 * HOUR)]);

    tk = await walk(id, 3 * HOUR + 50 * MINUTE, { type: 'verify_pass' });
    expect(clocks(tk)['VERIFY:v1']).toEqual(['met', at(105 * MINUTE + 2 * HOUR)]);

    tk = await walk(id, 3 * HOUR + 55 * MINUTE, { type: 'restore', mode: 'onsite' });
    expect(tk.status).toBe('restored');
    expect(clocks(tk)['RESOLVE']).toEqual(['met', at(4 * HOUR)]);

    tk = await walk(id, 4 * HOUR + 10 * MINUTE, { type: 'depart' });
    // contract: fault report within 24 h of leaving the site
    expect(clocks(tk)['REPORT:v1']).toEqual(['running', at(28 * HOUR + 10 * MINUTE)]);

    tk = await walk(id, 20 * HOUR, { type: 'report', text: 'PSU failed; replaced; spare added' });
    expect(clocks(tk)['REPORT:v1']).toEqual(['met', at(28 * HOUR + 10 * MINUTE)]);

    tk = await walk(id, 20 * HOUR + 5 * MINUTE, { type: 'close' });
    expect(tk.status).toBe('closed');
    expect(tk.allowedEvents).toEqual(['reopen', 'note']);
    expect(tk.nextDueAt).toBeNull();
    expect(Object.fromEntries(tk.milestones.map((m) => [m.code, m.state]))).toEqual({
      ACKNOWLEDGE: 'met',
      RESPOND: 'met',
      ARRIVE: 'met',
      DIAGNOSE: 'met',
      REPLACE_PARTS: 'met',
      PART_DELIVERY: 'met',
      VERIFY: 'met',
      RESOLVE: 'met',
      REPORT: 'met',
    });

    // the stored rows and summary say the same as the read
    const rows = await t.sql<{ key: string; state: string }>(
      'SELECT key, state FROM ticket_milestone WHERE ticket_id = $1 ORDER BY key',
      [id],
    );
    expect(rows).toHaveLength(9);
    expect(rows.filter((r) => r.state !== 'met')).toEqual([]);
    const [summary] = await t.sql(
      'SELECT status, closed_at, breached, next_change_at FROM ticket WHERE id = $1',
      [id],
    );
    expect(summary).toEqual({
      status: 'closed',
      closed_at: new Date(T0 + 20 * HOUR + 5 * MINUTE),
      breached: false,
      next_change_at: null,
    });
    const [stock] = await t.sql('SELECT on_hand, reserved FROM stock WHERE part_number = $1', [
      'PSU-450W',
    ]);
    expect(stock).toEqual({ on_hand: 2, reserved: 0 });
    const log = await t.sql<{ type: string }>(
      'SELECT type FROM ticket_event WHERE ticket_id = $1 ORDER BY seq',
      [id],
    );
    expect(log.map((e) => e.type)).toEqual([
      'acknowledge',
      'engage_remote',
      'dispatch',
      'arrive',
      'diagnose',
      'part_reserved',
      'part_delivered',
      'parts_installed',
      'verify_start',
      'verify_pass',
      'restore',
      'depart',
      'report',
      'close',
    ]);
  });

  it('a part installed without a recorded delivery: delivered at the installation, its clock stops', async () => {
    const base = 24 * HOUR;
    clock.set(T0 + base);
    const { id } = await openTicket(t, { severity: 'red' });
    await walk(id, base + 2 * MINUTE, { type: 'acknowledge' });
    await walk(id, base + 3 * MINUTE, { type: 'dispatch', engineer: 'Li Wei' });
    await walk(id, base + 20 * MINUTE, { type: 'arrive' });
    let tk = await walk(id, base + 25 * MINUTE, {
      type: 'diagnose',
      faultCode: 'PSU_FAIL',
      parts: [{ partNumber: 'PSU-450W', qty: 1 }],
    });
    const reservationId = tk.reservations[0]?.id ?? '';
    const key = `PART_DELIVERY:${reservationId}`;
    expect(clocks(tk)[key]).toEqual(['running', at(base + 40 * MINUTE)]);

    // the engineer took the part from the store and fitted it at +35 min, and only says so
    // at +50 min, after the delivery deadline: the delivery is dated with the installation
    tk = await walk(id, base + 50 * MINUTE, {
      type: 'parts_installed',
      at: at(base + 35 * MINUTE),
    });
    expect(clocks(tk)[key]).toEqual(['met', at(base + 40 * MINUTE)]);
    expect(tk.reservations[0]).toMatchObject({
      status: 'consumed',
      deliveredAt: at(base + 35 * MINUTE),
    });
    const [row] = await t.sql<{ delivered_at: Date; updated_at: Date }>(
      'SELECT delivered_at, updated_at FROM reservation WHERE id = $1',
      [reservationId],
    );
    expect(row?.delivered_at.toISOString()).toBe(at(base + 35 * MINUTE));
    // the row itself changed when the installation was recorded
    expect(row?.updated_at.toISOString()).toBe(at(base + 50 * MINUTE));
    const delivered = tk.events.filter((e) => e.type === 'part_delivered');
    expect(delivered).toEqual([
      expect.objectContaining({
        at: at(base + 35 * MINUTE),
        payload: expect.objectContaining({ reservationId, impliedBy: 'parts_installed' }),
      }),
    ]);
    expect(tk.events.map((e) => e.type).slice(-2)).toEqual(['part_delivered', 'parts_installed']);
  });
});
