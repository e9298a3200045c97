import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import type { Severity, Zone } from '@orfleet/sla';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { MetricsService } from '../platform/metrics.service';
import { ReservationsService } from '../parts/reservations.service';
import type { Reservation } from '../parts/reservation.entity';
import { planEvent } from './ticket-events.rules';
import type { EventInput, LoggedEvent, PlannedEvent } from './ticket-events.rules';
import { listSql, encodeCursor, parseListQuery } from './ticket-query.rules';
import type { ListQueryInput, TicketFilter } from './ticket-query.rules';
import { TicketListCache } from './ticket-list.cache';
import { reportedNote, ticketStart } from './ticket-open.rules';
import { POLICY, evaluateTicket } from './ticket-sla.rules';
import type { TicketEvaluation } from './ticket-sla.rules';
import type { TicketDetailView, TicketPageView } from './ticket.dto';
import { Ticket } from './ticket.entity';
import type { TicketSource } from './ticket.entity';
import { TicketError } from './ticket.errors';
import { TicketStore, factsOf, queryRows, reservationPayload } from './ticket.store';
import { ticketDetailView, ticketView } from './ticket.views';
import type { StoredEventRow } from './ticket.views';

export interface OpenTicketInput {
  readonly severity: Severity;
  readonly title: string;
  readonly category: string;
  readonly description?: string;
  readonly deviceId?: string;
  readonly siteId?: string;
  readonly source?: TicketSource;
  readonly fingerprint?: string;
  /** Parts to reserve with the ticket (health rules: the parts that fix the fault). */
  readonly parts?: readonly { readonly partNumber: string; readonly qty: number }[];
  /** When a person reported it, if before now (epoch ms): the SLA clocks start there. */
  readonly reportedAt?: number;
}

export interface OpenedTicket {
  readonly ticket: TicketDetailView;
  /** False when an open ticket had the fingerprint: its occurrences went up instead. */
  readonly created: boolean;
}

