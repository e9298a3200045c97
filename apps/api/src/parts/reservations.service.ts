import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Severity } from '@orfleet/sla';
import type { Reservation } from './reservation.entity';

/** A request to reserve parts for a ticket (one part number). */
export interface ReserveRequest {
  readonly ticketId: string;
  readonly siteId: string;
  /** Sets the ETA of a regional part: 2 h for red/yellow, 24 h for green. */
  readonly severity: Severity;
  readonly partNumber: string;
  readonly qty: number;
  /** Unique per request: a retried request returns the first result, never a second booking. */
  readonly idempotencyKey: string;
  readonly actor: string;
  readonly now: Date;
}

export interface ReserveResult {
  readonly reservation: Reservation;
  /** False when the idempotency key had already been used (the stored result is returned). */
  readonly created: boolean;
}

/**
 * Stock reservations for tickets. Every method runs inside the caller's transaction (`manager`),
 * so the tickets feature can append the matching ticket events atomically.
 *
 * CONTRACT between the tickets and parts features (both rely on it):
 * - reserve: hospital store of the site, then the site's regional store, then national; each try
 *   one guarded `UPDATE stock SET reserved = reserved + :qty WHERE ... AND on_hand - reserved >= :qty`;
 *   no stock anywhere → status `backordered` (store null, tier null, eta null). ETA: hospital = now,
 *   regional = now + 2 h (red/yellow) or 24 h (green), national = now + 48 h. A `reserve` stock
 *   move is written. Same idempotency key again → `{created: false}` with the stored reservation
 *   (a key reused for a different ticket/part/qty → DomainError RESERVATION_CONFLICT).
 * - release: reserved|delivered|backordered → released (stock reserved -= qty unless backordered).
 * - deliver: reserved → delivered.
 * - consume: reserved|delivered → consumed (on_hand -= qty, reserved -= qty); records a
 *   replenishment request when on_hand falls to or below the store's reorder point.
 * - State errors → DomainError RESERVATION_STATE_INVALID; unknown ids → RESERVATION_NOT_FOUND;
 *   unknown part → PART_NOT_FOUND.
 */
@Injectable()
export class ReservationsService {
  reserve(_manager: EntityManager, _request: ReserveRequest): Promise<ReserveResult> {
    return Promise.reject(new Error('ReservationsService.reserve: being built (parts feature)'));
  }

  release(
    _manager: EntityManager,
    _reservationId: string,
    _reason: string,
    _actor: string,
    _now: Date,
  ): Promise<Reservation> {
    return Promise.reject(new Error('ReservationsService.release: being built (parts feature)'));
  }

  deliver(
    _manager: EntityManager,
    _reservationId: string,
    _actor: string,
    _now: Date,
  ): Promise<Reservation> {
    return Promise.reject(new Error('ReservationsService.deliver: being built (parts feature)'));
  }

  consume(
    _manager: EntityManager,
    _reservationId: string,
    _actor: string,
    _now: Date,
  ): Promise<Reservation> {
    return Promise.reject(new Error('ReservationsService.consume: being built (parts feature)'));
  }

  forTicket(_manager: EntityManager, _ticketId: string): Promise<Reservation[]> {
    return Promise.reject(new Error('ReservationsService.forTicket: being built (parts feature)'));
  }
}
