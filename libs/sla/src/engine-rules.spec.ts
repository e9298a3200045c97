import { businessHoursCalendar } from './calendar';
import type { SlaEvent } from './events';
import { HOUR, MIN, T0, issueCodes, milestone, run } from './spec-kit';

describe('severity change (contract: red clocks count from the upgrade)', () => {
  const upgradeAt = T0 + 1 * HOUR;
  const upgraded = run([{ type: 'severity_changed', at: upgradeAt, to: 'red' }], {
    severity: 'yellow',
    now: upgradeAt + 10 * MIN,
  });

  it.each([
    ['RESPOND', 30 * MIN],
    ['RESOLVE', 4 * HOUR],
  ])('supersedes the yellow %s and starts a red one at the upgrade', (code, redTarget) => {
    expect(milestone(upgraded, code)).toMatchObject({
      state: 'superseded',
      severity: 'yellow',
      endedAt: upgradeAt,
    });
    expect(milestone(upgraded, `${code}#2`)).toMatchObject({
      state: 'running',
      severity: 'red',
      startedAt: upgradeAt,
      dueAt: upgradeAt + redTarget,
      targetBasis: 'severity:red',
    });
  });

  it('leaves clocks without a severity target alone', () => {
    expect(milestone(upgraded, 'ACKNOWLEDGE')).toMatchObject({ state: 'breached', cycle: 1 });
    expect(upgraded.milestones.filter((m) => m.code === 'ACKNOWLEDGE')).toHaveLength(1);
  });

  it('does not restart a milestone already met', () => {
    const result = run(
      [
        { type: 'remote_work_started', at: T0 + 5 * MIN },
        { type: 'severity_changed', at: upgradeAt, to: 'red' },
      ],
      { severity: 'yellow', now: upgradeAt },
    );
    expect(milestone(result, 'RESPOND').state).toBe('met');
    expect(result.milestones.map((m) => m.key)).not.toContain('RESPOND#2');
    expect(milestone(result, 'RESOLVE#2').startedAt).toBe(upgradeAt);
  });

  it('keeps a breach recorded before the change as a breach', () => {
    const result = run([{ type: 'severity_changed', at: T0 + 3 * HOUR, to: 'red' }], {
      severity: 'yellow',
      now: T0 + 3 * HOUR,
    });
    // yellow respond 2 h: breached at T0 + 2 h, before the upgrade at 3 h
    expect(milestone(result, 'RESPOND')).toMatchObject({
      state: 'breached',
      breachedAt: T0 + 2 * HOUR,
      endedAt: T0 + 3 * HOUR,
    });
  });

  it('on a downgrade keeps the original start, so it buys no time', () => {
    const result = run([{ type: 'severity_changed', at: T0 + 1 * HOUR, to: 'green' }], {
      severity: 'red',
      now: T0 + 1 * HOUR,
    });
    expect(milestone(result, 'RESOLVE#2')).toMatchObject({
      startedAt: T0,
      dueAt: T0 + 48 * HOUR,
      severity: 'green',
    });
    expect(milestone(result, 'RESPOND')).toMatchObject({ state: 'breached' }); // red 30 min
  });

  it('reports a change to the current level as an issue', () => {
    const result = run([{ type: 'severity_changed', at: T0 + 1 * MIN, to: 'yellow' }], {
      severity: 'yellow',
      now: T0 + 2 * MIN,
    });
    expect(issueCodes(result)).toEqual(['SEVERITY_UNCHANGED']);
    expect(milestone(result, 'RESOLVE').state).toBe('running');
  });
});

