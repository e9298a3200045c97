import fc from 'fast-check';
import { businessHoursCalendar } from './calendar';
import type { SlaEvent } from './events';
import { PAUSE_REASONS } from './policy';
import { ISSUE_CODES } from './result';
import type { TicketSlaResult } from './result';
import { complianceByMilestone, remoteResolutionByMonth } from './reports';
import { SEVERITIES, STORE_TIERS, ZONES } from './severity';
import { HOUR, MIN, T0, milestone, run } from './spec-kit';

// Times on a 15-minute grid over four days, so that many events share an instant and the
// tie-break is exercised.
const at = fc.integer({ min: 0, max: 4 * 96 }).map((q) => T0 + q * 15 * MIN);
const visitId = fc.constantFrom('v1', 'v2');
const reservationId = fc.constantFrom('r1', 'r2');
const milestoneCode = fc.constantFrom('RESOLVE', 'DIAGNOSE', 'ARRIVE', 'REPLACE_PARTS', 'RESPOND');

const anyEvent: fc.Arbitrary<SlaEvent> = fc.oneof(
  fc.record({ type: fc.constant('contact_logged' as const), at }),
  fc.record({ type: fc.constant('remote_work_started' as const), at }),
  fc.record({
    type: fc.constant('visit_dispatched' as const),
    at,
    visitId,
    zone: fc.constantFrom(...ZONES),
  }),
  fc.record({ type: fc.constant('visit_arrived' as const), at, visitId }),
  fc.record({
    type: fc.constant('visit_diagnosed' as const),
    at,
    visitId,
    needsParts: fc.boolean(),
  }),
  fc.record({ type: fc.constant('visit_cancelled' as const), at, visitId }),
  fc.record({
    type: fc.constant('part_reserved' as const),
    at,
    reservationId,
    tier: fc.constantFrom(...STORE_TIERS),
  }),
  fc.record({ type: fc.constant('part_delivered' as const), at, reservationId }),
  fc.record({ type: fc.constant('part_released' as const), at, reservationId }),
  fc.record({ type: fc.constant('parts_replaced' as const), at }),
  fc.record({ type: fc.constant('verification_started' as const), at, visitId }),
  fc.record({ type: fc.constant('verification_passed' as const), at, visitId }),
  fc.record({ type: fc.constant('verification_failed' as const), at, visitId }),
  fc.record({
    type: fc.constant('service_restored' as const),
    at,
    how: fc.constantFrom(
      'remote' as const,
      'swap' as const,
      'loaner' as const,
      'onsite_fix' as const,
    ),
  }),
  fc.record({ type: fc.constant('visit_departed' as const), at, visitId }),
  fc.record({ type: fc.constant('report_submitted' as const), at, visitId }),
  fc.record({
    type: fc.constant('severity_changed' as const),
    at,
    to: fc.constantFrom(...SEVERITIES),
  }),
  fc.record(
    {
      type: fc.constant('clock_paused' as const),
      at,
      reason: fc.constantFrom(...PAUSE_REASONS),
      by: fc.constant('nurse'),
      milestone: milestoneCode,
    },
    { requiredKeys: ['type', 'at', 'reason', 'by'] },
  ),
  fc.record({ type: fc.constant('clock_resumed' as const), at, by: fc.constant('engineer') }),
  fc.record({ type: fc.constant('ticket_cancelled' as const), at }),
);

const ticket = fc.record({
  severity: fc.constantFrom(...SEVERITIES),
  zone: fc.constantFrom(...ZONES),
  events: fc.array(anyEvent, { maxLength: 25 }),
});
const END = T0 + 5 * 24 * HOUR;

