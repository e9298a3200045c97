// The ticket's event vocabulary, its status machine (ticket and visits), the payload each event
// takes, and how the log maps onto libs/sla events. Pure: time and the site's zone are arguments.
import { SEVERITIES } from '@orfleet/sla';
import type { PauseReason, RestoreMethod, Severity, SlaEvent, StoreTier, Zone } from '@orfleet/sla';
import { TicketError } from './ticket.errors';

export const TICKET_STATUSES = [
  'new',
  'acknowledged',
  'in_progress',
  'on_hold',
  'restored',
  'resolved',
  'closed',
  'cancelled',
] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
/** Statuses after which nothing more happens to a ticket but a reopen. */
export const FINAL_STATUSES: readonly TicketStatus[] = ['closed', 'cancelled'];
/**
 * Statuses that free the fingerprint (the partial unique index `ticket_open_fingerprint` uses
 * the same list): `resolved` too, since the customer confirmed the repair; a new occurrence after
 * it is a new incident, a new ticket (the health rules reopen it instead within their flap
 * cool-down).
 */
export const FINGERPRINT_FREE_STATUSES: readonly TicketStatus[] = [
  'resolved',
  'closed',
  'cancelled',
];

/** Events an engineer posts to `POST /tickets/:id/events`. */
export const USER_EVENT_TYPES = [
  'acknowledge',
  'engage_remote',
  'dispatch',
  'arrive',
  'diagnose',
  'parts_installed',
  'repair_done',
  'verify_start',
  'verify_pass',
  'verify_fail',
  'depart',
  'report',
  'cancel_visit',
  'restore',
  'resolve',
  'close',
  'hold',
  'resume',
  'upgrade',
  'reopen',
  'cancel',
  'note',
] as const;
export type UserEventType = (typeof USER_EVENT_TYPES)[number];

/** Written by the platform alongside stock changes (reservation endpoints, diagnose, cancel). */
export const PART_EVENT_TYPES = ['part_reserved', 'part_delivered', 'part_released'] as const;
export type PartEventType = (typeof PART_EVENT_TYPES)[number];
export type TicketEventType = UserEventType | PartEventType;

export const RESTORE_MODES = ['remote', 'onsite', 'swap', 'loaner'] as const;
export type RestoreMode = (typeof RESTORE_MODES)[number];
const RESTORE_HOW: Readonly<Record<RestoreMode, RestoreMethod>> = {
  remote: 'remote',
  onsite: 'onsite_fix',
  swap: 'swap',
  loaner: 'loaner',
};

/** Events about one visit; they take `visitId` (default: the latest visit not cancelled). */
export const VISIT_EVENT_TYPES = [
  'arrive',
  'diagnose',
  'repair_done',
  'verify_start',
  'verify_pass',
  'verify_fail',
  'depart',
  'report',
  'cancel_visit',
] as const satisfies readonly UserEventType[];
type VisitEventType = (typeof VISIT_EVENT_TYPES)[number];

export type VisitStatus =
  | 'dispatched'
  | 'on_site'
  | 'diagnosed'
  | 'repaired'
  | 'verifying'
  | 'verified'
  | 'departed'
  | 'reported'
  | 'cancelled';

/** Visit statuses each visit event may start from. */
const VISIT_FROM: Readonly<Record<VisitEventType, readonly VisitStatus[]>> = {
  arrive: ['dispatched'],
  diagnose: ['on_site', 'diagnosed', 'repaired'],
  repair_done: ['on_site', 'diagnosed'],
  verify_start: ['diagnosed', 'repaired'],
  verify_pass: ['verifying'],
  verify_fail: ['verifying'],
  depart: ['on_site', 'diagnosed', 'repaired', 'verified'],
  report: ['departed'],
  cancel_visit: ['dispatched', 'on_site', 'diagnosed', 'repaired'],
};
const VISIT_TO: Readonly<Record<VisitEventType, VisitStatus | null>> = {
  arrive: 'on_site',
  diagnose: 'diagnosed',
  repair_done: 'repaired',
  verify_start: 'verifying',
  verify_pass: 'verified',
  verify_fail: 'repaired', // a failed stress test sends the engineer back to the repair
  depart: 'departed',
  report: 'reported',
  cancel_visit: 'cancelled',
};
const ON_SITE: readonly VisitStatus[] = [
  'on_site',
  'diagnosed',
  'repaired',
  'verifying',
  'verified',
];
const VISIT_DONE: readonly VisitStatus[] = ['departed', 'reported', 'cancelled'];

