import {
  allowedEvents,
  applyEvent,
  foldTicket,
  initialSeverity,
  initialTicketState,
  logToSlaEvents,
  planEvent,
} from './ticket-events.rules';
import type { EventInput, LoggedEvent, TicketState } from './ticket-events.rules';
import { TicketError } from './ticket.errors';

const T0 = 1_000_000;
const ctx = { now: T0 + 10_000_000, siteZone: 'city' as const };

/** Plans and folds each step like the service does; returns the state. */
function play(
  steps: readonly EventInput[],
  severity: 'red' | 'yellow' | 'green' = 'red',
): TicketState {
  let state = initialTicketState(T0, severity);
  let at = T0;
  for (const input of steps) {
    at += 1_000;
    const planned = planEvent(state, { at, ...input }, ctx);
    state = applyEvent(state, { ...planned, actor: 'eng' });
  }
  return state;
}

function refusal(fn: () => unknown): { code: string; details: unknown } {
  try {
    fn();
  } catch (error) {
    if (error instanceof TicketError) return { code: error.code, details: error.details };
    throw error;
  }
  throw new Error('expected a refusal');
}

const onSite: EventInput[] = [
  { type: 'acknowledge' },
  { type: 'dispatch', engineer: 'Li' },
  { type: 'arrive' },
];

