// GET /tickets: filters and the keyset cursor. Order: next due first (none last), then oldest,
// then id; the cursor is the last row's sort key, opaque to clients.
import { SEVERITIES } from '@orfleet/sla';
import type { Severity } from '@orfleet/sla';
import { TICKET_STATUSES } from './ticket-events.rules';
import type { TicketStatus } from './ticket-events.rules';
import { TicketError } from './ticket.errors';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export interface SortKey {
  /** null: no running deadline (sorts last). */
  readonly nextDueAt: number | null;
  readonly createdAt: number;
  readonly id: string;
}

export interface TicketFilter {
  /** 'open' = not closed or cancelled. */
  readonly status: 'open' | readonly TicketStatus[] | null;
  readonly severity: readonly Severity[] | null;
  readonly site: string | null;
  readonly device: string | null;
  readonly breached: boolean | null;
  readonly atRisk: boolean | null;
  readonly after: SortKey | null;
  readonly limit: number;
}

export interface ListQueryInput {
  readonly status?: string;
  readonly severity?: string;
  readonly site?: string;
  readonly device?: string;
  readonly breached?: 'true' | 'false';
  readonly atRisk?: 'true' | 'false';
  readonly cursor?: string;
  readonly limit?: number;
}

function list<T extends string>(raw: string, allowed: readonly T[], field: string): T[] {
  const values = raw.split(',').map((v) => v.trim());
  const bad = values.filter((v) => !(allowed as readonly string[]).includes(v));
  if (bad.length > 0 || values.length === 0) {
    const message = `${field}: expected a comma list of ${allowed.join(', ')}; got ${bad.join(', ')}`;
    throw new TicketError('VALIDATION_FAILED', message, { fields: [message] });
  }
  return [...new Set(values)] as T[];
}

const bool = (v: 'true' | 'false' | undefined): boolean | null =>
  v === undefined ? null : v === 'true';

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify([key.nextDueAt, key.createdAt, key.id])).toString('base64url');
}

export function decodeCursor(cursor: string): SortKey {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 3) {
      const [due, created, id] = value as unknown[];
      if (
        (due === null || Number.isSafeInteger(due)) &&
        Number.isSafeInteger(created) &&
        typeof id === 'string' &&
        /^[0-9a-f-]{36}$/.test(id)
      ) {
        return { nextDueAt: due as number | null, createdAt: created as number, id };
      }
    }
  } catch {
    // fall through: any undecodable cursor is the client's mistake
  }
  throw new TicketError('CURSOR_INVALID', 'cursor: not a cursor this API issued');
}

export function parseListQuery(query: ListQueryInput): TicketFilter {
  const status =
    query.status === undefined
      ? null
      : query.status === 'open'
        ? 'open'
        : list(query.status, TICKET_STATUSES, 'status');
  return {
    status,
    severity: query.severity === undefined ? null : list(query.severity, SEVERITIES, 'severity'),
    site: query.site ?? null,
    device: query.device ?? null,
    breached: bool(query.breached),
    atRisk: bool(query.atRisk),
    after: query.cursor === undefined ? null : decodeCursor(query.cursor),
    limit: Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT),
  };
}

/**
 * One SQL statement for a page (no N+1): filters as parameters, the order matching the index
 * `ticket_due_order` (or its partial twin for open tickets), `limit + 1` rows to know whether a
 * next page exists.
 */
export function listSql(filter: TicketFilter, columns: string): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  // literal, so the planner can use the partial index of open tickets
  if (filter.status === 'open') where.push(`status NOT IN ('closed', 'cancelled')`);
  else if (filter.status !== null) where.push(`status = ANY(${param(filter.status)}::text[])`);
  if (filter.severity !== null) where.push(`severity = ANY(${param(filter.severity)}::text[])`);
  if (filter.site !== null) where.push(`site_id = ${param(filter.site)}`);
  if (filter.device !== null) where.push(`device_id = ${param(filter.device)}`);
  if (filter.breached !== null) where.push(`breached = ${param(filter.breached)}`);
  if (filter.atRisk !== null) where.push(`at_risk = ${param(filter.atRisk)}`);
  const due = `COALESCE(next_due_at, 'infinity'::timestamptz)`;
  if (filter.after !== null) {
    const a = filter.after;
    where.push(
      `(${due}, created_at, id) > (${param(
        a.nextDueAt === null ? 'infinity' : new Date(a.nextDueAt).toISOString(),
      )}::timestamptz, ${param(new Date(a.createdAt).toISOString())}::timestamptz, ${param(a.id)}::uuid)`,
    );
  }
  const sql =
    `SELECT ${columns} FROM ticket` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY ${due}, created_at, id LIMIT ${param(filter.limit + 1)}`;
  return { sql, params };
}
