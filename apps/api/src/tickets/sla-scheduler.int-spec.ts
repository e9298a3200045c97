import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { HOUR, MINUTE, ManualClock } from '../../test/manual-clock';
import { SlaSchedulerService } from './sla-scheduler.service';
import { openTicket, seedSite } from './ticket-test-kit';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');

interface AlertRow {
  milestone_key: string;
  kind: string;
  due_at: Date;
  raised_at: Date;
}

describe('SLA scheduler (real PostgreSQL, restarts)', () => {
  const clock = new ManualClock(T0);
  let first: TestApi | undefined;
  let second: TestApi | undefined;
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  const alerts = (t: TestApi, ticketId: string) =>
    t.sql<AlertRow>(
      `SELECT milestone_key, kind, due_at, raised_at FROM sla_alert WHERE ticket_id = $1
        ORDER BY milestone_key, kind`,
      [ticketId],
    );

  it('catches a breach that happened while the API was down, once, at its due instant', async () => {
    first = await startTestApi({ clock });
    await seedSite(first, 'st-anne', 'city');
    const ticket = await openTicket(first, { severity: 'red' });
    const databaseUrl = first.databaseUrl;
    await first.close();
    first = undefined;

    // down for 45 min: ACKNOWLEDGE (15 min) and RESPOND (red 30 min) pass unmet
    clock.set(T0 + 45 * MINUTE);
    second = await startTestApi({
      clock,
      databaseUrl,
      env: { ORFLEET_SCHEDULER_ENABLED: 'true', ORFLEET_SCHEDULER_INTERVAL_MS: '3600000' },
    });
    const t = second;

    // the catch-up run at start recorded the breaches at their due instants
    const rows = await t.sql<{ key: string; state: string; breached_at: Date | null }>(
      `SELECT key, state, breached_at FROM ticket_milestone WHERE ticket_id = $1 ORDER BY key`,
      [ticket.id],
    );
    expect(rows).toEqual([
      { key: 'ACKNOWLEDGE', state: 'breached', breached_at: new Date(T0 + 15 * MINUTE) },
      { key: 'REPLACE_PARTS', state: 'pending', breached_at: null },
      { key: 'RESOLVE', state: 'running', breached_at: null },
      { key: 'RESPOND', state: 'breached', breached_at: new Date(T0 + 30 * MINUTE) },
    ]);
    const [summary] = await t.sql('SELECT breached, next_change_at FROM ticket WHERE id = $1', [
      ticket.id,
    ]);
    // next: RESOLVE's 50 % warning at 2 h
    expect(summary).toEqual({ breached: true, next_change_at: new Date(T0 + 2 * HOUR) });

    const raisedAt = new Date(T0 + 45 * MINUTE);
    const point = (key: string, kind: string, due: number): AlertRow => ({
      milestone_key: key,
      kind,
      due_at: new Date(T0 + due),
      raised_at: raisedAt,
    });
    const expected = [
      point('ACKNOWLEDGE', 'breach', 15 * MINUTE),
      point('ACKNOWLEDGE', 'warning:0.5', 15 * MINUTE),
      point('ACKNOWLEDGE', 'warning:0.75', 15 * MINUTE),
      point('RESPOND', 'breach', 30 * MINUTE),
      point('RESPOND', 'warning:0.5', 30 * MINUTE),
      point('RESPOND', 'warning:0.75', 30 * MINUTE),
    ];
    expect(await alerts(t, ticket.id)).toEqual(expected);

    const scheduler = t.api.app.get(SlaSchedulerService);
    // nothing due again: a second run (or a third process) adds nothing
    expect(await scheduler.runOnce()).toEqual({ processed: 0, alerts: 0 });
    clock.set(T0 + 50 * MINUTE);
    expect(await scheduler.runOnce()).toEqual({ processed: 0, alerts: 0 });
    expect(await alerts(t, ticket.id)).toEqual(expected);

    // RESOLVE's warning points, each once
    clock.set(T0 + 2 * HOUR);
    expect(await scheduler.runOnce()).toEqual({ processed: 1, alerts: 1 });
    expect(await scheduler.runOnce()).toEqual({ processed: 0, alerts: 0 });
    clock.set(T0 + 5 * HOUR);
    expect(await scheduler.runOnce()).toEqual({ processed: 1, alerts: 2 });
    const resolve = (await alerts(t, ticket.id)).filter((a) => a.milestone_key === 'RESOLVE');
    expect(resolve.map((a) => [a.kind, a.raised_at])).toEqual([
      ['breach', new Date(T0 + 5 * HOUR)],
      ['warning:0.5', new Date(T0 + 2 * HOUR)],
      ['warning:0.75', new Date(T0 + 5 * HOUR)],
    ]);
    const [after] = await t.sql('SELECT next_change_at FROM ticket WHERE id = $1', [ticket.id]);
    expect(after).toEqual({ next_change_at: null });

    const metrics = await t.request<string>('GET', '/metrics', { token: null });
    expect(metrics.body).toMatch(/orfleet_sla_alerts_total\{kind="breach",milestone="RESPOND"\} 1/);
  });

  it('a breach stays recorded when the late event finally comes', async () => {
    const t = second;
    if (t === undefined) throw new Error('previous test did not start the API');
    clock.set(T0 + 5 * HOUR);
    const ticket = await openTicket(t, { severity: 'red' });
    clock.set(T0 + 6 * HOUR);
    await t.api.app.get(SlaSchedulerService).runOnce();
    const ack = await t.request<{ milestones: { key: string; state: string; metAt: string }[] }>(
      'POST',
      `/api/v1/tickets/${ticket.id}/events`,
      { token: t.tokens.engineer, body: { type: 'acknowledge' } },
    );
    expect(ack.status).toBe(201);
    expect(ack.body.milestones.find((m) => m.key === 'ACKNOWLEDGE')).toMatchObject({
      state: 'breached',
      metAt: new Date(T0 + 6 * HOUR).toISOString(),
    });
  });
});