describe('pauses (contract: only allowed reasons; never shorten a deadline)', () => {
  const pauseAt = T0 + 1 * HOUR;
  const paused = (
    reason: string,
    extra: Partial<Extract<SlaEvent, { type: 'clock_paused' }>> = {},
  ): SlaEvent =>
    ({ type: 'clock_paused', at: pauseAt, reason, by: 'head nurse', ...extra }) as SlaEvent;
  const resumed: SlaEvent = { type: 'clock_resumed', at: pauseAt + 3 * HOUR, by: 'engineer' };

  it('moves RESOLVE by the paused time and keeps the original due', () => {
    const result = run([paused('or_in_use'), resumed], {
      severity: 'red',
      now: pauseAt + 4 * HOUR,
    });
    expect(milestone(result, 'RESOLVE')).toMatchObject({
      state: 'running',
      originalDueAt: T0 + 4 * HOUR,
      dueAt: T0 + 7 * HOUR,
      pausedMs: 3 * HOUR,
      pauses: [{ from: pauseAt, to: pauseAt + 3 * HOUR, reason: 'or_in_use', by: 'head nurse' }],
    });
  });

  it('shows an open pause as paused, with the due projected to now', () => {
    const result = run([paused('no_site_access')], { severity: 'red', now: pauseAt + 5 * HOUR });
    expect(milestone(result, 'RESOLVE')).toMatchObject({
      state: 'paused',
      dueAt: T0 + 9 * HOUR,
      breachedAt: null,
    });
  });

  it.each([
    ['awaiting_part', 'RESOLVE'], // contract: waiting for a part does not pause Resolve
    ['or_in_use', 'ACKNOWLEDGE'],
    ['lunch break', 'RESOLVE'],
  ])('rejects pausing for %s on %s with a typed issue', (reason, code) => {
    const result = run([paused(reason, { milestone: code } as never)], {
      severity: 'red',
      now: T0 + 2 * HOUR,
    });
    expect(issueCodes(result)).toEqual(['PAUSE_REASON_NOT_ALLOWED']);
    expect(milestone(result, code).pausedMs).toBe(0);
  });

  it('applies an untargeted pause only to the clocks that allow its reason', () => {
    const result = run([paused('or_in_use')], { severity: 'yellow', now: pauseAt + 10 * MIN });
    expect(milestone(result, 'RESOLVE').state).toBe('paused');
    expect(milestone(result, 'RESPOND').state).toBe('running');
    expect(issueCodes(result)).toEqual([]);
  });

  it('rejects an untargeted pause no running clock allows', () => {
    const result = run([paused('awaiting_part')], { severity: 'red', now: pauseAt });
    expect(issueCodes(result)).toEqual(['PAUSE_REASON_NOT_ALLOWED']);
    expect(result.milestones.every((m) => m.state !== 'paused')).toBe(true);
  });

  it('pauses one visit only when scoped to it', () => {
    const result = run(
      [
        { type: 'visit_dispatched', at: T0, visitId: 'v1' },
        { type: 'visit_dispatched', at: T0, visitId: 'v2' },
        paused('customer_request', { milestone: 'ARRIVE', scopeId: 'v2' }),
      ],
      { now: pauseAt + 1 * HOUR },
    );
    expect(milestone(result, 'ARRIVE:v1').state).toBe('running');
    expect(milestone(result, 'ARRIVE:v2').state).toBe('paused');
  });

  it.each([
    ['a resume with nothing paused', [resumed], 'NOTHING_TO_RESUME'],
    [
      'a second pause',
      [paused('or_in_use', { milestone: 'RESOLVE' })].flatMap((e) => [e, { ...e, by: 'it' }]),
      'ALREADY_PAUSED',
    ],
    [
      'a pause of a milestone not running',
      [paused('or_in_use', { milestone: 'DIAGNOSE' })],
      'NOTHING_TO_PAUSE',
    ],
  ])('reports %s', (_name, events, code) => {
    const result = run(events, { severity: 'red', now: T0 + 10 * HOUR });
    expect(issueCodes(result)).toContain(code);
  });

  it('cannot save a clock that breached before the pause', () => {
    const result = run([{ ...paused('or_in_use'), at: T0 + 5 * HOUR }], {
      severity: 'red',
      now: T0 + 6 * HOUR,
    });
    expect(milestone(result, 'RESOLVE')).toMatchObject({
      state: 'breached',
      breachedAt: T0 + 4 * HOUR,
    });
  });
});

