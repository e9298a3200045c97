import type { MilestoneCode, PauseReason } from './policy';
import type { Severity, StoreTier, Zone } from './severity';

/** How service came back (contract: remote fix, swap unit or loaner device; or fixed on site). */
export const RESTORE_METHODS = ['remote', 'swap', 'loaner', 'onsite_fix'] as const;
export type RestoreMethod = (typeof RESTORE_METHODS)[number];

/**
 * One fact in a ticket's append-only log. `at` is epoch ms. The ticket's creation is not an
 * event: it comes from TicketFacts (createdAt, initial severity, hospital zone).
 *
 * - `contact_logged`: a human talked to the reporter (stops ACKNOWLEDGE).
 * - `remote_work_started`, `visit_dispatched`: an engineer is engaged (stop RESPOND). A dispatch
 *   opens a visit and freezes its zone (`zone`, else the ticket's) and, for remote sites, the
 *   agreed arrival instant `agreedArrivalAt`.
 * - `visit_arrived`, `visit_diagnosed`, `verification_started` (repair done, stress test
 *   begins), `verification_passed`, `verification_failed`, `visit_departed`, `visit_cancelled`,
 *   `report_submitted`: the life of one visit, by `visitId`.
 * - `part_reserved`, `part_eta_changed`, `part_delivered`, `part_released`: one reservation, by
 *   `reservationId`; `parts_replaced`: the diagnosed parts are in.
 * - `service_restored`: the first one stops RESOLVE.
 * - `severity_changed`: restarts the severity clocks (see engine).
 * - `clock_paused` / `clock_resumed`: stop or restart clocks whose milestone allows the reason;
 *   narrowed to one milestone and/or one visit or reservation (`scopeId`) when given.
 * - `ticket_cancelled`: open milestones become cancelled; later events are ignored.
 * - `ticket_closed`: recorded; open milestones keep running (closing discharges nothing).
 */
export type SlaEvent =
  | { readonly type: 'contact_logged'; readonly at: number; readonly by?: string }
  | { readonly type: 'remote_work_started'; readonly at: number; readonly by?: string }
  | {
      readonly type: 'visit_dispatched';
      readonly at: number;
      readonly visitId: string;
      readonly zone?: Zone;
      readonly agreedArrivalAt?: number;
      readonly by?: string;
    }
  | { readonly type: 'visit_arrived'; readonly at: number; readonly visitId: string }
  | {
      readonly type: 'visit_diagnosed';
      readonly at: number;
      readonly visitId: string;
      readonly needsParts: boolean;
    }
  | { readonly type: 'visit_cancelled'; readonly at: number; readonly visitId: string }
  | {
      readonly type: 'part_reserved';
      readonly at: number;
      readonly reservationId: string;
      readonly tier: StoreTier;
      readonly etaAt?: number;
    }
  | {
      readonly type: 'part_eta_changed';
      readonly at: number;
      readonly reservationId: string;
      readonly etaAt: number;
    }
  | { readonly type: 'part_delivered'; readonly at: number; readonly reservationId: string }
  | { readonly type: 'part_released'; readonly at: number; readonly reservationId: string }
  | { readonly type: 'parts_replaced'; readonly at: number; readonly visitId?: string }
  | { readonly type: 'verification_started'; readonly at: number; readonly visitId: string }
  | { readonly type: 'verification_passed'; readonly at: number; readonly visitId: string }
  | { readonly type: 'verification_failed'; readonly at: number; readonly visitId: string }
  | { readonly type: 'service_restored'; readonly at: number; readonly how: RestoreMethod }
  | { readonly type: 'visit_departed'; readonly at: number; readonly visitId: string }
  | { readonly type: 'report_submitted'; readonly at: number; readonly visitId: string }
  | { readonly type: 'severity_changed'; readonly at: number; readonly to: Severity }
  | {
      readonly type: 'clock_paused';
      readonly at: number;
      readonly reason: PauseReason;
      readonly by: string;
      readonly milestone?: MilestoneCode;
      readonly scopeId?: string;
    }
  | {
      readonly type: 'clock_resumed';
      readonly at: number;
      readonly by: string;
      readonly milestone?: MilestoneCode;
      readonly scopeId?: string;
    }
  | { readonly type: 'ticket_cancelled'; readonly at: number; readonly by?: string }
  | { readonly type: 'ticket_closed'; readonly at: number; readonly by?: string };

export type SlaEventType = SlaEvent['type'];

/**
 * Tie-break rank for events logged in the same millisecond, in the order work happens: a
 * severity change first (so a dispatch at the same instant answers the new level), resumes
 * before new work, pauses and the ticket's end last.
 */
export const EVENT_TYPES = [
  'severity_changed',
  'clock_resumed',
  'contact_logged',
  'remote_work_started',
  'visit_dispatched',
  'visit_arrived',
  'visit_diagnosed',
  'part_reserved',
  'part_eta_changed',
  'part_delivered',
  'parts_replaced',
  'verification_started',
  'verification_passed',
  'verification_failed',
  'service_restored',
  'visit_departed',
  'report_submitted',
  'part_released',
  'visit_cancelled',
  'clock_paused',
  'ticket_closed',
  'ticket_cancelled',
] as const satisfies readonly SlaEventType[];

const RANK = new Map<string, number>(EVENT_TYPES.map((type, index) => [type, index]));

/** JSON with object keys sorted at every level: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function compareEvents(
  a: { event: SlaEvent; json: string },
  b: { event: SlaEvent; json: string },
): number {
  if (a.event.at !== b.event.at) return a.event.at - b.event.at;
  const rank = (RANK.get(a.event.type) ?? RANK.size) - (RANK.get(b.event.type) ?? RANK.size);
  if (rank !== 0) return rank;
  return a.json < b.json ? -1 : a.json > b.json ? 1 : 0;
}

/**
 * The log in processing order: by time, then type rank, then canonical JSON. The order does not
 * depend on the order events arrived in, so any replay of the same events gives one result.
 */
export function sortEvents(events: readonly SlaEvent[]): SlaEvent[] {
  return events
    .map((event) => ({ event, json: canonicalJson(event) }))
    .sort(compareEvents)
    .map(({ event }) => event);
}
