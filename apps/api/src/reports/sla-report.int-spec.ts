import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { HOUR, MINUTE, ManualClock } from '../../test/manual-clock';
import { openTicket, seedSite, step } from '../tickets/ticket-test-kit';

// 20:00 UTC on 31 March is already 1 April in Shanghai.
const T0 = Date.parse('2026-03-31T20:00:00.000Z');

interface Report {
  tickets: number;
  timeZone: string;
  compliance: {
    code: string;
    severity: string;
    met: number;
    breached: number;
    violated: number;
    rate: number | null;
  }[];
  meanTimeToAcknowledgeMs: number | null;
  meanTimeToRestoreMs: number | null;
  remoteResolution: { month: string; restored: number; remote: number; rate: number | null }[];
}

describe('GET /reports/sla (real PostgreSQL)', () => {
  let t: TestApi;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    t = await startTestApi({ clock });
    await seedSite(t, 'st-anne', 'city', 'Asia/Shanghai');
    await seedSite(t, 'st-bede', 'city', 'Europe/Berlin');
    // A: red, acknowledged at 10 min, fixed remotely at 1 h
    const a = await openTicket(t, { severity: 'red' });
    clock.set(T0 + 10 * MINUTE);
    await step(t, a.id, { type: 'acknowledge' });
    clock.set(T0 + 20 * MINUTE);
    await step(t, a.id, { type: 'engage_remote' });
    clock.set(T0 + 1 * HOUR);
    await step(t, a.id, { type: 'restore', mode: 'remote' });
    // B: yellow at 1 h, acknowledged 30 min later (late), restored on site 3 h after opening
    const b = await openTicket(t, { severity: 'yellow' });
    clock.set(T0 + 90 * MINUTE);
    await step(t, b.id, { type: 'acknowledge' });
    clock.set(T0 + 2 * HOUR);
    await step(t, b.id, { type: 'dispatch', engineer: 'Li Wei' });
    clock.set(T0 + 3 * HOUR);
    await step(t, b.id, { type: 'arrive' });
    clock.set(T0 + 4 * HOUR);
    await step(t, b.id, { type: 'restore', mode: 'onsite' });
    // C: cancelled, at another site: left out of the ticket-level figures
    const c = await openTicket(t, { severity: 'green', siteId: 'st-bede' });
    await step(t, c.id, { type: 'cancel' });
    clock.set(T0 + 5 * HOUR);
  });
  afterAll(async () => {
    await t?.close();
  });

  const report = (query: string) =>
    t.request<Report>('GET', `/api/v1/reports/sla${query}`, { token: t.tokens.viewer });
  const row = (r: Report, code: string, severity: string) =>
    r.compliance.find((c) => c.code === code && c.severity === severity);

  it('computes compliance, MTTA, MTTR and the remote rate from the logs', async () => {
    const res = await report('?from=2026-03-31T00:00:00Z&to=2026-04-02T00:00:00Z');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tickets: 3, timeZone: 'UTC' });
    expect(row(res.body, 'ACKNOWLEDGE', 'red')).toMatchObject({ met: 1, breached: 0, rate: 1 });
    expect(row(res.body, 'ACKNOWLEDGE', 'yellow')).toMatchObject({ met: 0, breached: 1, rate: 0 });
    expect(row(res.body, 'RESOLVE', 'red')).toMatchObject({ met: 1, rate: 1 });
    expect(row(res.body, 'ARRIVE', 'yellow')).toMatchObject({ met: 1, rate: 1 });
    expect(row(res.body, 'VERIFY', 'red')).toMatchObject({ met: 0, breached: 0, rate: null });
    // (10 min + 30 min) / 2; (1 h + 3 h) / 2
    expect(res.body.meanTimeToAcknowledgeMs).toBe(20 * MINUTE);
    expect(res.body.meanTimeToRestoreMs).toBe(2 * HOUR);
    expect(res.body.remoteResolution).toEqual([
      { month: '2026-03', restored: 1, remote: 1, rate: 1 },
      { month: '2026-04', restored: 1, remote: 0, rate: 0 },
    ]);
  });

  it("reads months in the site's time zone and keeps to the site", async () => {
    const res = await report('?from=2026-03-31T00:00:00Z&to=2026-04-02T00:00:00Z&site=st-anne');
    expect(res.body).toMatchObject({ tickets: 2, timeZone: 'Asia/Shanghai' });
    expect(res.body.remoteResolution).toEqual([
      { month: '2026-04', restored: 2, remote: 1, rate: 0.5 },
    ]);
  });

  it('counts only the tickets created in [from, to)', async () => {
    // A (20:00) is before from; C was opened exactly at `to`
    const res = await report('?from=2026-03-31T20:30:00Z&to=2026-04-01T00:00:00Z');
    expect(res.body.tickets).toBe(1);
    expect(res.body.meanTimeToAcknowledgeMs).toBe(30 * MINUTE);
  });

  it.each([
    ['', 'from: required'],
    ['?from=2026-03-01', 'to: required'],
    ['?from=yesterday&to=2026-04-01', 'from: not an ISO'],
    ['?from=2026-04-01&to=2026-03-01', 'to: must be after from'],
    ['?from=2026-04-01&to=2026-04-01', 'to: must be after from'],
    ['?from=2024-01-01&to=2026-01-01', 'at most 366 days'],
    ['?from=2026-03-01&to=2026-04-01&site=nowhere', 'no site'],
  ])('refuses %s with 400 REPORT_INVALID', async (query, message) => {
    const res = await t.request<{ code: string; message: string }>(
      'GET',
      `/api/v1/reports/sla${query}`,
      {
        token: t.tokens.viewer,
      },
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('REPORT_INVALID');
    expect(res.body.message).toContain(message);
  });
});