describe('engine properties', () => {
  it('replaying the same events in any arrival order gives the same result', () => {
    fc.assert(
      fc.property(
        ticket.chain((t) =>
          fc
            .shuffledSubarray(t.events, { minLength: t.events.length, maxLength: t.events.length })
            .map((shuffled) => ({ ...t, shuffled })),
        ),
        fc.integer({ min: 0, max: 5 * 24 * 4 }).map((q) => T0 + q * 15 * MIN),
        ({ severity, zone, events, shuffled }, now) => {
          expect(run(shuffled, { severity, zone, now })).toEqual(
            run(events, { severity, zone, now }),
          );
        },
      ),
    );
  });

  it('a milestone met before its due time is never breached, whatever else happens', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEVERITIES),
        fc.integer({ min: 0, max: 15 * MIN }), // contract: acknowledge 15 min
        fc.integer({ min: 0, max: 4 * HOUR }), // red resolve 4 h, the shortest
        fc.array(anyEvent, { maxLength: 20 }),
        (severity, ackAfter, restoreAfter, noise) => {
          const events: SlaEvent[] = [
            ...noise,
            { type: 'contact_logged', at: T0 + ackAfter },
            { type: 'service_restored', at: T0 + restoreAfter, how: 'remote' },
          ];
          const result = run(events, { severity, now: END });
          for (const key of ['ACKNOWLEDGE', 'RESOLVE']) {
            expect(milestone(result, key).state).not.toBe('breached');
          }
          if (noise.length === 0) {
            expect(milestone(result, 'ACKNOWLEDGE')).toMatchObject({
              state: 'met',
              metAt: T0 + ackAfter,
            });
          }
        },
      ),
    );
  });

  it('adding a pause never makes a deadline earlier', () => {
    fc.assert(
      fc.property(
        ticket,
        at,
        fc.constantFrom(...PAUSE_REASONS),
        fc.option(fc.integer({ min: 1, max: 40 * 4 }).map((q) => q * 15 * MIN)),
        ({ severity, zone, events: log }, pauseAt, reason, resumeAfter) => {
          const extra: SlaEvent[] = [{ type: 'clock_paused', at: pauseAt, reason, by: 'nurse' }];
          // An added resume could end a pause already in the log, which rightly brings a due
          // back; so a pause with its resume goes into a log without pauses of its own.
          let events = log;
          if (resumeAfter !== null) {
            extra.push({ type: 'clock_resumed', at: pauseAt + resumeAfter, by: 'nurse' });
            events = log.filter((e) => e.type !== 'clock_paused');
          }
          const before = run(events, { severity, zone, now: END });
          const after = run([...events, ...extra], { severity, zone, now: END });
          for (const m of before.milestones) {
            const twin = after.milestones.find((a) => a.key === m.key);
            if (twin?.dueAt == null || m.dueAt === null || twin.startedAt !== m.startedAt) continue;
            expect(twin.dueAt).toBeGreaterThanOrEqual(m.dueAt);
          }
        },
      ),
    );
  });

  it('a breach, once recorded, survives any later event', () => {
    fc.assert(
      fc.property(
        ticket,
        fc.array(anyEvent, { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: 4 * 96 }),
        ({ severity, zone, events }, later, cutQuarters) => {
          const cut = T0 + cutQuarters * 15 * MIN;
          const early = events.filter((e) => e.at <= cut);
          const first = run(early, { severity, zone, now: cut });
          // later events happen strictly after the instant the first result describes
          const shifted = later.map((e) => ({ ...e, at: cut + 1 + (e.at - T0) }));
          const second = run([...early, ...shifted], { severity, zone, now: END + 5 * 24 * HOUR });
          for (const m of first.milestones.filter((x) => x.state === 'breached')) {
            expect(milestone(second, m.key)).toMatchObject({
              state: 'breached',
              breachedAt: m.breachedAt,
            });
          }
        },
      ),
    );
  });

  it('compliance and remote-resolution rates are null or within [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(ticket, { maxLength: 6 }), (tickets) => {
        const results: TicketSlaResult[] = tickets.map((t) => run(t.events, { ...t, now: END }));
        const rates = [
          ...complianceByMilestone(results).map((row) => row.rate),
          ...remoteResolutionByMonth(results, 'Asia/Shanghai').map((row) => row.rate),
        ];
        for (const rate of rates) {
          if (rate !== null) {
            expect(rate).toBeGreaterThanOrEqual(0);
            expect(rate).toBeLessThanOrEqual(1);
          }
        }
        expect(rates.some((rate) => Number.isNaN(rate))).toBe(false);
      }),
    );
  });

  it('holds order-independence and pause monotonicity on a Berlin business calendar over DST', () => {
    const berlin = businessHoursCalendar({
      timeZone: 'Europe/Berlin',
      days: [1, 2, 3, 4, 5],
      open: '08:00',
      close: '18:00',
    });
    const friday = Date.UTC(2026, 2, 27, 14, 0); // Friday 15:00 CET; summer time from Sunday
    const shift = (e: SlaEvent): SlaEvent => ({ ...e, at: e.at - T0 + friday });
    fc.assert(
      fc.property(ticket, at, ({ severity, zone, events }, pauseAt) => {
        const log = events.map(shift).filter((e) => e.type !== 'clock_paused');
        const options = {
          severity,
          zone,
          createdAt: friday,
          calendar: berlin,
          now: friday + 5 * 24 * HOUR,
        };
        const result = run(log, options);
        expect(run([...log].reverse(), options)).toEqual(result);
        const paused = run(
          [
            ...log,
            { type: 'clock_paused', at: pauseAt - T0 + friday, reason: 'or_in_use', by: 'nurse' },
            { type: 'clock_resumed', at: pauseAt - T0 + friday + 3 * HOUR, by: 'nurse' },
          ],
          options,
        );
        for (const m of result.milestones) {
          const twin = paused.milestones.find((p) => p.key === m.key);
          if (twin?.dueAt == null || m.dueAt === null || twin.startedAt !== m.startedAt) continue;
          expect(twin.dueAt).toBeGreaterThanOrEqual(m.dueAt);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('never throws on arbitrary logs, reports only known issue codes, never lowers a due', () => {
    fc.assert(
      fc.property(ticket, ({ severity, zone, events }) => {
        const result = run(events, { severity, zone, now: END });
        expect(result.milestones.length).toBeGreaterThan(0);
        for (const issue of result.issues) expect(ISSUE_CODES).toContain(issue.code);
        for (const m of result.milestones) {
          if (m.dueAt !== null && m.originalDueAt !== null) {
            expect(m.dueAt).toBeGreaterThanOrEqual(m.originalDueAt);
          }
        }
      }),
    );
  });
});
