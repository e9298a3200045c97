// From a ticket's facts and log to everything the store keeps about its SLA: milestone rows,
// summary columns, the alert points reached. Pure: `now` is an argument.
import {
  CONTRACT_POLICY,
  canonicalJson,
  computeTicketSla,
  forecastTicket,
  milestoneDef,
} from '@orfleet/sla';
import type {
  MilestoneStatus,
  Severity,
  SlaIssue,
  SlaIssueCode,
  TicketForecast,
  TicketSlaResult,
  Zone,
} from '@orfleet/sla';
import {
  foldTicket,
  initialSeverity,
  initialTicketState,
  logToSlaEvents,
} from './ticket-events.rules';
import type { LoggedEvent, RestoreMode, TicketState, TicketStatus } from './ticket-events.rules';

export const POLICY = CONTRACT_POLICY;

export interface TicketFactsInput {
  readonly ticketId: string;
  readonly createdAt: number;
  /** The ticket's current severity (the initial one is read back from the log). */
  readonly severity: Severity;
  /** Frozen from the site at opening. */
  readonly zone: Zone;
}

export interface MilestoneRow {
  readonly key: string;
  readonly code: string;
  readonly scope: string;
  readonly scopeId: string | null;
  readonly kind: string;
  readonly state: string;
  readonly severity: string;
  readonly startedAt: number | null;
  readonly dueAt: number | null;
  readonly originalDueAt: number | null;
  readonly metAt: number | null;
  readonly breachedAt: number | null;
  readonly latenessMs: number | null;
  readonly pausedMs: number;
  readonly nextWarningAt: number | null;
  readonly forecastAt: number | null;
  readonly atRisk: boolean;
}

export interface TicketSummary {
  readonly status: TicketStatus;
  readonly severity: Severity;
  readonly acknowledgedAt: number | null;
  readonly respondedAt: number | null;
  readonly restoredAt: number | null;
  readonly restoredHow: RestoreMode | null;
  readonly resolvedAt: number | null;
  readonly closedAt: number | null;
  readonly cancelledAt: number | null;
  /** Earliest due among running deadline clocks: the list's sort key. */
  readonly nextDueAt: number | null;
  /** The scheduler's cue: the next warning point or breach. */
  readonly nextChangeAt: number | null;
  readonly breached: boolean;
  readonly atRisk: boolean;
}

/** `warning:0.5`, `warning:0.75`, `breach`: once each per milestone instance. */
export interface AlertPoint {
  readonly milestoneKey: string;
  readonly code: string;
  readonly kind: string;
  readonly dueAt: number;
}

export interface TicketEvaluation {
  readonly state: TicketState;
  readonly result: TicketSlaResult;
  readonly forecast: TicketForecast;
  readonly milestones: readonly MilestoneRow[];
  readonly summary: TicketSummary;
  readonly alerts: readonly AlertPoint[];
}

/** The status machine's state and the SLA result, both replayed from the log. */
export function evaluateTicket(
  facts: TicketFactsInput,
  events: readonly LoggedEvent[],
  now: number,
): TicketEvaluation {
  const severity = initialSeverity(facts.severity, events);
  const state = foldTicket(initialTicketState(facts.createdAt, severity), events);
  const result = computeTicketSla({
    policy: POLICY,
    facts: { ticketId: facts.ticketId, createdAt: facts.createdAt, severity, zone: facts.zone },
    events: logToSlaEvents(events),
    now,
  });
  const forecast = forecastTicket(POLICY, result, { now });
  const byKey = new Map(forecast.items.map((item) => [item.key, item]));
  const milestones = result.milestones.map((m): MilestoneRow => {
    const f = byKey.get(m.key);
    return {
      key: m.key,
      code: m.code,
      scope: m.scope,
      scopeId: m.scopeId,
      kind: m.kind,
      state: m.state,
      severity: m.severity,
      startedAt: m.startedAt,
      dueAt: m.dueAt,
      originalDueAt: m.originalDueAt,
      metAt: m.metAt,
      breachedAt: m.breachedAt,
      latenessMs: m.latenessMs,
      pausedMs: m.pausedMs,
      nextWarningAt: m.nextWarningAt,
      forecastAt: f?.forecastAt ?? null,
      atRisk: f?.atRisk ?? false,
    };
  });
  // A backordered part has no source yet, so no delivery promise: the ticket is at risk now.
  const backordered = [...state.reservations.values()].includes('backordered');
  const running = result.milestones.filter(
    (m) => m.state === 'running' && m.kind === 'deadline' && m.dueAt !== null,
  );
  const summary: TicketSummary = {
    status: state.status,
    severity: result.severity,
    acknowledgedAt: result.acknowledgedAt,
    respondedAt: result.respondedAt,
    restoredAt: result.restoredAt,
    restoredHow: state.restoredHow,
    resolvedAt: state.resolvedAt,
    closedAt: state.closedAt,
    cancelledAt: result.cancelledAt,
    nextDueAt: running.length === 0 ? null : Math.min(...running.map((m) => m.dueAt ?? Infinity)),
    nextChangeAt: result.nextChangeAt,
    breached: result.milestones.some((m) => m.breachedAt !== null),
    atRisk: forecast.atRisk || backordered,
  };
  return { state, result, forecast, milestones, summary, alerts: alertPoints(result.milestones) };
}

/**
 * The warning points and breaches a milestone has reached. A breached clock has passed all its
 * warnings too (they are announced even when the process was down at the time); a clock stopped in
 * time announces nothing more.
 */
export function alertPoints(milestones: readonly MilestoneStatus[]): AlertPoint[] {
  const points: AlertPoint[] = [];
  for (const m of milestones) {
    if (m.kind !== 'deadline' || m.dueAt === null) continue;
    const warnings =
      m.breachedAt !== null
        ? (milestoneDef(POLICY, m.code)?.warnings ?? [])
        : m.state === 'running' || m.state === 'paused'
          ? m.warningsReached
          : [];
    for (const fraction of warnings) {
      points.push({
        milestoneKey: m.key,
        code: m.code,
        kind: `warning:${fraction}`,
        dueAt: m.dueAt,
      });
    }
    if (m.breachedAt !== null) {
      points.push({ milestoneKey: m.key, code: m.code, kind: 'breach', dueAt: m.breachedAt });
    }
  }
  return points;
}

/**
 * Engine issues that make an event unacceptable: the engine would skip it (a pause no clock
 * allows, an unknown visit...). Closing with clocks still open is only a note: closing
 * discharges nothing, the clocks keep running (docs/sla.md).
 */
const NOT_FATAL: readonly SlaIssueCode[] = ['CLOSED_WITH_OPEN_MILESTONES', 'EVENT_DUPLICATE'];

/** Issues present after appending events that were not there before (multiset difference). */
export function newIssues(before: readonly SlaIssue[], after: readonly SlaIssue[]): SlaIssue[] {
  const seen = new Map<string, number>();
  for (const issue of before) {
    const key = canonicalJson(issue);
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const added: SlaIssue[] = [];
  for (const issue of after) {
    const key = canonicalJson(issue);
    const count = seen.get(key) ?? 0;
    if (count > 0) seen.set(key, count - 1);
    else if (!NOT_FATAL.includes(issue.code)) added.push(issue);
  }
  return added;
}