@Injectable()
export class TicketsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly store: TicketStore,
    private readonly reservations: ReservationsService,
    private readonly listCache: TicketListCache,
  ) {}

  /**
   * Opens a ticket, or, when an open ticket has the same fingerprint, counts one more occurrence
   * on it and returns it with `created: false` (health rules call this on every firing). A
   * resolved, closed or cancelled ticket no longer holds its fingerprint (FINGERPRINT_FREE_STATUSES,
   * the partial unique index's list): the same fingerprint after it opens a new ticket.
   */
  async open(input: OpenTicketInput, actor: string): Promise<OpenedTicket> {
    const now = this.clock.now();
    const start = ticketStart(input, now.getTime());
    if (input.fingerprint !== undefined) {
      const counted = await this.listCache.afterWrite(
        this.dataSource.transaction((m) => this.countOccurrence(m, input, now)),
      );
      if (counted !== undefined) return { ticket: await this.get(counted), created: false };
    }
    const opened = await this.listCache.afterWrite(
      this.dataSource.transaction(async (m) => {
        const where = await this.location(m, input);
        // The number comes from a sequence (openings never wait for each other). A concurrent
        // open with the same fingerprint may win the race: then count on its ticket.
        const [row] = await m.query<(Record<string, unknown> & { inserted: boolean })[]>(
          `INSERT INTO ticket (number, severity, title, description, category, device_id, site_id,
           zone, source, fingerprint, status, policy_id, policy_version, occurrences, event_count,
           created_at, created_by, updated_at)
         VALUES ('T-' || $1::text || '-' || lpad(nextval('ticket_number_seq')::text, 6, '0'),
           $2, $3, $4, $5, $6, $7, $8, $9, $10, 'new', $11, $12, 1, 0, $15, $14, $13)
         ON CONFLICT (fingerprint) WHERE fingerprint IS NOT NULL
           AND status NOT IN ('resolved', 'closed', 'cancelled')
         DO UPDATE SET occurrences = ticket.occurrences + 1, updated_at = EXCLUDED.updated_at
         RETURNING *, (xmax = 0) AS inserted`,
          [
            now.getUTCFullYear(),
            input.severity,
            input.title,
            input.description ?? null,
            input.category,
            input.deviceId ?? null,
            where.siteId,
            where.zone,
            input.source ?? 'hotline',
            input.fingerprint ?? null,
            POLICY.id,
            POLICY.version,
            now,
            actor,
            new Date(start),
          ],
        );
        if (row === undefined) throw new Error('ticket insert returned nothing');
        const id = row['id'] as string;
        if (!row.inserted) return { id, view: undefined };
        // The row is ours alone until commit: no need to read it back and lock it.
        const ticket = fromRow(row);
        // Each part is booked as the last write of its step (see reserveBookingLast): the SLA rows
        // are stored first, so a popular part's stock row stays locked only until the commit.
        const logged: (LoggedEvent & { seq: number })[] = [];
        if (start < now.getTime()) {
          // the audit of a backdated report: who typed it in, and when (recorded_at)
          logged.push(
            await this.store.append(m, ticket, reportedNote(start, now.getTime()), actor, now),
          );
        }
        const reserved: Reservation[] = [];
        const parts = sortedParts(input.parts ?? []);
        let evaluation: TicketEvaluation | undefined;
        for (const [index, part] of parts.entries()) {
          const eventCount = ticket.eventCount;
          const loggedBefore = logged.length;
          const { reservation } = await this.reservations.reserveBookingLast(
            m,
            {
              ticketId: ticket.id,
              siteId: ticket.siteId,
              severity: ticket.severity,
              partNumber: part.partNumber,
              qty: part.qty,
              idempotencyKey: `ticket:${ticket.id}:open:${part.partNumber}`,
              actor,
              now,
            },
            async (planned) => {
              // repeatable: a tier that lost the race is rolled back and this runs again
              ticket.eventCount = eventCount;
              logged.length = loggedBefore;
              const event = {
                type: 'part_reserved',
                at: now.getTime(),
                payload: reservationPayload(planned),
              };
              logged.push(await this.store.append(m, ticket, event, actor, now));
              if (index === parts.length - 1) {
                evaluation = await this.store.commit(m, ticket, [], logged, now);
              }
            },
          );
          reserved.push(reservation);
        }
        evaluation ??= await this.store.commit(m, ticket, [], logged, now);
        this.metrics.ticketsOpened.inc({ severity: ticket.severity, source: ticket.source });
        // Everything the answer shows was just written: render it without reading it back.
        const rows = logged.map((e) => ({ ...e, at: new Date(e.at), recorded_at: now }));
        return { id, view: ticketDetailView(ticket, evaluation, rows, reserved, now) };
      }),
    );
    return opened.view === undefined
      ? { ticket: await this.get(opened.id), created: false }
      : { ticket: opened.view, created: true };
  }

  /** One more occurrence on the open ticket with this fingerprint, if there is one. */
  private async countOccurrence(
    m: EntityManager,
    input: OpenTicketInput,
    now: Date,
  ): Promise<string | undefined> {
    const [hit] = await queryRows<{ id: string }>(
      m,
      `UPDATE ticket SET occurrences = occurrences + 1, updated_at = $2
        WHERE fingerprint = $1 AND status NOT IN ('resolved', 'closed', 'cancelled') RETURNING id`,
      [input.fingerprint, now],
    );
    return hit?.id;
  }

  /** A device implies its site (and must agree with a site given too); zone frozen from the site. */
  private async location(
    m: EntityManager,
    input: OpenTicketInput,
  ): Promise<{ siteId: string; zone: Zone }> {
    if (input.deviceId !== undefined) {
      const [device] = await m.query<{ site_id: string; zone: Zone }[]>(
        'SELECT d.site_id, s.zone FROM device d JOIN site s ON s.id = d.site_id WHERE d.id = $1',
        [input.deviceId],
      );
      if (device === undefined) {
        throw new TicketError('TICKET_INVALID', `deviceId: no device ${input.deviceId}`);
      }
      if (input.siteId !== undefined && input.siteId !== device.site_id) {
        throw new TicketError(
          'TICKET_INVALID',
          `siteId: device ${input.deviceId} is at ${device.site_id}, not ${input.siteId}`,
        );
      }
      return { siteId: device.site_id, zone: device.zone };
    }
    const [site] = await m.query<{ zone: Zone }[]>('SELECT zone FROM site WHERE id = $1', [
      input.siteId,
    ]);
    if (site === undefined)
      throw new TicketError('TICKET_INVALID', `siteId: no site ${input.siteId}`);
    return { siteId: input.siteId ?? '', zone: site.zone };
  }

  /**
   * One event, one transaction: lock the ticket, check the event against the status machine,
   * append it (and the part events its stock changes cause), recompute the SLA, store.
   */
  async addEvent(ticketId: string, input: EventInput, actor: string): Promise<TicketDetailView> {
    await this.listCache.afterWrite(
      this.dataSource.transaction(async (m) => {
        const now = this.clock.now();
        const ticket = await this.store.lock(m, ticketId);
        const before = await this.store.events(m, ticketId);
        const state = evaluateTicket(factsOf(ticket), before, now.getTime()).state;
        const siteZone = input.type === 'dispatch' ? await this.siteZone(m, ticket) : ticket.zone;
        const planned = planEvent(state, input, { now: now.getTime(), siteZone });
        const appended: LoggedEvent[] = [];
        const append = async (event: PlannedEvent | Parameters<TicketStore['append']>[2]) => {
          const logged = await this.store.append(m, ticket, event, actor, now);
          appended.push(logged);
          return logged;
        };

        if (planned.type === 'parts_installed') {
          // the parts went in: consume what was reserved or delivered for the ticket
          const held = (await this.reservations.forTicket(m, ticketId))
            .filter((r) => r.status === 'reserved' || r.status === 'delivered')
            .sort(lockOrder);
          const consumed: string[] = [];
          for (const r of held) {
            if (r.status === 'reserved') {
              // a part that went in was delivered, at the latest when it was installed: record
              // it, or its PART_DELIVERY clock would run on (and breach) after the repair
              const delivered = await this.reservations.deliver(
                m,
                r.id,
                actor,
                now,
                new Date(planned.at),
              );
              await append({
                type: 'part_delivered',
                at: planned.at,
                payload: reservationPayload(delivered, { impliedBy: 'parts_installed' }),
              });
            }
            consumed.push((await this.reservations.consume(m, r.id, actor, now)).id);
          }
          await append({ ...planned, payload: { ...planned.payload, consumed } });
        } else {
          const main = await append(planned);
          if (planned.type === 'diagnose') {
            for (const part of sortedParts(input.parts ?? [])) {
              const { reservation, created } = await this.reservations.reserve(m, {
                ticketId,
                siteId: ticket.siteId,
                severity: state.severity,
                partNumber: part.partNumber,
                qty: part.qty,
                idempotencyKey: `ticket:${ticketId}:event:${main.seq}:${part.partNumber}`,
                actor,
                now,
              });
              if (!created) continue; // already booked and logged under this key
              await append({
                type: 'part_reserved',
                at: planned.at,
                payload: reservationPayload(reservation, { causedBy: main.seq }),
              });
            }
          }
          const releases =
            planned.type === 'cancel' ||
            planned.type === 'close' ||
            (planned.type === 'restore' && input.mode === 'remote');
          if (releases) {
            // contract 8.3: cancelled, closed or fixed remotely: the parts go back to stock
            const open = (await this.reservations.forTicket(m, ticketId))
              .filter((r) => ['reserved', 'delivered', 'backordered'].includes(r.status))
              .sort(lockOrder);
            for (const r of open) {
              const released = await this.reservations.release(
                m,
                r.id,
                `ticket ${planned.type}${planned.type === 'restore' ? ' remote' : ''}`,
                actor,
                now,
              );
              await append({
                type: 'part_released',
                at: planned.at,
                payload: reservationPayload(released, { causedBy: main.seq }),
              });
            }
          }
        }
        await this.store.commit(m, ticket, before, [...before, ...appended], now);
      }),
    );
    return this.get(ticketId);
  }

  private async siteZone(m: EntityManager, ticket: Ticket): Promise<Zone> {
    const [site] = await m.query<{ zone: Zone }[]>('SELECT zone FROM site WHERE id = $1', [
      ticket.siteId,
    ]);
    return site?.zone ?? ticket.zone;
  }

  get(ticketId: string): Promise<TicketDetailView> {
    return this.dataSource.transaction('REPEATABLE READ', (m) =>
      this.detail(m, ticketId, this.clock.now()),
    );
  }

  /** The ticket with its log, reservations, visits and milestones recomputed as of `now`. */
  async detail(m: EntityManager, ticketId: string, now: Date): Promise<TicketDetailView> {
    const ticket = await m.getRepository(Ticket).findOne({ where: { id: ticketId } });
    if (ticket === null) throw new TicketError('TICKET_NOT_FOUND', `no ticket ${ticketId}`);
    const rows = await m.query<StoredEventRow[]>(
      `SELECT seq, type, at, recorded_at, actor, payload FROM ticket_event
        WHERE ticket_id = $1 ORDER BY seq`,
      [ticketId],
    );
    const events: LoggedEvent[] = rows.map((r) => ({
      type: r.type,
      at: r.at.getTime(),
      actor: r.actor,
      payload: r.payload,
    }));
    const evaluation = evaluateTicket(factsOf(ticket), events, now.getTime());
    const reservations: Reservation[] = await this.reservations.forTicket(m, ticketId);
    return ticketDetailView(ticket, evaluation, rows, reservations, now);
  }

  /** A list page as JSON text, shared between identical concurrent queries (TicketListCache). */
  listJson(query: ListQueryInput): Promise<string> {
    const filter = parseListQuery(query);
    return this.listCache.get(JSON.stringify(filter), async () =>
      JSON.stringify(await this.page(filter)),
    );
  }

  private async page(filter: TicketFilter): Promise<TicketPageView> {
    const { sql, params } = listSql(filter, '*');
    const rows = await this.dataSource.query<Record<string, unknown>[]>(sql, params);
    const tickets = rows.map(fromRow);
    const page = tickets.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map(ticketView),
      nextCursor:
        tickets.length > filter.limit && last !== undefined
          ? encodeCursor({
              nextDueAt: last.nextDueAt?.getTime() ?? null,
              createdAt: last.createdAt.getTime(),
              id: last.id,
            })
          : null,
    };
  }
}

