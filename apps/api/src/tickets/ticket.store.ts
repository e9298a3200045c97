import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MetricsService } from '../platform/metrics.service';
import type { Reservation } from '../parts/reservation.entity';
import type { LoggedEvent } from './ticket-events.rules';
import { evaluateTicket, newIssues } from './ticket-sla.rules';
import type { TicketEvaluation, TicketFactsInput } from './ticket-sla.rules';
import { TicketError } from './ticket.errors';
import { Ticket } from './ticket.entity';

/** pg answers UPDATE/DELETE through TypeORM as [rows, count], everything else as rows. */
export async function queryRows<T>(
  m: EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const result: unknown = await m.query(sql, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}

export const factsOf = (ticket: Ticket): TicketFactsInput => ({
  ticketId: ticket.id,
  createdAt: ticket.createdAt.getTime(),
  severity: ticket.severity,
  zone: ticket.zone,
});

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The payload a part event carries: enough for the SLA (tier, ETA) and for people. */
export function reservationPayload(r: Reservation, extra: Record<string, unknown> = {}) {
  return {
    reservationId: r.id,
    partNumber: r.partNumber,
    qty: r.qty,
    status: r.status,
    storeId: r.storeId,
    tier: r.tier,
    etaAt: r.eta?.toISOString() ?? null,
    ...extra,
  };
}

/**
 * A ticket's log and derived rows: lock, read the log, append, and store what libs/sla computes
 * from it. Every write of milestones goes through `save`: they are recomputed, never edited.
 */
@Injectable()
export class TicketStore {
  constructor(private readonly metrics: MetricsService) {}

  /** The ticket row, locked for this transaction: events of one ticket are serialised. */
  async lock(m: EntityManager, id: string): Promise<Ticket> {
    const ticket = await m
      .getRepository(Ticket)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (ticket === null) throw new TicketError('TICKET_NOT_FOUND', `no ticket ${id}`);
    return ticket;
  }

  async events(m: EntityManager, ticketId: string): Promise<LoggedEvent[]> {
    const rows = await m.query<{ type: string; at: Date; actor: string; payload: object }[]>(
      'SELECT type, at, actor, payload FROM ticket_event WHERE ticket_id = $1 ORDER BY seq',
      [ticketId],
    );
    return rows.map((r) => ({
      type: r.type,
      at: r.at.getTime(),
      actor: r.actor,
      payload: r.payload as Record<string, unknown>,
    }));
  }

  /** Appends one event (seq from the locked row's event_count). */
  async append(
    m: EntityManager,
    ticket: Ticket,
    event: { type: string; at: number; payload: Record<string, unknown> },
    actor: string,
    now: Date,
  ): Promise<LoggedEvent & { seq: number }> {
    const seq = ticket.eventCount + 1;
    ticket.eventCount = seq;
    await m.query(
      `INSERT INTO ticket_event (ticket_id, seq, type, at, recorded_at, actor, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [ticket.id, seq, event.type, new Date(event.at), now, actor, JSON.stringify(event.payload)],
    );
    return { seq, type: event.type, at: event.at, actor, payload: event.payload };
  }

  /**
   * Recomputes after appending: refuses (and so rolls back) events the SLA engine would skip,
   * then stores the result. `before` is the log as it was, `after` with the new events.
   */
  async commit(
    m: EntityManager,
    ticket: Ticket,
    before: readonly LoggedEvent[],
    after: readonly LoggedEvent[],
    now: Date,
  ): Promise<TicketEvaluation> {
    const facts = factsOf(ticket);
    const old = evaluateTicket(facts, before, now.getTime());
    const evaluation = evaluateTicket(facts, after, now.getTime());
    const added = newIssues(old.result.issues, evaluation.result.issues);
    if (added.length > 0) {
      throw new TicketError(
        'TICKET_EVENT_INVALID',
        added.map((i) => `${i.code}: ${i.message}`).join('; '),
        { issues: added.map((i) => ({ code: i.code, message: i.message })) },
      );
    }
    await this.save(m, ticket, evaluation, now);
    return evaluation;
  }

  /** Recompute from the stored log at `now` and store (the scheduler's path). */
  async refresh(m: EntityManager, ticket: Ticket, now: Date): Promise<number> {
    const evaluation = evaluateTicket(
      factsOf(ticket),
      await this.events(m, ticket.id),
      now.getTime(),
    );
    return this.save(m, ticket, evaluation, now);
  }

  /** Replaces the milestone rows, updates the summary, records new alerts; returns their count. */
  async save(
    m: EntityManager,
    ticket: Ticket,
    evaluation: TicketEvaluation,
    now: Date,
  ): Promise<number> {
    const s = evaluation.summary;
    // One statement: upsert the recomputed milestones, drop the ones that no longer exist, update
    // the summary. No row is touched twice, so the sub-statements cannot collide.
    await m.query(
      `WITH fresh AS (
         SELECT * FROM jsonb_to_recordset($17::jsonb) AS r(
           key text, code text, scope text, scope_id text, kind text, state text,
           started_at timestamptz, due_at timestamptz, original_due_at timestamptz,
           met_at timestamptz, breached_at timestamptz, lateness_ms bigint, paused_ms bigint,
           next_warning_at timestamptz, forecast_at timestamptz, at_risk boolean, severity text)
       ), gone AS (
         DELETE FROM ticket_milestone
          WHERE ticket_id = $1 AND key NOT IN (SELECT key FROM fresh)
       ), kept AS (
         INSERT INTO ticket_milestone (ticket_id, key, code, scope, scope_id, kind, state,
           started_at, due_at, original_due_at, met_at, breached_at, lateness_ms, paused_ms,
           next_warning_at, forecast_at, at_risk, severity)
         SELECT $1, key, code, scope, scope_id, kind, state, started_at, due_at, original_due_at,
                met_at, breached_at, lateness_ms, paused_ms, next_warning_at, forecast_at,
                at_risk, severity
           FROM fresh
         ON CONFLICT (ticket_id, key) DO UPDATE SET code = EXCLUDED.code, scope = EXCLUDED.scope,
           scope_id = EXCLUDED.scope_id, kind = EXCLUDED.kind, state = EXCLUDED.state,
           started_at = EXCLUDED.started_at, due_at = EXCLUDED.due_at,
           original_due_at = EXCLUDED.original_due_at, met_at = EXCLUDED.met_at,
           breached_at = EXCLUDED.breached_at, lateness_ms = EXCLUDED.lateness_ms,
           paused_ms = EXCLUDED.paused_ms, next_warning_at = EXCLUDED.next_warning_at,
           forecast_at = EXCLUDED.forecast_at, at_risk = EXCLUDED.at_risk,
           severity = EXCLUDED.severity
       )
       UPDATE ticket SET status = $2, severity = $3, event_count = $4, updated_at = $5,
         acknowledged_at = $6, responded_at = $7, restored_at = $8, restored_how = $9,
         resolved_at = $10, closed_at = $11, cancelled_at = $12, next_due_at = $13,
         next_change_at = $14, breached = $15, at_risk = $16, sla_computed_at = $5
       WHERE id = $1`,
      [
        ticket.id,
        s.status,
        s.severity,
        ticket.eventCount,
        now,
        date(s.acknowledgedAt),
        date(s.respondedAt),
        date(s.restoredAt),
        s.restoredHow,
        date(s.resolvedAt),
        date(s.closedAt),
        date(s.cancelledAt),
        date(s.nextDueAt),
        date(s.nextChangeAt),
        s.breached,
        s.atRisk,
        JSON.stringify(
          evaluation.milestones.map((row) => ({
            key: row.key,
            code: row.code,
            scope: row.scope,
            scope_id: row.scopeId,
            kind: row.kind,
            state: row.state,
            started_at: iso(row.startedAt),
            due_at: iso(row.dueAt),
            original_due_at: iso(row.originalDueAt),
            met_at: iso(row.metAt),
            breached_at: iso(row.breachedAt),
            lateness_ms: row.latenessMs,
            paused_ms: row.pausedMs,
            next_warning_at: iso(row.nextWarningAt),
            forecast_at: iso(row.forecastAt),
            at_risk: row.atRisk,
            severity: row.severity,
          })),
        ),
      ],
    );
    if (evaluation.alerts.length === 0) return 0;
    // Once each, whatever the restarts and however many processes: the unique key decides.
    const raised = await m.query<{ milestone_key: string; kind: string }[]>(
      `INSERT INTO sla_alert (ticket_id, milestone_key, kind, due_at, raised_at)
       SELECT $1, a.key, a.kind, a.due, $2
         FROM jsonb_to_recordset($3::jsonb) AS a(key text, kind text, due timestamptz)
       ON CONFLICT (ticket_id, milestone_key, kind) DO NOTHING
       RETURNING milestone_key, kind`,
      [
        ticket.id,
        now,
        JSON.stringify(
          evaluation.alerts.map((a) => ({
            key: a.milestoneKey,
            kind: a.kind,
            due: new Date(a.dueAt).toISOString(),
          })),
        ),
      ],
    );
    const codes = new Map(evaluation.alerts.map((a) => [a.milestoneKey, a.code]));
    for (const row of raised) {
      this.metrics.slaAlerts.inc({ kind: row.kind, milestone: codes.get(row.milestone_key) ?? '' });
    }
    return raised.length;
  }
}
