import { CALENDAR_24X7 } from './calendar';
import type { Calendar } from './calendar';
import { eventProblem } from './event-check';
import { canonicalJson, sortEvents } from './events';
import type { SlaEvent } from './events';
import { breachIfPastDue, end, isOpen, toStatus } from './instance';
import { acceptLifecycle } from './lifecycle';
import { pauseClocks, resumeClocks } from './pauses';
import type { SlaPolicy } from './policy';
import { issue } from './replay-state';
import type { Run } from './replay-state';
import type { TicketFacts, TicketSlaResult } from './result';
import { applyTriggers, changeSeverity } from './triggers';

export interface ComputeTicketSlaInput {
  readonly policy: SlaPolicy;
  readonly facts: TicketFacts;
  /** The ticket's log, in any order: the engine sorts it (see sortEvents). */
  readonly events: readonly SlaEvent[];
  /** The instant to evaluate at (epoch ms). Time is always an argument. */
  readonly now: number;
  /** Defaults to 7x24 (contract: every clock runs 7x24). */
  readonly calendar?: Calendar;
}

function apply(run: Run, event: SlaEvent): void {
  switch (event.type) {
    case 'severity_changed':
      changeSeverity(run, event);
      return;
    case 'clock_paused':
      pauseClocks(run, event);
      return;
    case 'clock_resumed':
      resumeClocks(run, event);
      return;
    case 'ticket_cancelled':
      // contract reading: a cancelled ticket owes nothing more; breaches already recorded stay
      run.cancelledAt = event.at;
      for (const inst of run.instances) {
        if (isOpen(inst)) end(inst, event.at, 'cancelled', event.type, run.calendar);
      }
      return;
    case 'ticket_closed': {
      run.closedAt ??= event.at;
      const open = run.instances.filter(
        (inst) => inst.state === 'running' || inst.state === 'paused',
      );
      if (open.length > 0) {
        issue(
          run,
          'CLOSED_WITH_OPEN_MILESTONES',
          event,
          `still running: ${open.map((inst) => inst.key).join(', ')}`,
        );
      }
      return;
    }
    case 'contact_logged':
      run.acknowledgedAt ??= event.at;
      break;
    case 'remote_work_started':
    case 'visit_dispatched':
      run.respondedAt ??= event.at;
      break;
    case 'service_restored':
      if (run.restoredAt === null) {
        run.restoredAt = event.at;
        run.restoredHow = event.how;
      }
      break;
    case 'visit_arrived':
    case 'visit_diagnosed':
    case 'visit_cancelled':
    case 'part_reserved':
    case 'part_eta_changed':
    case 'part_delivered':
    case 'part_released':
    case 'parts_replaced':
    case 'verification_started':
    case 'verification_passed':
    case 'verification_failed':
    case 'visit_departed':
    case 'report_submitted':
      break;
  }
  applyTriggers(run, event);
}

/** Drops malformed, duplicate, pre-creation and future events, with an issue for each. */
function admissible(run: Run, events: readonly SlaEvent[], now: number): SlaEvent[] {
  const valid: SlaEvent[] = [];
  const invalid: { json: string; problem: string; type: string }[] = [];
  for (const event of events) {
    const problem = eventProblem(event);
    if (problem === null) valid.push(event);
    else invalid.push({ json: canonicalJson(event), problem, type: String(event?.type) });
  }
  // sorted so that issues do not depend on arrival order either
  invalid.sort((a, b) => (a.json < b.json ? -1 : a.json > b.json ? 1 : 0));
  for (const bad of invalid) {
    issue(run, 'EVENT_INVALID', { type: bad.type, at: Number.NaN }, `${bad.problem}: ${bad.json}`);
  }
  const seen = new Set<string>();
  const kept: SlaEvent[] = [];
  for (const event of sortEvents(valid)) {
    const json = canonicalJson(event);
    if (seen.has(json)) {
      issue(run, 'EVENT_DUPLICATE', event, 'identical event already in the log');
    } else if (event.at < run.facts.createdAt) {
      issue(run, 'EVENT_BEFORE_CREATION', event, 'event precedes the ticket');
    } else if (event.at > now) {
      issue(run, 'EVENT_IN_FUTURE', event, `event after the evaluation instant ${now}`);
    } else {
      kept.push(event);
    }
    seen.add(json);
  }
  return kept;
}

/**
 * Every milestone instance of one ticket as of `now`, replayed from the facts and the log: the
 * state is a pure function of (policy, calendar, facts, events, now), as Zammad and ServiceNow's
 * SLA repair recompute from history. Never throws on bad events; see `issues`.
 */
export function computeTicketSla(input: ComputeTicketSlaInput): TicketSlaResult {
  const { policy, facts, now } = input;
  const calendar = input.calendar ?? CALENDAR_24X7;
  const run: Run = {
    policy,
    facts,
    calendar,
    severity: facts.severity,
    instances: [],
    byBase: new Map(),
    visits: new Map(),
    reservations: new Map(),
    issues: [],
    acknowledgedAt: null,
    respondedAt: null,
    restoredAt: null,
    restoredHow: null,
    cancelledAt: null,
    closedAt: null,
  };
  const advance = (at: number): void => {
    for (const inst of run.instances) breachIfPastDue(inst, at);
  };

  applyTriggers(run, { type: 'ticket_created', at: facts.createdAt });
  for (const event of admissible(run, input.events, now)) {
    if (run.cancelledAt !== null) {
      issue(run, 'EVENT_AFTER_CANCEL', event, 'ticket was cancelled');
      continue;
    }
    // breaches happen at their due instant, before whatever the event would do
    advance(event.at);
    if (acceptLifecycle(run, event)) apply(run, event);
  }
  advance(now);

  // policy order, then creation order (Array.prototype.sort is stable)
  const ordered = [...run.instances].sort((a, b) => a.defIndex - b.defIndex);
  const milestones = ordered.map((inst) => toStatus(inst, now, calendar));
  let nextChangeAt: number | null = null;
  for (const status of milestones) {
    if (status.state !== 'running' || status.kind !== 'deadline' || status.dueAt === null) continue;
    for (const at of [status.nextWarningAt, status.dueAt + 1]) {
      if (at !== null && at > now && (nextChangeAt === null || at < nextChangeAt))
        nextChangeAt = at;
    }
  }
  const restoredAt = run.restoredAt;
  return {
    ticketId: facts.ticketId,
    policyId: policy.id,
    policyVersion: policy.version,
    calendarId: calendar.id,
    asOf: now,
    createdAt: facts.createdAt,
    severity: run.severity,
    milestones,
    visits: [...run.visits.values()].map((visit) => ({ ...visit })),
    reservations: [...run.reservations.values()].map((reservation) => ({ ...reservation })),
    issues: run.issues,
    acknowledgedAt: run.acknowledgedAt,
    respondedAt: run.respondedAt,
    restoredAt,
    restoredHow: run.restoredHow,
    restoredRemotely:
      restoredAt === null
        ? null
        : ![...run.visits.values()].some((v) => v.arrivedAt !== null && v.arrivedAt <= restoredAt),
    cancelledAt: run.cancelledAt,
    closedAt: run.closedAt,
    nextChangeAt,
  };
}
