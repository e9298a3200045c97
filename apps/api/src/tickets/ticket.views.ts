import type { Reservation } from '../parts/reservation.entity';
import { reservationView } from '../parts/parts.views';
import type { TicketEvaluation } from './ticket-sla.rules';
import { allowedEvents } from './ticket-events.rules';
import type {
  MilestoneView,
  TicketDetailView,
  TicketEventView,
  TicketView,
  VisitView,
} from './ticket.dto';
import type { Ticket } from './ticket.entity';

const iso = (value: Date | number | null): string | null =>
  value === null ? null : new Date(value).toISOString();

export function ticketView(t: Ticket): TicketView {
  return {
    id: t.id,
    number: t.number,
    severity: t.severity,
    title: t.title,
    category: t.category,
    description: t.description,
    deviceId: t.deviceId,
    siteId: t.siteId,
    zone: t.zone,
    source: t.source,
    fingerprint: t.fingerprint,
    status: t.status,
    policyId: t.policyId,
    policyVersion: t.policyVersion,
    occurrences: t.occurrences,
    createdAt: t.createdAt.toISOString(),
    createdBy: t.createdBy,
    updatedAt: t.updatedAt.toISOString(),
    acknowledgedAt: iso(t.acknowledgedAt),
    respondedAt: iso(t.respondedAt),
    restoredAt: iso(t.restoredAt),
    restoredHow: t.restoredHow,
    resolvedAt: iso(t.resolvedAt),
    closedAt: iso(t.closedAt),
    cancelledAt: iso(t.cancelledAt),
    nextDueAt: iso(t.nextDueAt),
    breached: t.breached,
    atRisk: t.atRisk,
  };
}

export interface StoredEventRow {
  seq: number;
  type: string;
  at: Date;
  recorded_at: Date;
  actor: string;
  payload: Record<string, unknown>;
}

/** The ticket as of `asOf`: summary and milestones recomputed from the log, not the cached rows. */
export function ticketDetailView(
  t: Ticket,
  evaluation: TicketEvaluation,
  events: readonly StoredEventRow[],
  reservations: readonly Reservation[],
  asOf: Date,
): TicketDetailView {
  const s = evaluation.summary;
  const milestones: MilestoneView[] = evaluation.milestones.map((m) => ({
    key: m.key,
    code: m.code,
    scope: m.scope,
    scopeId: m.scopeId,
    kind: m.kind,
    state: m.state,
    severity: m.severity,
    startedAt: iso(m.startedAt),
    dueAt: iso(m.dueAt),
    originalDueAt: iso(m.originalDueAt),
    metAt: iso(m.metAt),
    breachedAt: iso(m.breachedAt),
    latenessMs: m.latenessMs,
    pausedMs: m.pausedMs,
    forecastAt: iso(m.forecastAt),
    atRisk: m.atRisk,
  }));
  const visits: VisitView[] = evaluation.state.visits.map((v) => ({
    id: v.id,
    engineer: v.engineer,
    zone: v.zone,
    status: v.status,
    agreedArrivalAt: iso(v.agreedArrivalAt),
    dispatchedAt: new Date(v.dispatchedAt).toISOString(),
    arrivedAt: iso(v.arrivedAt),
    departedAt: iso(v.departedAt),
    reportedAt: iso(v.reportedAt),
    cancelledAt: iso(v.cancelledAt),
  }));
  const eventViews: TicketEventView[] = events.map((e) => ({
    seq: e.seq,
    type: e.type,
    at: e.at.toISOString(),
    recordedAt: e.recorded_at.toISOString(),
    actor: e.actor,
    payload: e.payload,
  }));
  return {
    ...ticketView(t),
    status: s.status,
    severity: s.severity,
    acknowledgedAt: iso(s.acknowledgedAt),
    respondedAt: iso(s.respondedAt),
    restoredAt: iso(s.restoredAt),
    restoredHow: s.restoredHow,
    resolvedAt: iso(s.resolvedAt),
    closedAt: iso(s.closedAt),
    cancelledAt: iso(s.cancelledAt),
    nextDueAt: iso(s.nextDueAt),
    breached: s.breached,
    atRisk: s.atRisk,
    slaAsOf: asOf.toISOString(),
    allowedEvents: allowedEvents(evaluation.state),
    milestones,
    visits,
    reservations: reservations.map(reservationView),
    events: eventViews,
  };
}