describe('breaches are never cleared (contract)', () => {
  it('a late restore records metAt and lateness but stays breached', () => {
    const result = run([{ type: 'service_restored', at: T0 + 5 * HOUR, how: 'swap' }], {
      severity: 'red',
      now: T0 + 6 * HOUR,
    });
    expect(milestone(result, 'RESOLVE')).toMatchObject({
      state: 'breached',
      breachedAt: T0 + 4 * HOUR,
      metAt: T0 + 5 * HOUR,
      latenessMs: 1 * HOUR,
    });
  });

  it('a cancellation after a breach keeps the breach', () => {
    const result = run([{ type: 'ticket_cancelled', at: T0 + 1 * HOUR }], {
      severity: 'red',
      now: T0 + 2 * HOUR,
    });
    expect(milestone(result, 'RESPOND')).toMatchObject({ state: 'breached', endedAt: T0 + HOUR });
    expect(milestone(result, 'RESOLVE')).toMatchObject({ state: 'cancelled', endedAt: T0 + HOUR });
  });
});

describe('ticket cancelled and closed', () => {
  it('cancels running and pending milestones and ignores later events', () => {
    const result = run(
      [
        { type: 'visit_dispatched', at: T0 + 5 * MIN, visitId: 'v1' },
        { type: 'ticket_cancelled', at: T0 + 10 * MIN },
        { type: 'visit_arrived', at: T0 + 20 * MIN, visitId: 'v1' },
      ],
      { now: T0 + 30 * MIN },
    );
    expect(milestone(result, 'ARRIVE:v1').state).toBe('cancelled');
    expect(milestone(result, 'REPORT:v1').state).toBe('cancelled');
    expect(milestone(result, 'RESPOND').state).toBe('met');
    expect(issueCodes(result)).toEqual(['EVENT_AFTER_CANCEL']);
    expect(result.nextChangeAt).toBeNull();
  });

  it('closing does not discharge running milestones', () => {
    const result = run([{ type: 'ticket_closed', at: T0 + 1 * MIN }], { now: T0 + 1 * MIN });
    expect(issueCodes(result)).toEqual(['CLOSED_WITH_OPEN_MILESTONES']);
    expect(milestone(result, 'RESOLVE').state).toBe('running');
    expect(result.closedAt).toBe(T0 + 1 * MIN);
  });
});

describe('visits and reservations', () => {
  it('keeps one instance per visit and per reservation', () => {
    const result = run(
      [
        { type: 'visit_dispatched', at: T0, visitId: 'v1', zone: 'city' },
        { type: 'visit_dispatched', at: T0 + HOUR, visitId: 'v2', zone: 'suburb' },
        { type: 'part_reserved', at: T0, reservationId: 'r1', tier: 'regional' },
        { type: 'part_reserved', at: T0, reservationId: 'r2', tier: 'national' },
      ],
      { now: T0 + HOUR },
    );
    expect(milestone(result, 'ARRIVE:v1').dueAt).toBe(T0 + 2 * HOUR);
    expect(milestone(result, 'ARRIVE:v2').dueAt).toBe(T0 + 5 * HOUR);
    expect(milestone(result, 'PART_DELIVERY:r1').dueAt).toBe(T0 + 2 * HOUR);
    expect(milestone(result, 'PART_DELIVERY:r2').dueAt).toBe(T0 + 48 * HOUR);
    expect(result.visits.map((v) => v.zone)).toEqual(['city', 'suburb']);
  });

  it('cancels a released reservation and a cancelled visit', () => {
    const result = run(
      [
        { type: 'visit_dispatched', at: T0, visitId: 'v1' },
        { type: 'part_reserved', at: T0, reservationId: 'r1', tier: 'regional' },
        { type: 'part_released', at: T0 + 10 * MIN, reservationId: 'r1' },
        { type: 'visit_cancelled', at: T0 + 10 * MIN, visitId: 'v1' },
      ],
      { now: T0 + 3 * HOUR },
    );
    expect(milestone(result, 'PART_DELIVERY:r1').state).toBe('cancelled');
    expect(milestone(result, 'ARRIVE:v1').state).toBe('cancelled');
  });

  it('uses the default when an agreed remote arrival is not after dispatch', () => {
    const result = run(
      [{ type: 'visit_dispatched', at: T0 + HOUR, visitId: 'v1', agreedArrivalAt: T0 }],
      { zone: 'remote', now: T0 + HOUR },
    );
    expect(milestone(result, 'ARRIVE:v1').dueAt).toBe(T0 + 25 * HOUR);
    expect(issueCodes(result)).toEqual(['AGREED_ARRIVAL_INVALID']);
  });

  it('ignores an agreed arrival for a city site', () => {
    const result = run(
      [{ type: 'visit_dispatched', at: T0, visitId: 'v1', agreedArrivalAt: T0 + 30 * HOUR }],
      { zone: 'city', now: T0 },
    );
    expect(milestone(result, 'ARRIVE:v1').dueAt).toBe(T0 + 2 * HOUR);
    expect(issueCodes(result)).toEqual(['AGREED_ARRIVAL_IGNORED']);
  });

  it('starts REPLACE_PARTS only for a diagnosis that needs parts, and once per cycle', () => {
    const diagnosed = (at: number, needsParts: boolean): SlaEvent => ({
      type: 'visit_diagnosed',
      at,
      visitId: 'v1',
      needsParts,
    });
    const base: SlaEvent[] = [
      { type: 'visit_dispatched', at: T0, visitId: 'v1' },
      { type: 'visit_arrived', at: T0 + HOUR, visitId: 'v1' },
    ];
    const none = run([...base, diagnosed(T0 + 90 * MIN, false)], { now: T0 + 2 * HOUR });
    expect(milestone(none, 'REPLACE_PARTS').state).toBe('pending');
    const second = run([...base, diagnosed(T0 + 90 * MIN, true), diagnosed(T0 + 100 * MIN, true)], {
      now: T0 + 2 * HOUR,
    });
    expect(milestone(second, 'REPLACE_PARTS').startedAt).toBe(T0 + 90 * MIN);
  });
});