describe('ticket status machine', () => {
  it.each<[string, EventInput[], string, string[]]>([
    [
      'new',
      [],
      'new',
      ['acknowledge', 'engage_remote', 'dispatch', 'hold', 'upgrade', 'cancel', 'note'],
    ],
    [
      'acknowledged',
      [{ type: 'acknowledge' }],
      'acknowledged',
      ['engage_remote', 'dispatch', 'hold', 'upgrade', 'cancel', 'note'],
    ],
    [
      'engaged remotely',
      [{ type: 'engage_remote' }],
      'in_progress',
      ['acknowledge', 'engage_remote', 'dispatch', 'restore', 'hold', 'upgrade', 'cancel', 'note'],
    ],
    [
      'dispatched',
      [{ type: 'dispatch', engineer: 'Li' }],
      'in_progress',
      [
        'acknowledge',
        'engage_remote',
        'arrive',
        'cancel_visit',
        'restore',
        'hold',
        'upgrade',
        'cancel',
        'note',
      ],
    ],
    [
      'diagnosed with parts',
      [...onSite, { type: 'diagnose', parts: [{ partNumber: 'PSU', qty: 1 }] }],
      'in_progress',
      [
        'engage_remote',
        'diagnose',
        'parts_installed',
        'depart',
        'cancel_visit',
        'restore',
        'hold',
        'upgrade',
        'cancel',
        'note',
      ],
    ],
    [
      'verifying',
      [...onSite, { type: 'diagnose' }, { type: 'verify_start' }],
      'in_progress',
      [
        'engage_remote',
        'verify_pass',
        'verify_fail',
        'restore',
        'hold',
        'upgrade',
        'cancel',
        'note',
      ],
    ],
    [
      'restored, engineer still on site',
      [...onSite, { type: 'restore', mode: 'onsite' }],
      'restored',
      [
        'diagnose',
        'repair_done',
        'depart',
        'cancel_visit',
        'resolve',
        'hold',
        'upgrade',
        'cancel',
        'note',
      ],
    ],
    [
      'restored, report written',
      [
        ...onSite,
        { type: 'restore', mode: 'swap' },
        { type: 'depart' },
        { type: 'report', text: 'r' },
      ],
      'restored',
      ['dispatch', 'resolve', 'close', 'hold', 'upgrade', 'cancel', 'note'],
    ],
    [
      'on hold',
      [{ type: 'hold', reason: 'or_in_use' }],
      'on_hold',
      ['acknowledge', 'resume', 'upgrade', 'cancel', 'note'],
    ],
    [
      'resumed',
      [{ type: 'acknowledge' }, { type: 'hold', reason: 'or_in_use' }, { type: 'resume' }],
      'acknowledged',
      ['engage_remote', 'dispatch', 'hold', 'upgrade', 'cancel', 'note'],
    ],
    ['cancelled', [{ type: 'cancel' }], 'cancelled', ['note']],
    [
      'closed',
      [
        { type: 'engage_remote' },
        { type: 'restore', mode: 'remote' },
        { type: 'resolve' },
        { type: 'close' },
      ],
      'closed',
      ['reopen', 'note'],
    ],
    [
      'reopened',
      [
        { type: 'engage_remote' },
        { type: 'restore', mode: 'remote' },
        { type: 'close' },
        { type: 'reopen' },
      ],
      'in_progress',
      ['acknowledge', 'engage_remote', 'dispatch', 'restore', 'hold', 'upgrade', 'cancel', 'note'],
    ],
  ])('%s', (_label, steps, status, allowed) => {
    const state = play(steps, 'yellow');
    expect(state.status).toBe(status);
    expect(allowedEvents(state)).toEqual(allowed);
  });

  it.each<[string, EventInput[], EventInput]>([
    ['arrive before a dispatch', [], { type: 'arrive' }],
    [
      'a second visit while one is active',
      [{ type: 'dispatch', engineer: 'Li' }],
      { type: 'dispatch', engineer: 'Wu' },
    ],
    [
      'restore before anyone engaged',
      [{ type: 'acknowledge' }],
      { type: 'restore', mode: 'remote' },
    ],
    [
      'an on-site restore nobody arrived for',
      [{ type: 'dispatch', engineer: 'Li' }],
      { type: 'restore', mode: 'onsite' },
    ],
    [
      'the stress test before the parts are in',
      [...onSite, { type: 'diagnose', parts: [{ partNumber: 'P1', qty: 1 }] }],
      { type: 'verify_start' },
    ],
    [
      'close while the engineer is on site',
      [...onSite, { type: 'restore', mode: 'onsite' }],
      { type: 'close' },
    ],
    [
      'close before the report',
      [...onSite, { type: 'restore', mode: 'onsite' }, { type: 'depart' }],
      { type: 'close' },
    ],
    ['a downgrade', [], { type: 'upgrade', severity: 'green' }],
    ['resume without hold', [], { type: 'resume' }],
    ['acknowledge twice', [{ type: 'acknowledge' }], { type: 'acknowledge' }],
    ['anything but a note after cancel', [{ type: 'cancel' }], { type: 'reopen' }],
  ])('refuses %s with TICKET_TRANSITION_INVALID and the allowed list', (_label, steps, input) => {
    const state = play(steps, 'yellow');
    expect(refusal(() => planEvent(state, input, ctx))).toEqual({
      code: 'TICKET_TRANSITION_INVALID',
      details: { status: state.status, allowed: allowedEvents(state) },
    });
  });

  it.each<[string, EventInput[], EventInput, string]>([
    ['a missing required field', [], { type: 'note' }, 'VALIDATION_FAILED'],
    ['a field the type does not take', onSite, { type: 'depart', text: 'x' }, 'VALIDATION_FAILED'],
    [
      'a part listed twice',
      onSite,
      {
        type: 'diagnose',
        parts: [
          { partNumber: 'A', qty: 1 },
          { partNumber: 'A', qty: 2 },
        ],
      },
      'VALIDATION_FAILED',
    ],
    ['an unknown visit', onSite, { type: 'depart', visitId: 'v9' }, 'TICKET_EVENT_INVALID'],
    [
      'an agreed arrival outside a remote site',
      [],
      { type: 'dispatch', engineer: 'Li', agreedArrivalAt: T0 + 9e6 },
      'TICKET_EVENT_INVALID',
    ],
    ['a future at', [], { type: 'acknowledge', at: ctx.now + 1 }, 'TICKET_EVENT_INVALID'],
    ['an at before creation', [], { type: 'acknowledge', at: T0 - 1 }, 'TICKET_EVENT_INVALID'],
    ['an at before the last event', onSite, { type: 'depart', at: T0 + 1 }, 'TICKET_EVENT_INVALID'],
  ])('refuses %s', (_label, steps, input, code) => {
    expect(refusal(() => planEvent(play(steps), input, ctx)).code).toBe(code);
  });

  it('defaults `at` to now, freezes the zone and numbers visits', () => {
    const state = play([{ type: 'dispatch', engineer: 'Li' }, { type: 'cancel_visit' }]);
    const planned = planEvent(
      state,
      { type: 'dispatch', engineer: 'Wu', agreedArrivalAt: ctx.now + 60_000 },
      { ...ctx, siteZone: 'remote' },
    );
    expect(planned).toEqual({
      type: 'dispatch',
      at: ctx.now,
      payload: {
        visitId: 'v2',
        engineer: 'Wu',
        zone: 'remote',
        agreedArrivalAt: new Date(ctx.now + 60_000).toISOString(),
      },
    });
  });

  it('addresses visit events to the latest visit not cancelled by default', () => {
    const state = play([
      { type: 'dispatch', engineer: 'Li' },
      { type: 'cancel_visit' },
      { type: 'dispatch', engineer: 'Wu' },
    ]);
    expect(planEvent(state, { type: 'arrive' }, ctx).payload).toEqual({ visitId: 'v2' });
    expect(refusal(() => planEvent(state, { type: 'arrive', visitId: 'v1' }, ctx)).code).toBe(
      'TICKET_TRANSITION_INVALID',
    );
  });
});

