import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import type { Severity } from '@orfleet/sla';
import { MetricsService } from '../platform/metrics.service';
import { PartsError } from './parts.errors';
import { Reservation } from './reservation.entity';
import type { ReservationStatus } from './reservation.entity';
import {
  etaFor,
  fallbackOrder,
  holdsStock,
  nextStatus,
  reserveRequestProblems,
  sameReserveRequest,
} from './reservations.rules';
import type { CandidateStore, ReservationAction } from './reservations.rules';
import { raiseReplenishmentIfLow, recordMove, returning } from './stock-ledger';
import type { StockRow } from './stock-ledger';

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

export interface ReservationFilter {
  readonly ticketId?: string | undefined;
  readonly status?: ReservationStatus | undefined;
  readonly partNumber?: string | undefined;
  readonly limit: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
 *
 * Implementation notes (parts feature):
 * - Expects READ COMMITTED (PostgreSQL's default). The idempotency key is claimed first with
 *   `INSERT ... ON CONFLICT DO NOTHING`: a concurrent request with the same key waits on the
 *   unique index until the first transaction ends, then finds and returns its row, so exactly one
 *   of them touches stock. If the first rolls back, the second claims the key itself.
 * - Malformed input (qty outside 1..1000, empty key) → RESERVATION_INVALID.
 * - The `reservations` metric counts outcomes when the reservation is created; a caller that
 *   rolls back afterwards has still been counted.
 */
@Injectable()
export class ReservationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  async reserve(manager: EntityManager, request: ReserveRequest): Promise<ReserveResult> {
    const claim = await this.claim(manager, request);
    if (claim.replayed !== undefined) return { reservation: claim.replayed, created: false };
    for (const store of claim.stores) {
      const booked = await this.book(manager, request, claim.reservation.id, store);
      if (booked !== undefined) return { reservation: booked, created: true };
    }
    return { reservation: this.backordered(claim.reservation), created: true };
  }

  /**
   * Like `reserve`, but the stock is booked as the transaction's last write. `dependents` first
   * writes what follows from the reservation as planned (the ticket's event and SLA rows) inside
   * a savepoint; then the guarded stock update runs. If another transaction took the stock in
   * between, the savepoint is rolled back and the next tier is tried. The stock row is thus locked
   * only from its update to the caller's commit: a hot part (every ticket of a hospital wants the
   * same PSU) does not serialise whole ticket openings. `dependents` must be repeatable (it may
   * run once per tier tried) and is not called for a replayed idempotency key.
   */
  async reserveBookingLast(
    manager: EntityManager,
    request: ReserveRequest,
    dependents: (planned: Reservation) => Promise<void>,
  ): Promise<ReserveResult> {
    const claim = await this.claim(manager, request);
    if (claim.replayed !== undefined) return { reservation: claim.replayed, created: false };
    for (const store of claim.stores) {
      const [stock] = await manager.query<{ available: number }[]>(
        'SELECT on_hand - reserved AS available FROM stock WHERE part_number = $1 AND store_id = $2',
        [request.partNumber, store.id],
      );
      if (stock === undefined || stock.available < request.qty) continue;
      const planned = Object.assign(new Reservation(), claim.reservation, {
        status: 'reserved',
        storeId: store.id,
        tier: store.tier,
        eta: etaFor(store.tier, request.severity, request.now),
      });
      await manager.query('SAVEPOINT reserve_booking_last');
      await dependents(planned);
      const booked = await this.book(manager, request, planned.id, store);
      if (booked !== undefined) {
        await manager.query('RELEASE SAVEPOINT reserve_booking_last');
        return { reservation: booked, created: true };
      }
      await manager.query('ROLLBACK TO SAVEPOINT reserve_booking_last');
    }
    const reservation = this.backordered(claim.reservation);
    await dependents(reservation);
    return { reservation, created: true };
  }

  /**
   * Validates, claims the idempotency key (a `backordered` row, so concurrent duplicates wait on
   * the unique index and then replay), and lists the stores to try in fallback order.
   */
  private async claim(
    manager: EntityManager,
    request: ReserveRequest,
  ): Promise<
    | { replayed: Reservation; reservation?: undefined; stores?: undefined }
    | { replayed?: undefined; reservation: Reservation; stores: CandidateStore[] }
  > {
    const problems = reserveRequestProblems(request);
    if (problems.length > 0)
      throw new PartsError('RESERVATION_INVALID', problems.join('; '), { problems });
    const part = await manager.query<unknown[]>('SELECT 1 FROM part WHERE part_number = $1', [
      request.partNumber,
    ]);
    if (part.length === 0) throw new PartsError('PART_NOT_FOUND', `no part ${request.partNumber}`);

    const [claimed] = await manager.query<Record<string, unknown>[]>(
      `INSERT INTO reservation
         (idempotency_key, ticket_id, part_number, qty, status, created_at, created_by, updated_at)
       VALUES ($1, $2, $3, $4, 'backordered', $5, $6, $5)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING *`,
      [
        request.idempotencyKey,
        request.ticketId,
        request.partNumber,
        request.qty,
        request.now,
        request.actor,
      ],
    );
    if (claimed === undefined) return { replayed: await this.replay(manager, request) };
    const stores = await manager.query<CandidateStore[]>(
      `SELECT id, tier FROM store
        WHERE (tier = 'hospital' AND site_id = $1)
           OR (tier = 'regional' AND region = (SELECT region FROM site WHERE id = $1))
           OR tier = 'national'`,
      [request.siteId],
    );
    return { reservation: reservationFromRow(claimed), stores: fallbackOrder(stores) };
  }

  /**
   * One guarded statement: the stock update is the allocation (no read-then-write; the CHECK
   * reserved <= on_hand backs it up), with the ledger move and the reservation row riding in the
   * same statement. Undefined when the store has not enough available.
   */
  private async book(
    manager: EntityManager,
    request: ReserveRequest,
    reservationId: string,
    store: CandidateStore,
  ): Promise<Reservation | undefined> {
    const [booked] = await manager.query<Record<string, unknown>[]>(
      `WITH booked AS (
         UPDATE stock SET reserved = reserved + $3
          WHERE part_number = $1 AND store_id = $2 AND on_hand - reserved >= $3
         RETURNING store_id
       ), moved AS (
         INSERT INTO stock_move (part_number, store_id, type, qty, reservation_id, at, actor)
         SELECT $1, store_id, 'reserve', $3, $4, $6, $7 FROM booked
       ), done AS (
         UPDATE reservation SET status = 'reserved', store_id = booked.store_id, tier = $5,
                eta = $8
           FROM booked
          WHERE reservation.id = $4
         RETURNING reservation.*
       )
       SELECT * FROM done`,
      [
        request.partNumber,
        store.id,
        request.qty,
        reservationId,
        store.tier,
        request.now,
        request.actor,
        etaFor(store.tier, request.severity, request.now),
      ],
    );
    if (booked === undefined) return undefined;
    this.metrics.reservations.inc({ outcome: store.tier });
    return reservationFromRow(booked);
  }

  /** No store had it: the claimed row stays `backordered`. */
  private backordered(claimed: Reservation): Reservation {
    this.metrics.reservations.inc({ outcome: 'backordered' });
    return claimed;
  }

  async release(
    manager: EntityManager,
    reservationId: string,
    reason: string,
    actor: string,
    now: Date,
  ): Promise<Reservation> {
    if (reason.length < 1 || reason.length > 500)
      throw new PartsError('RESERVATION_INVALID', 'reason must have 1 to 500 characters');
    const reservation = await this.lockFor(manager, reservationId, 'release');
    if (holdsStock(reservation.status) && reservation.storeId !== null) {
      await this.changeStock(
        manager,
        reservation,
        `UPDATE stock SET reserved = reserved - $3
          WHERE part_number = $1 AND store_id = $2 AND reserved >= $3
          RETURNING *`,
      );
      await recordMove(manager, {
        partNumber: reservation.partNumber,
        storeId: reservation.storeId,
        type: 'release',
        qty: -reservation.qty,
        reservationId: reservation.id,
        actor,
        at: now,
        note: reason,
      });
    }
    await manager.query(
      `UPDATE reservation SET status = 'released', released_at = $2, release_reason = $3,
              updated_at = $2
        WHERE id = $1`,
      [reservation.id, now, reason],
    );
    return manager.findOneByOrFail(Reservation, { id: reservation.id });
  }

  /**
   * `deliveredAt` is when the part reached the engineer: `now` when the store records it, the
   * installation's (possibly back-dated) time when an installation implies it.
   */
  async deliver(
    manager: EntityManager,
    reservationId: string,
    _actor: string,
    now: Date,
    deliveredAt: Date = now,
  ): Promise<Reservation> {
    const reservation = await this.lockFor(manager, reservationId, 'deliver');
    await manager.query(
      `UPDATE reservation SET status = 'delivered', delivered_at = $3, updated_at = $2
        WHERE id = $1`,
      [reservation.id, now, deliveredAt],
    );
    return manager.findOneByOrFail(Reservation, { id: reservation.id });
  }

  async consume(
    manager: EntityManager,
    reservationId: string,
    actor: string,
    now: Date,
  ): Promise<Reservation> {
    const reservation = await this.lockFor(manager, reservationId, 'consume');
    const stock = await this.changeStock(
      manager,
      reservation,
      `UPDATE stock SET on_hand = on_hand - $3, reserved = reserved - $3
        WHERE part_number = $1 AND store_id = $2 AND reserved >= $3
        RETURNING *`,
    );
    await recordMove(manager, {
      partNumber: reservation.partNumber,
      storeId: stock.store_id,
      type: 'consume',
      qty: -reservation.qty,
      reservationId: reservation.id,
      actor,
      at: now,
    });
    await manager.query(
      `UPDATE reservation SET status = 'consumed', consumed_at = $2, updated_at = $2
        WHERE id = $1`,
      [reservation.id, now],
    );
    await raiseReplenishmentIfLow(manager, stock, actor, now);
    return manager.findOneByOrFail(Reservation, { id: reservation.id });
  }

  forTicket(manager: EntityManager, ticketId: string): Promise<Reservation[]> {
    return manager.find(Reservation, {
      where: { ticketId },
      // the order an opening or a diagnosis booked them in (part number within one instant)
      order: { createdAt: 'ASC', partNumber: 'ASC', id: 'ASC' },
    });
  }

  /** Read side for GET /reservations (no transaction needed). */
  list(filter: ReservationFilter): Promise<Reservation[]> {
    return this.dataSource.getRepository(Reservation).find({
      where: {
        ...(filter.ticketId !== undefined && { ticketId: filter.ticketId }),
        ...(filter.status !== undefined && { status: filter.status }),
        ...(filter.partNumber !== undefined && { partNumber: filter.partNumber }),
      },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: filter.limit,
    });
  }

  async get(reservationId: string): Promise<Reservation> {
    const found = UUID.test(reservationId)
      ? await this.dataSource.getRepository(Reservation).findOneBy({ id: reservationId })
      : null;
    if (found === null)
      throw new PartsError('RESERVATION_NOT_FOUND', `no reservation ${reservationId}`);
    return found;
  }

  /** A key seen before: the stored reservation, if the request is the same one. */
  private async replay(manager: EntityManager, request: ReserveRequest): Promise<Reservation> {
    const stored = await manager.findOneBy(Reservation, {
      idempotencyKey: request.idempotencyKey,
    });
    // Under READ COMMITTED the conflicting row is committed and visible by now.
    if (stored === null) throw new Error(`reservation key ${request.idempotencyKey} not visible`);
    if (!sameReserveRequest(stored, request)) {
      throw new PartsError(
        'RESERVATION_CONFLICT',
        'idempotency key already used for another ticket, part or quantity',
        { reservationId: stored.id },
      );
    }
    return stored;
  }

  /** Locks the reservation row (serialising transitions) and checks `action` is allowed. */
  private async lockFor(
    manager: EntityManager,
    reservationId: string,
    action: ReservationAction,
  ): Promise<Reservation> {
    const found = UUID.test(reservationId)
      ? await manager.findOne(Reservation, {
          where: { id: reservationId },
          lock: { mode: 'pessimistic_write' },
        })
      : null;
    if (found === null)
      throw new PartsError('RESERVATION_NOT_FOUND', `no reservation ${reservationId}`);
    if (nextStatus(found.status, action) === undefined) {
      throw new PartsError(
        'RESERVATION_STATE_INVALID',
        `cannot ${action} a reservation that is ${found.status}`,
        { status: found.status, action },
      );
    }
    return found;
  }

  /** A guarded change of the reservation's stock row; no row means the books disagree. */
  private async changeStock(
    manager: EntityManager,
    reservation: Reservation,
    sql: string,
  ): Promise<StockRow> {
    const [row] = await returning<StockRow>(manager, sql, [
      reservation.partNumber,
      reservation.storeId,
      reservation.qty,
    ]);
    // reserved only grows by reservations, and adjust/transfer never touch reserved units, so a
    // held reservation is always covered: reaching this is a bug, not a user error.
    if (row === undefined)
      throw new Error(
        `stock of ${reservation.partNumber} in ${reservation.storeId} lacks reservation ${reservation.id}`,
      );
    return row;
  }
}

/** A `reservation` row as SQL returns it, as the entity. */
function reservationFromRow(r: Record<string, unknown>): Reservation {
  return Object.assign(new Reservation(), {
    id: r['id'] as string,
    idempotencyKey: r['idempotency_key'] as string,
    ticketId: r['ticket_id'] as string,
    partNumber: r['part_number'] as string,
    qty: r['qty'] as number,
    status: r['status'] as ReservationStatus,
    storeId: r['store_id'] as string | null,
    tier: r['tier'] as Reservation['tier'],
    eta: r['eta'] as Date | null,
    createdAt: r['created_at'] as Date,
    createdBy: r['created_by'] as string,
    updatedAt: r['updated_at'] as Date,
    deliveredAt: r['delivered_at'] as Date | null,
    consumedAt: r['consumed_at'] as Date | null,
    releasedAt: r['released_at'] as Date | null,
    releaseReason: r['release_reason'] as string | null,
  });
}