describe('invalid sequences give typed issues, never throws', () => {
  it.each<[string, SlaEvent[], string]>([
    [
      'arrival of an unknown visit',
      [{ type: 'visit_arrived', at: T0, visitId: 'nope' }],
      'UNKNOWN_VISIT',
    ],
    [
      'a second dispatch of one visit',
      [
        { type: 'visit_dispatched', at: T0, visitId: 'v1' },
        { type: 'visit_dispatched', at: T0 + 1, visitId: 'v1' },
      ],
      'VISIT_ALREADY_DISPATCHED',
    ],
    [
      'a diagnosis before arrival',
      [
        { type: 'visit_dispatched', at: T0, visitId: 'v1' },
        { type: 'visit_diagnosed', at: T0 + 1, visitId: 'v1', needsParts: false },
      ],
      'STOP_BEFORE_START',
    ],
    [
      'a second arrival',
      [
        { type: 'visit_dispatched', at: T0, visitId: 'v1' },
        { type: 'visit_arrived', at: T0 + 1, visitId: 'v1' },
        { type: 'visit_arrived', at: T0 + 2, visitId: 'v1' },
      ],
      'DUPLICATE_LIFECYCLE_EVENT',
    ],
    [
      'a delivery never reserved',
      [{ type: 'part_delivered', at: T0, reservationId: 'r9' }],
      'UNKNOWN_RESERVATION',
    ],
    [
      'an event before the ticket',
      [{ type: 'contact_logged', at: T0 - 1 }],
      'EVENT_BEFORE_CREATION',
    ],
    ['an event after now', [{ type: 'contact_logged', at: T0 + 100 * HOUR }], 'EVENT_IN_FUTURE'],
    [
      'the same event twice',
      [
        { type: 'contact_logged', at: T0 + 1 },
        { type: 'contact_logged', at: T0 + 1 },
      ],
      'EVENT_DUPLICATE',
    ],
    ['a NaN time', [{ type: 'contact_logged', at: Number.NaN }], 'EVENT_INVALID'],
    ['an unknown type', [{ type: 'coffee_break', at: T0 } as unknown as SlaEvent], 'EVENT_INVALID'],
    [
      'a pause without who',
      [{ type: 'clock_paused', at: T0, reason: 'or_in_use' } as unknown as SlaEvent],
      'EVENT_INVALID',
    ],
    [
      'a pause of an unknown milestone',
      [
        {
          type: 'clock_paused',
          at: T0,
          reason: 'or_in_use',
          by: 'x',
          milestone: 'LUNCH',
        } as unknown as SlaEvent,
      ],
      'UNKNOWN_MILESTONE',
    ],
  ])('%s', (_name, events, code) => {
    const result = run(events, { now: T0 + 10 * HOUR });
    expect(issueCodes(result)).toEqual([code]);
  });

  it('an acknowledge by a bad event does not count', () => {
    const result = run([{ type: 'contact_logged', at: Number.NaN }], { now: T0 + 5 * MIN });
    expect(milestone(result, 'ACKNOWLEDGE').state).toBe('running');
  });
});

