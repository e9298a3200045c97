// When a ticket's clocks start. Pure: `now` is an argument.
import type { TicketSource } from './ticket.entity';
import { TicketError } from './ticket.errors';

/** How far back a report time may go: a call taken at night and typed in the next morning. */
export const MAX_REPORT_AGE_MS = 24 * 60 * 60_000;

/** Sources whose tickets a person reports, and so may carry the time the report came in. */
const REPORTED_BY_PEOPLE: readonly TicketSource[] = ['hotline', 'portal', 'api'];

/** An ISO 8601 time of day followed by `Z` or a UTC offset (`+01:00`, `-0500`, `+01`). */
const UTC_OFFSET = /[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * `reportedAt` as given on the wire to epoch ms. It must say its offset: a bare local time
 * (`2026-03-02T07:18:00`) would be read in the server's time zone, which the caller cannot see,
 * and shift every SLA clock by hours without a trace. Refused as a malformed field (400).
 */
export function parseReportedAt(iso: string): number {
  if (!UTC_OFFSET.test(iso.trim())) {
    throw new TicketError(
      'VALIDATION_FAILED',
      `reportedAt: give the UTC offset or Z (e.g. 2026-03-02T07:18:00Z or 2026-03-02T08:18:00+01:00), not ${JSON.stringify(iso)}`,
    );
  }
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) {
    throw new TicketError(
      'VALIDATION_FAILED',
      `reportedAt: not a valid instant: ${JSON.stringify(iso)}`,
    );
  }
  return ms;
}

/**
 * The instant a new ticket is created at, which every SLA clock counts from (contract: "counted
 * 7x24 from the ticket's creation", i.e. from when the report reached the service desk). A call
 * taken by phone and typed in later gives that time as `reportedAt`, so its clocks are not
 * shortened by the typing; without one the ticket starts now. Bounded: never in the future, at
 * most MAX_REPORT_AGE_MS back, and never for a health-rule ticket (it starts when the rule fires).
 */
export function ticketStart(
  input: { readonly reportedAt?: number; readonly source?: TicketSource },
  now: number,
): number {
  const reportedAt = input.reportedAt;
  if (reportedAt === undefined) return now;
  const source = input.source ?? 'hotline';
  if (!REPORTED_BY_PEOPLE.includes(source)) {
    throw new TicketError(
      'TICKET_INVALID',
      `reportedAt: only for tickets people report (${REPORTED_BY_PEOPLE.join(', ')}), not ${source}`,
    );
  }
  if (!Number.isFinite(reportedAt)) {
    throw new TicketError('TICKET_INVALID', 'reportedAt: not a valid instant');
  }
  if (reportedAt > now) {
    throw new TicketError('TICKET_INVALID', 'reportedAt: may not be in the future', {
      reportedAt: new Date(reportedAt).toISOString(),
      now: new Date(now).toISOString(),
    });
  }
  if (now - reportedAt > MAX_REPORT_AGE_MS) {
    throw new TicketError(
      'TICKET_INVALID',
      `reportedAt: at most ${MAX_REPORT_AGE_MS / 3_600_000} h back; put an older report time in the description`,
      { notBefore: new Date(now - MAX_REPORT_AGE_MS).toISOString() },
    );
  }
  return reportedAt;
}

/**
 * The audit note a backdated ticket carries as its first event: logged at the report time,
 * recorded now by whoever typed it in (the event's actor and `recordedAt`).
 */
export function reportedNote(
  start: number,
  now: number,
): { type: 'note'; at: number; payload: Record<string, unknown> } {
  const minutes = Math.round((now - start) / 60_000);
  return {
    type: 'note',
    at: start,
    payload: {
      text: `reported at ${new Date(start).toISOString()}, entered ${minutes} min later; SLA clocks count from the report`,
      reportedAt: new Date(start).toISOString(),
      enteredAt: new Date(now).toISOString(),
    },
  };
}