describe('mapping to libs/sla events', () => {
  const ev = (type: string, at: number, payload: Record<string, unknown> = {}): LoggedEvent => ({
    type,
    at,
    actor: 'eng',
    payload,
  });

  it.each<[string, Record<string, unknown>, unknown[]]>([
    ['acknowledge', {}, [{ type: 'contact_logged', at: 5, by: 'eng' }]],
    ['engage_remote', {}, [{ type: 'remote_work_started', at: 5, by: 'eng' }]],
    [
      'dispatch',
      { visitId: 'v1', zone: 'suburb' },
      [{ type: 'visit_dispatched', at: 5, visitId: 'v1', zone: 'suburb', by: 'eng' }],
    ],
    ['arrive', { visitId: 'v1' }, [{ type: 'visit_arrived', at: 5, visitId: 'v1' }]],
    [
      'diagnose',
      { visitId: 'v1', parts: [] },
      [{ type: 'visit_diagnosed', at: 5, visitId: 'v1', needsParts: false }],
    ],
    [
      'diagnose',
      { visitId: 'v1', parts: [{ partNumber: 'P', qty: 1 }] },
      [{ type: 'visit_diagnosed', at: 5, visitId: 'v1', needsParts: true }],
    ],
    ['parts_installed', { visitId: 'v1' }, [{ type: 'parts_replaced', at: 5, visitId: 'v1' }]],
    ['repair_done', { visitId: 'v1' }, []],
    ['verify_start', { visitId: 'v1' }, [{ type: 'verification_started', at: 5, visitId: 'v1' }]],
    ['verify_pass', { visitId: 'v1' }, [{ type: 'verification_passed', at: 5, visitId: 'v1' }]],
    ['verify_fail', { visitId: 'v1' }, [{ type: 'verification_failed', at: 5, visitId: 'v1' }]],
    ['depart', { visitId: 'v1' }, [{ type: 'visit_departed', at: 5, visitId: 'v1' }]],
    ['report', { visitId: 'v1', text: 'x' }, [{ type: 'report_submitted', at: 5, visitId: 'v1' }]],
    ['cancel_visit', { visitId: 'v1' }, [{ type: 'visit_cancelled', at: 5, visitId: 'v1' }]],
    ['restore', { mode: 'onsite' }, [{ type: 'service_restored', at: 5, how: 'onsite_fix' }]],
    ['restore', { mode: 'loaner' }, [{ type: 'service_restored', at: 5, how: 'loaner' }]],
    ['resolve', {}, []],
    ['close', {}, [{ type: 'ticket_closed', at: 5, by: 'eng' }]],
    [
      'hold',
      { reason: 'or_in_use' },
      [{ type: 'clock_paused', at: 5, by: 'eng', reason: 'or_in_use' }],
    ],
    ['resume', {}, [{ type: 'clock_resumed', at: 5, by: 'eng' }]],
    ['upgrade', { from: 'yellow', to: 'red' }, [{ type: 'severity_changed', at: 5, to: 'red' }]],
    ['reopen', {}, []],
    ['cancel', {}, [{ type: 'ticket_cancelled', at: 5, by: 'eng' }]],
    ['note', { text: 'x' }, []],
  ])('%s %j', (type, payload, expected) => {
    expect(logToSlaEvents([ev(type, 5, payload)])).toEqual(expected);
  });

  it('maps part events only for reservations with a source (a backorder has no tier)', () => {
    const log = [
      ev('part_reserved', 1, {
        reservationId: 'r1',
        tier: 'regional',
        etaAt: new Date(9).toISOString(),
      }),
      ev('part_reserved', 2, { reservationId: 'r2', tier: null, status: 'backordered' }),
      ev('part_delivered', 3, { reservationId: 'r1' }),
      ev('part_released', 4, { reservationId: 'r2' }),
    ];
    expect(logToSlaEvents(log)).toEqual([
      { type: 'part_reserved', at: 1, reservationId: 'r1', tier: 'regional', etaAt: 9 },
      { type: 'part_delivered', at: 3, reservationId: 'r1' },
    ]);
    const state = foldTicket(initialTicketState(0, 'red'), log);
    expect([...state.reservations]).toEqual([
      ['r1', 'delivered'],
      ['r2', 'released'],
    ]);
  });

  it('reads the initial severity back from the first upgrade', () => {
    expect(
      initialSeverity('red', [
        ev('upgrade', 1, { from: 'green', to: 'yellow' }),
        ev('upgrade', 2, { from: 'yellow', to: 'red' }),
      ]),
    ).toBe('green');
    expect(initialSeverity('yellow', [])).toBe('yellow');
  });
});