describe('warning points (50 % and 75 % of the target)', () => {
  // contract: acknowledge 15 min: warnings at 7 min 30 s and 11 min 15 s
  it.each([
    [7.5 * MIN - 1, [], T0 + 7.5 * MIN],
    [7.5 * MIN, [0.5], T0 + 11.25 * MIN],
    [11.25 * MIN, [0.5, 0.75], null],
  ])('at T0 + %p ms the acknowledge clock has reached %p', (after, reached, next) => {
    const m = milestone(run([], { severity: 'green', now: T0 + after }), 'ACKNOWLEDGE');
    expect(m.warningsReached).toEqual(reached);
    expect(m.nextWarningAt).toBe(next);
  });

  it('moves warnings by paused time', () => {
    const result = run(
      [
        { type: 'clock_paused', at: T0 + 1 * HOUR, reason: 'or_in_use', by: 'nurse' },
        { type: 'clock_resumed', at: T0 + 2 * HOUR, by: 'nurse' },
      ],
      { severity: 'red', now: T0 + 2 * HOUR },
    );
    // red resolve 4 h: 50 % at 2 h of counted time, one hour later for the pause
    expect(milestone(result, 'RESOLVE').nextWarningAt).toBe(T0 + 3 * HOUR);
  });
});

describe('nextChangeAt (when a scheduler should look again)', () => {
  it.each<[string, SlaEvent[], number, number | null]>([
    ['a new red ticket: acknowledge 50 % warning', [], T0, T0 + 7.5 * MIN],
    [
      'past the acknowledge warnings: its breach, 1 ms after due',
      [{ type: 'remote_work_started', at: T0 + MIN }],
      T0 + 12 * MIN,
      T0 + 15 * MIN + 1,
    ],
    [
      'acknowledged: respond 50 % (red 30 min)',
      [{ type: 'contact_logged', at: T0 + MIN }],
      T0 + MIN,
      T0 + 15 * MIN,
    ],
    [
      'responded: resolve 50 % (red 4 h)',
      [
        { type: 'contact_logged', at: T0 + MIN },
        { type: 'remote_work_started', at: T0 + 2 * MIN },
      ],
      T0 + 2 * MIN,
      T0 + 2 * HOUR,
    ],
    [
      'restored: nothing left to watch',
      [
        { type: 'contact_logged', at: T0 + MIN },
        { type: 'remote_work_started', at: T0 + 2 * MIN },
        { type: 'service_restored', at: T0 + 3 * MIN, how: 'remote' },
      ],
      T0 + 3 * MIN,
      null,
    ],
    [
      'paused clocks do not schedule anything',
      [
        { type: 'contact_logged', at: T0 + MIN },
        { type: 'remote_work_started', at: T0 + 2 * MIN },
        { type: 'clock_paused', at: T0 + 3 * MIN, reason: 'or_in_use', by: 'nurse' },
      ],
      T0 + 3 * MIN,
      null,
    ],
  ])('%s', (_name, events, now, expected) => {
    expect(run(events, { severity: 'red', now }).nextChangeAt).toBe(expected);
  });

  it('follows the calendar: Friday 17:50 Shanghai acknowledges by Monday 08:05', () => {
    const calendar = businessHoursCalendar({
      timeZone: 'Asia/Shanghai',
      days: [1, 2, 3, 4, 5],
      open: '08:00',
      close: '18:00',
    });
    const friday1750 = Date.UTC(2026, 2, 6, 9, 50); // 17:50 in Shanghai
    const result = run([], { createdAt: friday1750, now: friday1750, calendar });
    const ack = milestone(result, 'ACKNOWLEDGE');
    expect(ack.dueAt).toBe(Date.UTC(2026, 2, 9, 0, 5)); // Monday 08:05 in Shanghai
    // 50 % = 7.5 min: 17:57:30 on Friday
    expect(result.nextChangeAt).toBe(friday1750 + 7.5 * MIN);
  });
});
