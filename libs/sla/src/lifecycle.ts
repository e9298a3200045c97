// Visits and reservations as the log tells them: an event for an unknown, cancelled or already
// finished visit or reservation is reported and skipped, never thrown.
import type { SlaEvent } from './events';
import { issue } from './replay-state';
import type { Run } from './replay-state';

const VISIT_EVENTS = new Set<SlaEvent['type']>([
  'visit_arrived',
  'visit_diagnosed',
  'visit_cancelled',
  'verification_started',
  'verification_passed',
  'verification_failed',
  'visit_departed',
  'report_submitted',
  'parts_replaced',
]);

const RESERVATION_EVENTS = new Set<SlaEvent['type']>([
  'part_eta_changed',
  'part_delivered',
  'part_released',
]);

/** Checks an event against the visits and reservations seen so far; false = skip it. */
export function acceptLifecycle(run: Run, event: SlaEvent): boolean {
  if (event.type === 'visit_dispatched') {
    if (run.visits.has(event.visitId)) {
      issue(run, 'VISIT_ALREADY_DISPATCHED', event, `visit ${event.visitId} exists`);
      return false;
    }
    const zone = event.zone ?? run.facts.zone;
    if (event.agreedArrivalAt !== undefined) {
      const arriveDef = run.policy.milestones.find(
        (d) => d.target.type === 'by_zone' && d.target.agreedZones.includes(zone),
      );
      if (arriveDef === undefined) {
        issue(run, 'AGREED_ARRIVAL_IGNORED', event, `zone ${zone} has a fixed arrival target`);
      }
    }
    run.visits.set(event.visitId, {
      visitId: event.visitId,
      zone,
      agreedArrivalAt: event.agreedArrivalAt ?? null,
      dispatchedAt: event.at,
      arrivedAt: null,
      departedAt: null,
      cancelledAt: null,
    });
    return true;
  }
  if (event.type === 'part_reserved') {
    if (run.reservations.has(event.reservationId)) {
      issue(run, 'RESERVATION_EXISTS', event, `reservation ${event.reservationId} exists`);
      return false;
    }
    run.reservations.set(event.reservationId, {
      reservationId: event.reservationId,
      tier: event.tier,
      reservedAt: event.at,
      etaAt: event.etaAt ?? null,
      deliveredAt: null,
      releasedAt: null,
    });
    return true;
  }
  if (VISIT_EVENTS.has(event.type) && 'visitId' in event && event.visitId !== undefined) {
    const visit = run.visits.get(event.visitId);
    if (visit === undefined) {
      issue(run, 'UNKNOWN_VISIT', event, `no dispatched visit ${event.visitId}`);
      return false;
    }
    if (visit.cancelledAt !== null) {
      issue(run, 'VISIT_CANCELLED', event, `visit ${event.visitId} was cancelled`);
      return false;
    }
    if (event.type === 'visit_arrived' || event.type === 'visit_departed') {
      const field = event.type === 'visit_arrived' ? 'arrivedAt' : 'departedAt';
      if (visit[field] !== null) {
        issue(
          run,
          'DUPLICATE_LIFECYCLE_EVENT',
          event,
          `visit ${event.visitId} already has ${field}`,
        );
        return false;
      }
      if (event.type === 'visit_departed' && visit.arrivedAt === null) {
        issue(run, 'VISIT_NOT_ARRIVED', event, `visit ${event.visitId} left without arriving`);
      }
      visit[field] = event.at;
    }
    if (event.type === 'visit_cancelled') visit.cancelledAt = event.at;
    return true;
  }
  if (RESERVATION_EVENTS.has(event.type) && 'reservationId' in event) {
    const reservation = run.reservations.get(event.reservationId);
    if (reservation === undefined) {
      issue(run, 'UNKNOWN_RESERVATION', event, `no reservation ${event.reservationId}`);
      return false;
    }
    if (reservation.releasedAt !== null) {
      issue(run, 'RESERVATION_CLOSED', event, `reservation ${event.reservationId} was released`);
      return false;
    }
    if (event.type === 'part_delivered' || event.type === 'part_eta_changed') {
      if (reservation.deliveredAt !== null) {
        issue(run, 'DUPLICATE_LIFECYCLE_EVENT', event, `${event.reservationId} already delivered`);
        return false;
      }
    }
    if (event.type === 'part_delivered') reservation.deliveredAt = event.at;
    if (event.type === 'part_eta_changed') reservation.etaAt = event.etaAt;
    if (event.type === 'part_released') reservation.releasedAt = event.at;
  }
  return true;
}
