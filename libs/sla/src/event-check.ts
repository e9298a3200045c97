import { EVENT_TYPES, RESTORE_METHODS } from './events';
import type { SlaEvent } from './events';
import { SEVERITIES, STORE_TIERS, ZONES } from './severity';

// Events come from a store or an API as JSON; TypeScript types do not survive that trip, so the
// engine checks each one and reports a bad one as an issue instead of computing nonsense.

const isText = (value: unknown): boolean => typeof value === 'string' && value.length > 0;
const isInstant = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);
const oneOf = (values: readonly string[], value: unknown): boolean =>
  typeof value === 'string' && values.includes(value);

/** Why `event` is malformed, or null when it is a well-formed SlaEvent. */
export function eventProblem(event: SlaEvent): string | null {
  const raw = event as unknown as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) return 'event is not an object';
  if (!oneOf(EVENT_TYPES, raw['type'])) return `unknown event type ${String(raw['type'])}`;
  if (!isInstant(raw['at'])) return '`at` must be finite epoch ms';
  const need = (field: string, ok: (value: unknown) => boolean): string | null =>
    ok(raw[field]) ? null : `${event.type}: bad or missing \`${field}\``;
  const optional = (field: string, ok: (value: unknown) => boolean): string | null =>
    raw[field] === undefined ? null : need(field, ok);
  switch (event.type) {
    case 'contact_logged':
    case 'remote_work_started':
    case 'ticket_cancelled':
    case 'ticket_closed':
      return null;
    case 'visit_dispatched':
      return (
        need('visitId', isText) ??
        optional('zone', (v) => oneOf(ZONES, v)) ??
        optional('agreedArrivalAt', isInstant)
      );
    case 'visit_arrived':
    case 'visit_cancelled':
    case 'verification_started':
    case 'verification_passed':
    case 'verification_failed':
    case 'visit_departed':
    case 'report_submitted':
      return need('visitId', isText);
    case 'visit_diagnosed':
      return need('visitId', isText) ?? need('needsParts', (v) => typeof v === 'boolean');
    case 'part_reserved':
      return (
        need('reservationId', isText) ??
        need('tier', (v) => oneOf(STORE_TIERS, v)) ??
        optional('etaAt', isInstant)
      );
    case 'part_eta_changed':
      return need('reservationId', isText) ?? need('etaAt', isInstant);
    case 'part_delivered':
    case 'part_released':
      return need('reservationId', isText);
    case 'parts_replaced':
      return optional('visitId', isText);
    case 'service_restored':
      return need('how', (v) => oneOf(RESTORE_METHODS, v));
    case 'severity_changed':
      return need('to', (v) => oneOf(SEVERITIES, v));
    case 'clock_paused':
      return (
        // Any reason text passes here: the engine rejects a reason no milestone allows with
        // PAUSE_REASON_NOT_ALLOWED, which says more than "invalid event".
        need('reason', isText) ??
        need('by', isText) ??
        optional('milestone', isText) ??
        optional('scopeId', isText)
      );
    case 'clock_resumed':
      return need('by', isText) ?? optional('milestone', isText) ?? optional('scopeId', isText);
  }
}
