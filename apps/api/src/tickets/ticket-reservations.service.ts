import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { DomainError } from '../platform/domain-error';
import { ReservationsService } from '../parts/reservations.service';
import type { Reservation } from '../parts/reservation.entity';
import { FINAL_STATUSES } from './ticket-events.rules';
import type { TicketStatus } from './ticket-events.rules';
import { TicketError } from './ticket.errors';
import type { Ticket } from './ticket.entity';
import { TicketListCache } from './ticket-list.cache';
import { TicketStore, reservationPayload } from './ticket.store';

export interface ReserveInput {
  readonly ticketId: string;
  readonly partNumber: string;
  readonly qty: number;
  readonly idempotencyKey: string;
}

/**
 * Stock changes made for a ticket, each with the ticket event that lets the SLA see it, in one
 * transaction. Lock order everywhere: the ticket row first, then stock (ReservationsService), so
 * parallel reservations for different tickets cannot deadlock.
 */
@Injectable()
export class TicketReservationsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly store: TicketStore,
    private readonly reservations: ReservationsService,
    private readonly listCache: TicketListCache,
  ) {}

  reserve(
    input: ReserveInput,
    actor: string,
  ): Promise<{ reservation: Reservation; created: boolean }> {
    return this.listCache.afterWrite(
      this.dataSource.transaction(async (m) => {
        const now = this.clock.now();
        const ticket = await this.store.lock(m, input.ticketId);
        const result = await this.reservations.reserve(m, {
          ticketId: ticket.id,
          siteId: ticket.siteId,
          severity: ticket.severity,
          partNumber: input.partNumber,
          qty: input.qty,
          idempotencyKey: input.idempotencyKey,
          actor,
          now,
        });
        // A retry returns the first booking and logs nothing new; a new one must fit the ticket.
        if (!result.created) return result;
        requireOpen(ticket, 'reserve parts');
        await this.log(m, ticket, 'part_reserved', result.reservation, actor, now);
        return result;
      }),
    );
  }

  deliver(reservationId: string, actor: string): Promise<Reservation> {
    return this.listCache.afterWrite(
      this.dataSource.transaction(async (m) => {
        const now = this.clock.now();
        const ticket = await this.store.lock(m, await this.ticketOf(m, reservationId));
        const reservation = await this.reservations.deliver(m, reservationId, actor, now);
        await this.log(m, ticket, 'part_delivered', reservation, actor, now);
        return reservation;
      }),
    );
  }

  release(reservationId: string, reason: string, actor: string): Promise<Reservation> {
    return this.listCache.afterWrite(
      this.dataSource.transaction(async (m) => {
        const now = this.clock.now();
        const ticket = await this.store.lock(m, await this.ticketOf(m, reservationId));
        const reservation = await this.reservations.release(m, reservationId, reason, actor, now);
        await this.log(m, ticket, 'part_released', reservation, actor, now, { reason });
        return reservation;
      }),
    );
  }

  private async ticketOf(m: EntityManager, reservationId: string): Promise<string> {
    const [row] = await m.query<{ ticket_id: string }[]>(
      'SELECT ticket_id FROM reservation WHERE id = $1',
      [reservationId],
    );
    if (row === undefined) {
      throw new DomainError('RESERVATION_NOT_FOUND', `no reservation ${reservationId}`);
    }
    return row.ticket_id;
  }

  private async log(
    m: EntityManager,
    ticket: Ticket,
    type: 'part_reserved' | 'part_delivered' | 'part_released',
    reservation: Reservation,
    actor: string,
    now: Date,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const before = await this.store.events(m, ticket.id);
    const at = Math.max(now.getTime(), before.at(-1)?.at ?? 0);
    const event = await this.store.append(
      m,
      ticket,
      { type, at, payload: reservationPayload(reservation, extra) },
      actor,
      now,
    );
    await this.store.commit(m, ticket, before, [...before, event], now);
  }
}

function requireOpen(ticket: Ticket, what: string): void {
  if ((FINAL_STATUSES as readonly string[]).includes(ticket.status)) {
    throw new TicketError(
      'TICKET_TRANSITION_INVALID',
      `cannot ${what}: ticket is ${ticket.status as TicketStatus}`,
      { status: ticket.status, allowed: [] },
    );
  }
}