export interface VisitState {
  readonly id: string;
  readonly engineer: string;
  readonly zone: Zone;
  readonly agreedArrivalAt: number | null;
  readonly status: VisitStatus;
  readonly dispatchedAt: number;
  readonly arrivedAt: number | null;
  readonly departedAt: number | null;
  readonly reportedAt: number | null;
  readonly cancelledAt: number | null;
}

export type ReservationMark = 'open' | 'backordered' | 'delivered' | 'released' | 'consumed';

/** A ticket as its log tells it (the status machine's state). */
export interface TicketState {
  readonly createdAt: number;
  readonly status: TicketStatus;
  /** The status to go back to on `resume`. */
  readonly heldFrom: TicketStatus | null;
  readonly severity: Severity;
  readonly acknowledgedAt: number | null;
  readonly restoredAt: number | null;
  readonly restoredHow: RestoreMode | null;
  readonly resolvedAt: number | null;
  readonly closedAt: number | null;
  readonly cancelledAt: number | null;
  /** Diagnosed with parts, not installed yet. */
  readonly partsPending: boolean;
  readonly visits: readonly VisitState[];
  readonly reservations: ReadonlyMap<string, ReservationMark>;
  readonly reopened: number;
  /** `at` of the last event (the creation when none): later events may not precede it. */
  readonly lastAt: number;
}