/** Parts in part-number order: stock rows are locked in one order by every transaction. */
function sortedParts<P extends { readonly partNumber: string }>(parts: readonly P[]): P[] {
  const sorted = [...parts].sort((a, b) =>
    a.partNumber < b.partNumber ? -1 : a.partNumber > b.partNumber ? 1 : 0,
  );
  // One line per part: a part's reservation key is derived from its number.
  const twice = sorted.find((p, i) => i > 0 && sorted[i - 1]?.partNumber === p.partNumber);
  if (twice !== undefined) {
    throw new TicketError(
      'TICKET_INVALID',
      `parts: ${twice.partNumber} is listed twice; give one line with the total qty`,
    );
  }
  return sorted;
}

/** Stock rows are locked in one order by every transaction: no deadlocks between tickets. */
// (part, store, id): the order stock rows are locked in by transfers too.
function lockOrder(a: Reservation, b: Reservation): number {
  const ka = `${a.partNumber}\u0000${a.storeId ?? ''}\u0000${a.id}`;
  const kb = `${b.partNumber}\u0000${b.storeId ?? ''}\u0000${b.id}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** snake_case row of `SELECT * FROM ticket` to the entity's fields. */
function fromRow(r: Record<string, unknown>): Ticket {
  return {
    id: r['id'] as string,
    number: r['number'] as string,
    severity: r['severity'] as Severity,
    title: r['title'] as string,
    description: r['description'] as string | null,
    category: r['category'] as string,
    deviceId: r['device_id'] as string | null,
    siteId: r['site_id'] as string,
    zone: r['zone'] as Zone,
    source: r['source'] as TicketSource,
    fingerprint: r['fingerprint'] as string | null,
    status: r['status'] as string,
    policyId: r['policy_id'] as string,
    policyVersion: r['policy_version'] as number,
    occurrences: r['occurrences'] as number,
    eventCount: r['event_count'] as number,
    createdAt: r['created_at'] as Date,
    createdBy: r['created_by'] as string,
    updatedAt: r['updated_at'] as Date,
    acknowledgedAt: r['acknowledged_at'] as Date | null,
    respondedAt: r['responded_at'] as Date | null,
    restoredAt: r['restored_at'] as Date | null,
    restoredHow: r['restored_how'] as string | null,
    resolvedAt: r['resolved_at'] as Date | null,
    closedAt: r['closed_at'] as Date | null,
    cancelledAt: r['cancelled_at'] as Date | null,
    nextDueAt: r['next_due_at'] as Date | null,
    nextChangeAt: r['next_change_at'] as Date | null,
    breached: r['breached'] as boolean,
    atRisk: r['at_risk'] as boolean,
    slaComputedAt: r['sla_computed_at'] as Date | null,
  } satisfies Ticket;
}
