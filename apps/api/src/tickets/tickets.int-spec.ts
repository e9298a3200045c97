import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { HOUR, MINUTE, ManualClock } from '../../test/manual-clock';
import {
  clocks,
  openTicket,
  postEvent,
  seedDevice,
  seedHospitalStock,
  seedSite,
  step,
} from './ticket-test-kit';
import type { TicketBody } from './ticket-test-kit';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

describe('tickets API (real PostgreSQL)', () => {
  let t: TestApi;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    t = await startTestApi({ clock });
    await seedSite(t, 'st-anne', 'city');
    await seedSite(t, 'st-far', 'remote');
    await seedDevice(t, 'gd-or3', 'st-anne');
    await seedHospitalStock(t, 'st-anne', 'MOTOR-12V', 5);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => clock.set(T0));

  /** A ticket walked on site up to a running stress test (verify_start at +2 h). */
  async function verifying(severity = 'red'): Promise<string> {
    const { id } = await openTicket(t, { severity });
    for (const [offset, body] of [
      [1 * MINUTE, { type: 'acknowledge' }],
      [2 * MINUTE, { type: 'dispatch', engineer: 'Li Wei' }],
      [1 * HOUR, { type: 'arrive' }],
      [70 * MINUTE, { type: 'diagnose' }],
      [2 * HOUR, { type: 'verify_start' }],
    ] as const) {
      clock.set(T0 + offset);
      await step(t, id, body);
    }
    return id;
  }

  describe('verification (contract: a 2-hour stress test)', () => {
    it.each([
      ['shorter than 2 h is a violation', 1 * HOUR + 59 * MINUTE, 'violated'],
      ['exactly 2 h passes', 2 * HOUR, 'met'],
    ])('%s', async (_label, lasted, state) => {
      const id = await verifying();
      clock.set(T0 + 2 * HOUR + lasted);
      const tk = await step(t, id, { type: 'verify_pass' });
      expect(clocks(tk)['VERIFY:v1']).toEqual([state, at(4 * HOUR)]);
      expect(tk.visits[0]?.status).toBe('verified');
    });

    it('a failed test starts a second cycle', async () => {
      const id = await verifying();
      clock.set(T0 + 3 * HOUR);
      await step(t, id, { type: 'verify_fail', text: 'reboots under load' });
      clock.set(T0 + 3 * HOUR + 10 * MINUTE);
      const tk = await step(t, id, { type: 'verify_start' });
      expect(clocks(tk)['VERIFY:v1']).toEqual(['cancelled', at(4 * HOUR)]);
      expect(clocks(tk)['VERIFY:v1#2']).toEqual(['running', at(5 * HOUR + 10 * MINUTE)]);
    });
  });

  it('an upgrade yellow → red: red clocks from the upgrade, yellow ones superseded', async () => {
    const { id } = await openTicket(t, { severity: 'yellow' });
    clock.set(T0 + 1 * HOUR);
    const tk = await step(t, id, { type: 'upgrade', severity: 'red' });
    expect(tk.severity).toBe('red');
    const m = Object.fromEntries(tk.milestones.map((x) => [x.key, x]));
    expect(m['RESPOND']).toMatchObject({
      state: 'superseded',
      severity: 'yellow',
      dueAt: at(2 * HOUR),
    });
    expect(m['RESOLVE']).toMatchObject({
      state: 'superseded',
      severity: 'yellow',
      dueAt: at(24 * HOUR),
    });
    // contract: red respond 30 min, resolve 4 h, counted from the upgrade
    expect(m['RESPOND#2']).toMatchObject({
      state: 'running',
      severity: 'red',
      startedAt: at(1 * HOUR),
      dueAt: at(90 * MINUTE),
    });
    expect(m['RESOLVE#2']).toMatchObject({
      state: 'running',
      severity: 'red',
      dueAt: at(5 * HOUR),
    });
    // ACKNOWLEDGE does not depend on the level (and breached at 15 min)
    expect(m['ACKNOWLEDGE']).toMatchObject({ state: 'breached', breachedAt: at(15 * MINUTE) });
    const [row] = await t.sql('SELECT severity FROM ticket WHERE id = $1', [id]);
    expect(row).toEqual({ severity: 'red' });

    // only upwards
    const down = await postEvent(t, id, { type: 'upgrade', severity: 'yellow' });
    expect(down.status).toBe(409);
    const again = await postEvent(t, id, { type: 'upgrade', severity: 'red' });
    expect(again.status).toBe(409);
  });

  describe('transition, time and payload errors', () => {
    it('refuses an event the status machine does not allow, naming the allowed ones', async () => {
      const { id } = await openTicket(t, { severity: 'green' });
      const res = await postEvent(t, id, { type: 'arrive' });
      expect(res).toMatchObject({
        status: 409,
        body: {
          code: 'TICKET_TRANSITION_INVALID',
          details: {
            status: 'new',
            allowed: [
              'acknowledge',
              'engage_remote',
              'dispatch',
              'hold',
              'upgrade',
              'cancel',
              'note',
            ],
          },
        },
      });
      const log = await t.sql('SELECT 1 FROM ticket_event WHERE ticket_id = $1', [id]);
      expect(log).toEqual([]);
    });

    it.each([
      ['in the future', () => at(1), 'may not be in the future'],
      ['before the ticket', () => at(-1), 'may not precede'],
    ])('refuses `at` %s with 422', async (_label, when, message) => {
      const { id } = await openTicket(t, { severity: 'green' });
      const res = await postEvent<{ code: string; message: string }>(t, id, {
        type: 'acknowledge',
        at: when(),
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('TICKET_EVENT_INVALID');
      expect(res.body.message).toContain(message);
    });

    it('takes a late `at`, but not one before the last event', async () => {
      const { id } = await openTicket(t, { severity: 'green' });
      clock.set(T0 + 1 * HOUR);
      const ack = await step(t, id, { type: 'acknowledge', at: at(10 * MINUTE) });
      expect(clocks(ack)['ACKNOWLEDGE']).toEqual(['met', at(15 * MINUTE)]);
      const before = await postEvent(t, id, { type: 'engage_remote', at: at(5 * MINUTE) });
      expect(before).toMatchObject({
        status: 422,
        body: { details: { notBefore: at(10 * MINUTE) } },
      });
    });

    it.each([
      ['an unknown type', { type: 'teleport' }],
      ['dispatch without engineer', { type: 'dispatch' }],
      ['a field the event does not take', { type: 'acknowledge', engineer: 'x' }],
      ['an unknown field', { type: 'note', text: 'x', colour: 'red' }],
      ['a bad restore mode', { type: 'restore', mode: 'magic' }],
      ['a bad part line', { type: 'note', text: 'x', parts: [{ partNumber: 'psu', qty: 0 }] }],
      ['a malformed at', { type: 'acknowledge', at: 'yesterday' }],
    ])('answers 400 for %s', async (_label, body) => {
      const { id } = await openTicket(t, { severity: 'green' });
      const res = await postEvent(t, id, body);
      expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    });

    it('refuses a hold for a reason no running clock allows (waiting for a part pauses nothing)', async () => {
      const { id } = await openTicket(t, { severity: 'red' });
      const res = await postEvent<{ details: { issues: { code: string }[] } }>(t, id, {
        type: 'hold',
        reason: 'awaiting_part',
      });
      expect(res.status).toBe(422);
      expect(res.body.details.issues.map((i) => i.code)).toEqual(['PAUSE_REASON_NOT_ALLOWED']);
    });

    it('holds DIAGNOSE while the OR is in use, and resumes', async () => {
      const { id } = await openTicket(t, { severity: 'red' });
      await step(t, id, { type: 'dispatch', engineer: 'Li Wei' });
      clock.set(T0 + 1 * HOUR);
      await step(t, id, { type: 'arrive' });
      clock.set(T0 + 70 * MINUTE);
      const held = await step(t, id, { type: 'hold', reason: 'or_in_use' });
      expect(held.status).toBe('on_hold');
      // red cannot go higher, so no upgrade
      expect(held.allowedEvents).toEqual(['acknowledge', 'resume', 'cancel', 'note']);
      expect(clocks(held)['DIAGNOSE:v1']?.[0]).toBe('paused');
      clock.set(T0 + 100 * MINUTE);
      const resumed = await step(t, id, { type: 'resume' });
      expect(resumed.status).toBe('in_progress');
      // 30 min paused: diagnosis due 2 h + 30 min
      expect(clocks(resumed)['DIAGNOSE:v1']).toEqual(['running', at(2 * HOUR + 30 * MINUTE)]);
      // RESOLVE allows or_in_use too; ARRIVE was met and RESPOND does not pause
      expect(clocks(resumed)['RESOLVE']).toEqual(['running', at(4 * HOUR + 30 * MINUTE)]);
    });

    it('answers 404 for an unknown ticket and 400 for a malformed id', async () => {
      const unknown = await postEvent(t, '00000000-0000-4000-8000-000000000000', {
        type: 'note',
        text: 'x',
      });
      expect(unknown).toMatchObject({ status: 404, body: { code: 'TICKET_NOT_FOUND' } });
      const bad = await t.request('GET', '/api/v1/tickets/nope');
      expect(bad.status).toBe(400);
    });
  });

  describe('auth', () => {
    it.each([
      ['POST', '/api/v1/tickets', null, 401],
      ['GET', '/api/v1/tickets', null, 401],
      ['POST', '/api/v1/tickets', 'viewer', 403],
      ['POST', '/api/v1/tickets/00000000-0000-4000-8000-000000000000/events', 'viewer', 403],
      ['GET', '/api/v1/tickets', 'device-service', 403],
      ['POST', '/api/v1/reservations', 'viewer', 403],
      ['POST', '/api/v1/reservations/00000000-0000-4000-8000-000000000000/release', null, 401],
      ['GET', '/api/v1/reports/sla?from=2026-01-01&to=2026-02-01', 'device-service', 403],
    ] as const)('%s %s as %s → %i', async (method, path, role, status) => {
      const res = await t.request(method, path, {
        token: role === null ? null : t.tokens[role],
        body: method === 'POST' ? {} : undefined,
      });
      expect(res.status).toBe(status);
    });
  });

  describe('opening', () => {
    it('takes the site from the device, freezes its zone, numbers per year, records the actor', async () => {
      const tk = await openTicket(t, { severity: 'yellow', deviceId: 'gd-or3', siteId: undefined });
      expect(tk).toMatchObject({
        siteId: 'st-anne',
        zone: 'city',
        deviceId: 'gd-or3',
        source: 'hotline',
      });
      expect(tk.number).toMatch(/^T-2026-\d{6}$/);
      const [row] = await t.sql(
        'SELECT created_by, policy_id, policy_version FROM ticket WHERE id = $1',
        [tk.id],
      );
      expect(row).toEqual({
        created_by: expect.stringMatching(/^test-engineer \(token [0-9a-f]{8}\)$/),
        policy_id: 'orfleet-or-service-contract',
        policy_version: 1,
      });
    });

    it.each([
      ['an unknown device', { deviceId: 'nope-1', siteId: undefined }, 422],
      ['a device at another site', { deviceId: 'gd-or3', siteId: 'st-far' }, 422],
      ['an unknown site', { siteId: 'nope-2' }, 422],
      ['neither device nor site', { siteId: undefined }, 400],
      ['a bad severity', { severity: 'purple' }, 400],
    ])('refuses %s', async (_label, body, status) => {
      const res = await t.request('POST', '/api/v1/tickets', {
        token: t.tokens.engineer,
        body: { title: 'x', category: 'c', severity: 'red', siteId: 'st-anne', ...body },
      });
      expect(res.status).toBe(status);
    });

    it('deduplicates on the fingerprint of an open ticket, and opens anew once it is cancelled', async () => {
      const body = {
        title: 'x',
        category: 'heartbeat',
        severity: 'red',
        siteId: 'st-anne',
        fingerprint: 'gd-or3|missed',
      };
      const first = await t.request<TicketBody>('POST', '/api/v1/tickets', {
        token: t.tokens.engineer,
        body,
      });
      const second = await t.request<TicketBody>('POST', '/api/v1/tickets', {
        token: t.tokens.engineer,
        body,
      });
      expect(first).toMatchObject({ status: 201, body: { deduplicated: false, occurrences: 1 } });
      expect(second).toMatchObject({
        status: 200,
        body: { id: first.body.id, deduplicated: true, occurrences: 2 },
      });
      await step(t, first.body.id, { type: 'cancel', text: 'duplicate' });
      const third = await t.request<TicketBody>('POST', '/api/v1/tickets', {
        token: t.tokens.engineer,
        body,
      });
      expect(third.status).toBe(201);
      expect(third.body.id).not.toBe(first.body.id);
      // the reopened old one would collide with the open one
      const reopen = await postEvent(t, first.body.id, { type: 'reopen' });
      expect(reopen.status).toBe(409);
    });

    it('a resolved ticket frees its fingerprint: the next opening is a new ticket, the resolved one untouched', async () => {
      const body = {
        title: 'x',
        category: 'fault',
        severity: 'yellow',
        siteId: 'st-anne',
        fingerprint: 'resolved-1',
      };
      const open = () =>
        t.request<TicketBody>('POST', '/api/v1/tickets', { token: t.tokens.engineer, body });
      const first = await open();
      expect(first).toMatchObject({ status: 201, body: { occurrences: 1 } });
      for (const event of [
        { type: 'acknowledge' },
        { type: 'engage_remote' },
        { type: 'restore', mode: 'remote' },
        { type: 'resolve', text: 'customer confirmed' },
      ]) {
        await step(t, first.body.id, event);
      }
      const second = await open();
      expect(second).toMatchObject({ status: 201, body: { deduplicated: false, occurrences: 1 } });
      expect(second.body.id).not.toBe(first.body.id);
      const third = await open();
      expect(third).toMatchObject({
        status: 200,
        body: { id: second.body.id, deduplicated: true, occurrences: 2 },
      });
      const resolved = await t.request<TicketBody>('GET', `/api/v1/tickets/${first.body.id}`, {
        token: t.tokens.engineer,
      });
      expect(resolved.body).toMatchObject({ status: 'resolved', occurrences: 1 });
      const rows = await t.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM ticket WHERE fingerprint = 'resolved-1'`,
      );
      expect(rows).toEqual([{ n: 2 }]);
      // reopening the resolved one would give the fingerprint two open tickets
      const reopen = await postEvent(t, first.body.id, { type: 'reopen' });
      expect(reopen.status).toBe(409);
    });

    it('parallel opens with one fingerprint make one ticket', async () => {
      const body = {
        title: 'x',
        category: 'fault',
        severity: 'red',
        siteId: 'st-anne',
        fingerprint: 'race-1',
      };
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          t.request<TicketBody>('POST', '/api/v1/tickets', { token: t.tokens.engineer, body }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([
        200, 200, 200, 200, 200, 200, 200, 200, 200, 201,
      ]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      const [row] = await t.sql('SELECT occurrences FROM ticket WHERE fingerprint = $1', [
        'race-1',
      ]);
      expect(row).toEqual({ occurrences: 10 });
    });

    it('counts opened tickets by severity and source', async () => {
      await openTicket(t, { severity: 'green', source: 'portal' });
      const metrics = await t.request<string>('GET', '/metrics', { token: null });
      expect(metrics.body).toMatch(
        /orfleet_tickets_opened_total\{severity="green",source="portal"\} 1/,
      );
    });
  });

  describe('parts through the ticket', () => {
    it('opens a ticket with its part reserved, PART_DELIVERY running from the store tier', async () => {
      await seedHospitalStock(t, 'st-anne', 'PSU-OPEN-1', 3);
      const tk = await openTicket(t, {
        severity: 'red',
        deviceId: 'gd-or3',
        parts: [{ partNumber: 'PSU-OPEN-1', qty: 1 }],
      });
      expect(tk.reservations).toEqual([
        expect.objectContaining({ partNumber: 'PSU-OPEN-1', status: 'reserved', tier: 'hospital' }),
      ]);
      expect(tk.events.map((e) => e.type)).toEqual(['part_reserved']);
      const key = `PART_DELIVERY:${tk.reservations[0]?.id ?? ''}`;
      // contract tiers as data (libs/sla): the hospital store is fetched within 15 min
      expect(clocks(tk)[key]).toEqual(['running', at(15 * MINUTE)]);
      const [stock] = await t.sql('SELECT reserved FROM stock WHERE part_number = $1', [
        'PSU-OPEN-1',
      ]);
      expect(stock).toEqual({ reserved: 1 });
      // the opening's answer is rendered in memory: it must equal what was stored
      const stored = await t.request<TicketBody>('GET', `/api/v1/tickets/${tk.id}`, {
        token: t.tokens.viewer,
      });
      expect({ ...stored.body, deduplicated: false }).toEqual(tk);
    });

    it('200 parallel openings wanting the same part: exactly the stock is booked, the rest backordered', async () => {
      await seedHospitalStock(t, 'st-far', 'PSU-RACE-1', 50);
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          t.request<TicketBody>('POST', '/api/v1/tickets', {
            token: t.tokens.engineer,
            body: {
              severity: 'red',
              title: `race ${i}`,
              category: 'device-unusable',
              siteId: 'st-far',
              parts: [{ partNumber: 'PSU-RACE-1', qty: 1 }],
            },
          }),
        ),
      );
      expect(answers.map((a) => a.status).filter((s) => s !== 201)).toEqual([]);
      const statuses = answers.map((a) => a.body.reservations[0]?.status);
      expect(statuses.filter((s) => s === 'reserved')).toHaveLength(50);
      expect(statuses.filter((s) => s === 'backordered')).toHaveLength(150);
      // every ticket logged its one reservation, and only booked parts run a delivery clock
      for (const { body } of answers) {
        expect(body.events.map((e) => e.type)).toEqual(['part_reserved']);
        const delivery = Object.keys(clocks(body)).filter((k) => k.startsWith('PART_DELIVERY'));
        expect(delivery).toHaveLength(body.reservations[0]?.status === 'reserved' ? 1 : 0);
      }
      const [stock] = await t.sql('SELECT on_hand, reserved FROM stock WHERE part_number = $1', [
        'PSU-RACE-1',
      ]);
      expect(stock).toEqual({ on_hand: 50, reserved: 50 });
      const [ledger] = await t.sql<{ qty: number }>(
        `SELECT sum(qty)::int AS qty FROM stock_move WHERE part_number = 'PSU-RACE-1' AND type = 'reserve'`,
      );
      expect(ledger?.qty).toBe(50);
    });

    it("refuses a part listed twice, and a client key in the platform's namespace", async () => {
      const twice = await t.request('POST', '/api/v1/tickets', {
        token: t.tokens.engineer,
        body: {
          severity: 'red',
          title: 'x',
          category: 'c',
          siteId: 'st-anne',
          parts: [
            { partNumber: 'MOTOR-12V', qty: 1 },
            { partNumber: 'MOTOR-12V', qty: 1 },
          ],
        },
      });
      expect(twice).toMatchObject({ status: 422, body: { code: 'TICKET_INVALID' } });
      const { id } = await openTicket(t, { severity: 'green' });
      const planted = await t.request('POST', '/api/v1/reservations', {
        token: t.tokens.engineer,
        body: {
          ticketId: id,
          partNumber: 'MOTOR-12V',
          qty: 1,
          idempotencyKey: `ticket:${id}:event:2:MOTOR-12V`,
        },
      });
      expect(planted).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    });

    it('refuses to open with an unknown part, and opens nothing', async () => {
      const before = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM ticket');
      const res = await t.request('POST', '/api/v1/tickets', {
        token: t.tokens.engineer,
        body: {
          severity: 'red',
          title: 'x',
          category: 'c',
          siteId: 'st-anne',
          parts: [{ partNumber: 'NOPE-1', qty: 1 }],
        },
      });
      expect(res).toMatchObject({ status: 404, body: { code: 'PART_NOT_FOUND' } });
      const after = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM ticket');
      expect(after[0]?.n).toBe(before[0]?.n);
    });

    it('diagnose reserves, remote restore releases, with the ticket events the SLA reads', async () => {
      const { id } = await openTicket(t, { severity: 'red' });
      await step(t, id, { type: 'dispatch', engineer: 'Li Wei' });
      await step(t, id, { type: 'arrive' });
      const tk = await step(t, id, {
        type: 'diagnose',
        parts: [{ partNumber: 'MOTOR-12V', qty: 2 }],
      });
      expect(tk.reservations).toEqual([expect.objectContaining({ status: 'reserved' })]);
      const [reserved] = await t.sql('SELECT reserved FROM stock WHERE part_number = $1', [
        'MOTOR-12V',
      ]);
      expect(reserved).toEqual({ reserved: 2 });
      const done = await step(t, id, { type: 'restore', mode: 'remote' });
      expect(done.reservations).toEqual([expect.objectContaining({ status: 'released' })]);
      expect(done.events.map((e) => e.type).slice(-2)).toEqual(['restore', 'part_released']);
      const key = `PART_DELIVERY:${done.reservations[0]?.id ?? ''}`;
      expect(clocks(done)[key]?.[0]).toBe('cancelled');
      const [after] = await t.sql('SELECT reserved FROM stock WHERE part_number = $1', [
        'MOTOR-12V',
      ]);
      expect(after).toEqual({ reserved: 0 });
    });

    it('POST /reservations: 201, then 200 for the same key; deliver and release log ticket events', async () => {
      const { id } = await openTicket(t, { severity: 'red' });
      const body = { ticketId: id, partNumber: 'MOTOR-12V', qty: 1, idempotencyKey: `k-${id}` };
      const first = await t.request<{ id: string; status: string }>(
        'POST',
        '/api/v1/reservations',
        { token: t.tokens.engineer, body },
      );
      const retry = await t.request<{ id: string }>('POST', '/api/v1/reservations', {
        token: t.tokens.engineer,
        body,
      });
      expect(first).toMatchObject({ status: 201, body: { status: 'reserved', tier: 'hospital' } });
      expect(retry).toMatchObject({ status: 200, body: { id: first.body.id } });
      clock.set(T0 + 10 * MINUTE);
      const delivered = await t.request('POST', `/api/v1/reservations/${first.body.id}/deliver`, {
        token: t.tokens.engineer,
      });
      expect(delivered).toMatchObject({ status: 200, body: { status: 'delivered' } });
      const second = await t.request<{ id: string }>('POST', '/api/v1/reservations', {
        token: t.tokens.engineer,
        body: { ...body, idempotencyKey: `k2-${id}` },
      });
      const released = await t.request('POST', `/api/v1/reservations/${second.body.id}/release`, {
        token: t.tokens.engineer,
        body: { reason: 'not needed' },
      });
      expect(released).toMatchObject({
        status: 200,
        body: { status: 'released', releaseReason: 'not needed' },
      });
      const tk = (await t.request<TicketBody>('GET', `/api/v1/tickets/${id}`)).body;
      expect(tk.events.map((e) => e.type)).toEqual([
        'part_reserved',
        'part_delivered',
        'part_reserved',
        'part_released',
      ]);
      expect(clocks(tk)[`PART_DELIVERY:${first.body.id}`]).toEqual(['met', at(15 * MINUTE)]);
      expect(clocks(tk)[`PART_DELIVERY:${second.body.id}`]?.[0]).toBe('cancelled');
    });

    it('a backordered part puts the ticket at risk', async () => {
      await t.sql(
        `INSERT INTO part (part_number, name, class, default_tier, created_by) VALUES ('SCREEN-15', 'screen', 'special', 'regional', 'test')`,
      );
      const { id } = await openTicket(t, { severity: 'yellow' });
      const res = await t.request('POST', '/api/v1/reservations', {
        token: t.tokens.engineer,
        body: { ticketId: id, partNumber: 'SCREEN-15', qty: 1, idempotencyKey: `b-${id}` },
      });
      expect(res).toMatchObject({ status: 201, body: { status: 'backordered' } });
      const tk = (await t.request<TicketBody>('GET', `/api/v1/tickets/${id}`)).body;
      expect(tk.atRisk).toBe(true);
      const listed = await t.request<{ items: { id: string }[] }>(
        'GET',
        '/api/v1/tickets?atRisk=true&limit=200',
      );
      expect(listed.body.items.map((i) => i.id)).toContain(id);
    });

    it('answers 404 for an unknown reservation and refuses new parts on a closed ticket', async () => {
      const unknown = await t.request(
        'POST',
        '/api/v1/reservations/00000000-0000-4000-8000-000000000000/deliver',
        { token: t.tokens.engineer },
      );
      expect(unknown).toMatchObject({ status: 404, body: { code: 'RESERVATION_NOT_FOUND' } });
      const { id } = await openTicket(t, { severity: 'green' });
      await step(t, id, { type: 'cancel' });
      const res = await t.request('POST', '/api/v1/reservations', {
        token: t.tokens.engineer,
        body: { ticketId: id, partNumber: 'MOTOR-12V', qty: 1, idempotencyKey: `c-${id}` },
      });
      expect(res).toMatchObject({ status: 409, body: { code: 'TICKET_TRANSITION_INVALID' } });
    });

    it('200 parallel reservations for 50 units: 50 reserved, 150 backordered, retries book nothing', async () => {
      // issue #3: 50 units in the hospital store, none elsewhere, 200 requests at once.
      await seedHospitalStock(t, 'st-far', 'PSU-300W', 50);
      const ids: string[] = [];
      for (let i = 0; i < 200; i++)
        ids.push((await openTicket(t, { severity: 'red', siteId: 'st-far' })).id);
      const reserveAll = () =>
        Promise.all(
          ids.map((ticketId) =>
            t.request<{ id: string; status: string }>('POST', '/api/v1/reservations', {
              token: t.tokens.engineer,
              body: { ticketId, partNumber: 'PSU-300W', qty: 1, idempotencyKey: `p-${ticketId}` },
            }),
          ),
        );
      const stockRow = async () =>
        (
          await t.sql<{ on_hand: number; reserved: number }>(
            'SELECT on_hand, reserved FROM stock WHERE part_number = $1',
            ['PSU-300W'],
          )
        )[0];

      const first = await reserveAll();
      expect(first.map((a) => a.status).filter((s) => s !== 201)).toEqual([]);
      const outcomes = first.map((a) => a.body.status);
      expect(outcomes.filter((s) => s === 'reserved')).toHaveLength(50);
      expect(outcomes.filter((s) => s === 'backordered')).toHaveLength(150);
      expect(await stockRow()).toEqual({ on_hand: 50, reserved: 50 });

      // Every client retries with its key: the same reservations come back, nothing new is booked.
      const retried = await reserveAll();
      expect(retried.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
      expect(retried.map((a) => a.body.id)).toEqual(first.map((a) => a.body.id));
      expect(await stockRow()).toEqual({ on_hand: 50, reserved: 50 });
      const [ledger] = await t.sql<{ moves: number; qty: number }>(
        `SELECT count(*)::int AS moves, sum(qty)::int AS qty FROM stock_move
          WHERE part_number = 'PSU-300W' AND type = 'reserve'`,
      );
      expect(ledger).toEqual({ moves: 50, qty: 50 });
      const [rows] = await t.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM reservation WHERE part_number = 'PSU-300W'`,
      );
      expect(rows?.n).toBe(200);
    });
  });
});