/** One row of the log, times as epoch ms. */
export interface LoggedEvent {
  readonly type: string;
  readonly at: number;
  readonly actor: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface PartRequest {
  readonly partNumber: string;
  readonly qty: number;
}

/** What a caller sends for one event (HTTP shape already checked by the DTO). */
export interface EventInput {
  readonly type: UserEventType;
  readonly at?: number;
  readonly visitId?: string;
  readonly engineer?: string;
  readonly agreedArrivalAt?: number;
  readonly faultCode?: string;
  readonly parts?: readonly PartRequest[];
  readonly mode?: RestoreMode;
  readonly reason?: PauseReason;
  readonly severity?: Severity;
  readonly text?: string;
}

export interface PlannedEvent {
  readonly type: UserEventType;
  readonly at: number;
  readonly payload: Record<string, unknown>;
}

type InputField = Exclude<keyof EventInput, 'type' | 'at'>;

/** Payload fields per event: required, then optional. Anything else is refused (400). */
const FIELDS: Readonly<Record<UserEventType, readonly [InputField[], InputField[]]>> = {
  acknowledge: [[], []],
  engage_remote: [[], []],
  dispatch: [['engineer'], ['agreedArrivalAt']],
  arrive: [[], ['visitId']],
  diagnose: [[], ['visitId', 'faultCode', 'parts']],
  parts_installed: [[], ['visitId']],
  repair_done: [[], ['visitId']],
  verify_start: [[], ['visitId']],
  verify_pass: [[], ['visitId']],
  verify_fail: [[], ['visitId', 'text']],
  depart: [[], ['visitId']],
  report: [['text'], ['visitId']],
  cancel_visit: [[], ['visitId', 'text']],
  restore: [['mode'], []],
  resolve: [[], ['text']],
  close: [[], ['text']],
  hold: [['reason'], ['text']],
  resume: [[], []],
  upgrade: [['severity'], []],
  reopen: [[], ['text']],
  cancel: [[], ['text']],
  note: [['text'], []],
};

export function initialTicketState(createdAt: number, severity: Severity): TicketState {
  return {
    createdAt,
    status: 'new',
    heldFrom: null,
    severity,
    acknowledgedAt: null,
    restoredAt: null,
    restoredHow: null,
    resolvedAt: null,
    closedAt: null,
    cancelledAt: null,
    partsPending: false,
    visits: [],
    reservations: new Map(),
    reopened: 0,
    lastAt: createdAt,
  };
}

/** The severity the ticket was opened with: the first upgrade's `from`, else the current one. */
export function initialSeverity(current: Severity, events: readonly LoggedEvent[]): Severity {
  const first = events.find((e) => e.type === 'upgrade');
  const from = first?.payload['from'];
  return typeof from === 'string' && (SEVERITIES as readonly string[]).includes(from)
    ? (from as Severity)
    : current;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const instant = (value: unknown): number | null => {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
};

function withVisit(
  state: TicketState,
  visitId: string | null,
  change: (visit: VisitState) => VisitState,
): readonly VisitState[] {
  return state.visits.map((v) => (v.id === visitId ? change(v) : v));
}

/** Folds one logged event into the state (events are trusted: they passed planEvent). */
export function applyEvent(state: TicketState, event: LoggedEvent): TicketState {
  const s: TicketState = { ...state, lastAt: Math.max(state.lastAt, event.at) };
  const p = event.payload;
  const visitId = str(p['visitId']);
  const type = event.type as TicketEventType;
  switch (type) {
    case 'acknowledge':
      return {
        ...s,
        acknowledgedAt: s.acknowledgedAt ?? event.at,
        status: s.status === 'new' ? 'acknowledged' : s.status,
        heldFrom: s.heldFrom === 'new' ? 'acknowledged' : s.heldFrom,
      };
    case 'engage_remote':
      return { ...s, status: 'in_progress' };
    case 'dispatch':
      return {
        ...s,
        status: s.status === 'restored' ? 'restored' : 'in_progress',
        visits: [
          ...s.visits,
          {
            id: visitId ?? `v${s.visits.length + 1}`,
            engineer: str(p['engineer']) ?? '',
            zone: (str(p['zone']) ?? 'city') as Zone,
            agreedArrivalAt: instant(p['agreedArrivalAt']),
            status: 'dispatched',
            dispatchedAt: event.at,
            arrivedAt: null,
            departedAt: null,
            reportedAt: null,
            cancelledAt: null,
          },
        ],
      };
    case 'arrive':
    case 'diagnose':
    case 'repair_done':
    case 'verify_start':
    case 'verify_pass':
    case 'verify_fail':
    case 'depart':
    case 'report':
    case 'cancel_visit': {
      const to = VISIT_TO[type];
      const parts = Array.isArray(p['parts']) ? p['parts'] : [];
      return {
        ...s,
        partsPending: type === 'diagnose' && parts.length > 0 ? true : s.partsPending,
        visits: withVisit(s, visitId, (v) => ({
          ...v,
          status: to ?? v.status,
          arrivedAt: type === 'arrive' ? event.at : v.arrivedAt,
          departedAt: type === 'depart' ? event.at : v.departedAt,
          reportedAt: type === 'report' ? event.at : v.reportedAt,
          cancelledAt: type === 'cancel_visit' ? event.at : v.cancelledAt,
        })),
      };
    }
    case 'parts_installed': {
      const reservations = new Map(s.reservations);
      const consumed = Array.isArray(p['consumed']) ? p['consumed'] : [];
      for (const id of consumed) if (typeof id === 'string') reservations.set(id, 'consumed');
      return { ...s, partsPending: false, reservations };
    }
    case 'restore':
      return {
        ...s,
        status: 'restored',
        restoredAt: s.restoredAt ?? event.at,
        restoredHow: s.restoredHow ?? (str(p['mode']) as RestoreMode | null),
      };
    case 'resolve':
      return { ...s, status: 'resolved', resolvedAt: event.at };
    case 'close':
      return { ...s, status: 'closed', closedAt: event.at };
    case 'hold':
      return { ...s, status: 'on_hold', heldFrom: s.status };
    case 'resume':
      return { ...s, status: s.heldFrom ?? 'in_progress', heldFrom: null };
    case 'upgrade':
      return { ...s, severity: (str(p['to']) ?? s.severity) as Severity };
    case 'reopen':
      return {
        ...s,
        status: 'in_progress',
        resolvedAt: null,
        closedAt: null,
        reopened: s.reopened + 1,
      };
    case 'cancel':
      return { ...s, status: 'cancelled', cancelledAt: event.at };
    case 'note':
      return s;
    case 'part_reserved':
    case 'part_delivered':
    case 'part_released': {
      const id = str(p['reservationId']);
      if (id === null) return s;
      const reservations = new Map(s.reservations);
      const mark: ReservationMark =
        type === 'part_delivered'
          ? 'delivered'
          : type === 'part_released'
            ? 'released'
            : p['status'] === 'backordered'
              ? 'backordered'
              : 'open';
      reservations.set(id, mark);
      return { ...s, reservations };
    }
  }
  return s;
}

export function foldTicket(initial: TicketState, events: readonly LoggedEvent[]): TicketState {
  return events.reduce(applyEvent, initial);
}

/** The visit an event addresses by default: the latest one not cancelled. */
export function defaultVisit(state: TicketState): VisitState | undefined {
  return state.visits.findLast((v) => v.status !== 'cancelled');
}

const activeVisit = (state: TicketState): VisitState | undefined =>
  state.visits.find((v) => !VISIT_DONE.includes(v.status));

const isVisitEvent = (type: UserEventType): type is VisitEventType =>
  (VISIT_EVENT_TYPES as readonly string[]).includes(type);

const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** Whether the ticket's status machine allows `type` now (for a visit event: on `visit`). */
function allows(state: TicketState, type: UserEventType, visit: VisitState | undefined): boolean {
  const st = state.status;
  const open = !FINAL_STATUSES.includes(st);
  if (isVisitEvent(type)) {
    if (!['in_progress', 'restored', 'resolved'].includes(st) || visit === undefined) return false;
    if (!VISIT_FROM[type].includes(visit.status)) return false;
    if (type === 'repair_done' || type === 'verify_start') return !state.partsPending;
    return true;
  }
  switch (type) {
    case 'acknowledge':
      return open && state.acknowledgedAt === null;
    case 'engage_remote':
      return ['new', 'acknowledged', 'in_progress'].includes(st);
    case 'dispatch':
      return (
        ['new', 'acknowledged', 'in_progress', 'restored'].includes(st) &&
        activeVisit(state) === undefined
      );
    case 'parts_installed':
      return (
        ['in_progress', 'restored'].includes(st) &&
        state.partsPending &&
        state.visits.some((v) => ON_SITE.includes(v.status))
      );
    case 'restore':
      // engaged first: RESPOND is met by remote work or a dispatch (contract reading)
      return st === 'in_progress';
    case 'resolve':
      return st === 'restored';
    case 'close':
      // contract 8.3: closed after the fault report; nobody still on site
      return (
        (st === 'restored' || st === 'resolved') &&
        state.visits.every((v) => v.status === 'reported' || v.status === 'cancelled')
      );
    case 'hold':
      return ['new', 'acknowledged', 'in_progress', 'restored'].includes(st);
    case 'resume':
      return st === 'on_hold';
    case 'upgrade':
      return open && state.severity !== 'red';
    case 'reopen':
      return st === 'resolved' || st === 'closed';
    case 'cancel':
      return open;
    case 'note':
      return true;
  }
}

/** The event types a caller may post now (visit events: on the default visit). */
export function allowedEvents(state: TicketState): UserEventType[] {
  const visit = defaultVisit(state);
  return USER_EVENT_TYPES.filter((type) => allows(state, type, visit));
}

export interface PlanContext {
  readonly now: number;
  /** The site's zone now: frozen onto a visit at dispatch (contract reading). */
  readonly siteZone: Zone;
}

function invalidPayload(message: string): never {
  throw new TicketError('VALIDATION_FAILED', message, { fields: [message] });
}

/**
 * Checks one posted event against the payload rules and the status machine and returns what to
 * log. Order of checks: payload (400), transition (409, with the allowed list), time (422).
 *
 * `at` (when the event happened, for events logged late) defaults to now; it may not be in the
 * future, before the ticket's creation, or before the last logged event: the log stays in time
 * order, so the status machine and the SLA engine read the same story.
 */
export function planEvent(state: TicketState, input: EventInput, ctx: PlanContext): PlannedEvent {
  const [required, optional] = FIELDS[input.type];
  for (const field of required) {
    if (input[field] === undefined) invalidPayload(`${field}: required for ${input.type}`);
  }
  for (const [field, value] of Object.entries(input)) {
    if (field === 'type' || field === 'at' || value === undefined) continue;
    if (!required.includes(field as InputField) && !optional.includes(field as InputField)) {
      invalidPayload(`${field}: not allowed for ${input.type}`);
    }
  }

  let visit: VisitState | undefined;
  if (isVisitEvent(input.type) || input.type === 'parts_installed') {
    if (input.visitId !== undefined) {
      visit = state.visits.find((v) => v.id === input.visitId);
      if (visit === undefined) {
        throw new TicketError('TICKET_EVENT_INVALID', `no visit ${input.visitId} on this ticket`, {
          visits: state.visits.map((v) => v.id),
        });
      }
    } else {
      visit =
        input.type === 'parts_installed'
          ? state.visits.findLast((v) => ON_SITE.includes(v.status))
          : defaultVisit(state);
    }
  }
  let ok = allows(state, input.type, visit);
  if (ok && input.type === 'parts_installed' && visit !== undefined) {
    ok = ON_SITE.includes(visit.status);
  }
  if (ok && input.type === 'restore' && input.mode === 'onsite') {
    // an on-site fix needs someone who got there
    ok = state.visits.some((v) => v.arrivedAt !== null);
  }
  if (ok && input.type === 'upgrade' && input.severity !== undefined) {
    ok = severityRank(input.severity) < severityRank(state.severity);
  }
  if (!ok) {
    throw new TicketError(
      'TICKET_TRANSITION_INVALID',
      `${input.type} is not allowed now (ticket ${state.status}${
        visit === undefined ? '' : `, visit ${visit.id} ${visit.status}`
      })`,
      { status: state.status, allowed: allowedEvents(state) },
    );
  }

  const at = input.at ?? ctx.now;
  if (at > ctx.now) {
    throw new TicketError('TICKET_EVENT_INVALID', 'at: may not be in the future', {
      at: new Date(at).toISOString(),
      now: new Date(ctx.now).toISOString(),
    });
  }
  if (at < state.lastAt) {
    throw new TicketError(
      'TICKET_EVENT_INVALID',
      'at: may not precede the ticket creation or its last event',
      { notBefore: new Date(state.lastAt).toISOString() },
    );
  }

  const payload: Record<string, unknown> = {};
  if (visit !== undefined) payload['visitId'] = visit.id;
  switch (input.type) {
    case 'dispatch': {
      payload['visitId'] = `v${state.visits.length + 1}`;
      payload['engineer'] = input.engineer;
      payload['zone'] = ctx.siteZone;
      if (input.agreedArrivalAt !== undefined) {
        // contract: remote sites agree the arrival ahead; other zones have fixed targets
        if (ctx.siteZone !== 'remote') {
          throw new TicketError(
            'TICKET_EVENT_INVALID',
            `agreedArrivalAt: only for remote sites (this one is ${ctx.siteZone})`,
          );
        }
        if (input.agreedArrivalAt <= at) {
          throw new TicketError('TICKET_EVENT_INVALID', 'agreedArrivalAt: must be after dispatch');
        }
        payload['agreedArrivalAt'] = new Date(input.agreedArrivalAt).toISOString();
      }
      break;
    }
    case 'diagnose': {
      const parts = input.parts ?? [];
      const numbers = parts.map((part) => part.partNumber);
      if (new Set(numbers).size !== numbers.length) {
        invalidPayload('parts: each part number once (add up the quantities)');
      }
      if (input.faultCode !== undefined) payload['faultCode'] = input.faultCode;
      payload['parts'] = parts.map((part) => ({ partNumber: part.partNumber, qty: part.qty }));
      break;
    }
    case 'upgrade':
      payload['from'] = state.severity;
      payload['to'] = input.severity;
      break;
    case 'restore':
      payload['mode'] = input.mode;
      break;
    case 'hold':
      payload['reason'] = input.reason;
      break;
    case 'acknowledge':
    case 'engage_remote':
    case 'arrive':
    case 'parts_installed':
    case 'repair_done':
    case 'verify_start':
    case 'verify_pass':
    case 'verify_fail':
    case 'depart':
    case 'report':
    case 'cancel_visit':
    case 'resolve':
    case 'close':
    case 'resume':
    case 'reopen':
    case 'cancel':
    case 'note':
      break;
  }
  if (input.text !== undefined) payload['text'] = input.text;
  return { type: input.type, at, payload };
}

export interface SlaMappingContext {
  /** Reservations whose `part_reserved` mapped (a backordered part has no tier, so no clock). */
  readonly known: Set<string>;
}

/** One logged event as libs/sla events (none for events the SLA does not read). */
export function toSlaEvents(event: LoggedEvent, ctx: SlaMappingContext): SlaEvent[] {
  const { at, actor: by, payload: p } = event;
  const visitId = str(p['visitId']) ?? '';
  const type = event.type as TicketEventType;
  switch (type) {
    case 'acknowledge':
      return [{ type: 'contact_logged', at, by }];
    case 'engage_remote':
      return [{ type: 'remote_work_started', at, by }];
    case 'dispatch': {
      const zone = str(p['zone']) as Zone | null;
      const agreed = instant(p['agreedArrivalAt']);
      return [
        {
          type: 'visit_dispatched',
          at,
          visitId,
          by,
          ...(zone === null ? {} : { zone }),
          ...(agreed === null ? {} : { agreedArrivalAt: agreed }),
        },
      ];
    }
    case 'arrive':
      return [{ type: 'visit_arrived', at, visitId }];
    case 'diagnose': {
      const parts = Array.isArray(p['parts']) ? p['parts'] : [];
      return [{ type: 'visit_diagnosed', at, visitId, needsParts: parts.length > 0 }];
    }
    case 'parts_installed':
      return [{ type: 'parts_replaced', at, ...(visitId === '' ? {} : { visitId }) }];
    case 'verify_start':
      return [{ type: 'verification_started', at, visitId }];
    case 'verify_pass':
      return [{ type: 'verification_passed', at, visitId }];
    case 'verify_fail':
      return [{ type: 'verification_failed', at, visitId }];
    case 'depart':
      return [{ type: 'visit_departed', at, visitId }];
    case 'report':
      return [{ type: 'report_submitted', at, visitId }];
    case 'cancel_visit':
      return [{ type: 'visit_cancelled', at, visitId }];
    case 'restore':
      return [{ type: 'service_restored', at, how: RESTORE_HOW[p['mode'] as RestoreMode] }];
    case 'close':
      return [{ type: 'ticket_closed', at, by }];
    case 'hold':
      return [{ type: 'clock_paused', at, by, reason: p['reason'] as PauseReason }];
    case 'resume':
      return [{ type: 'clock_resumed', at, by }];
    case 'upgrade':
      return [{ type: 'severity_changed', at, to: p['to'] as Severity }];
    case 'cancel':
      return [{ type: 'ticket_cancelled', at, by }];
    case 'part_reserved': {
      const id = str(p['reservationId']);
      const tier = str(p['tier']) as StoreTier | null;
      if (id === null || tier === null) return [];
      ctx.known.add(id);
      const eta = instant(p['etaAt']);
      return [
        {
          type: 'part_reserved',
          at,
          reservationId: id,
          tier,
          ...(eta === null ? {} : { etaAt: eta }),
        },
      ];
    }
    case 'part_delivered':
    case 'part_released': {
      const id = str(p['reservationId']);
      if (id === null || !ctx.known.has(id)) return [];
      return [{ type: type, at, reservationId: id }];
    }
    case 'repair_done': // recorded on the visit; VERIFY starts with the stress test itself
    case 'resolve': // RESOLVE is met by the restore (contract reading); resolve is the customer's OK
    case 'reopen': // libs/sla has no reopen cycle: the original clocks stand
    case 'note':
      return [];
  }
  return [];
}

export function logToSlaEvents(events: readonly LoggedEvent[]): SlaEvent[] {
  const ctx: SlaMappingContext = { known: new Set() };
  return events.flatMap((event) => toSlaEvents(event, ctx));
}
