import type { RestoreMethod } from './events';
import type { MilestoneCode, MilestoneKind, MilestoneScope, PauseReason } from './policy';
import type { Severity, StoreTier, Zone } from './severity';

/** What the platform knows about a ticket when it is created. */
export interface TicketFacts {
  readonly ticketId: string;
  /** Epoch ms; the 7x24 clocks of contract.md count from here. */
  readonly createdAt: number;
  /** Initial level; later changes come as `severity_changed` events. */
  readonly severity: Severity;
  /** The hospital's zone now; each dispatch freezes its own copy. */
  readonly zone: Zone;
}

/**
 * - `pending`: instance exists (its ticket, visit or reservation does) but its start event has not
 *   been seen.
 * - `running` / `paused`: clock counting / stopped for an allowed reason.
 * - `met`: stopped in time (deadline) or after the minimum (min_duration).
 * - `breached`: due passed while unmet; final, even if met later (`metAt` then records when).
 * - `violated`: a min_duration stopped early (a 1 h stress test is not a pass).
 * - `cancelled`: made moot (ticket or visit cancelled, reservation released, test failed).
 * - `superseded`: replaced by a new clock after a severity change; kept for history.
 */
export type MilestoneState =
  'pending' | 'running' | 'paused' | 'met' | 'breached' | 'violated' | 'cancelled' | 'superseded';

export interface PauseRecord {
  readonly from: number;
  /** null while the pause is still open. */
  readonly to: number | null;
  readonly reason: PauseReason;
  readonly by: string;
}

/** One milestone instance: the row a store keeps per (ticket, milestone, visit/reservation, cycle). */
export interface MilestoneStatus {
  /** Unique within the ticket: `RESPOND`, `ARRIVE:v1`, `VERIFY:v1#2` (cycle 2). */
  readonly key: string;
  readonly code: MilestoneCode;
  readonly scope: MilestoneScope;
  /** visitId or reservationId; null for ticket scope. */
  readonly scopeId: string | null;
  readonly cycle: number;
  readonly kind: MilestoneKind;
  /** Ticket level when the clock started (or now, while pending); reports group by it. */
  readonly severity: Severity;
  readonly state: MilestoneState;
  readonly startedAt: number | null;
  /** Working time allowed (deadline) or required (min_duration). */
  readonly targetMs: number | null;
  /** Why that target: `fixed`, `severity:red`, `zone:city`, `zone:remote:agreed`, `tier:national`. */
  readonly targetBasis: string | null;
  /** start + target + paused working time; for a paused clock, as if resumed at `asOf`. For a
   *  min_duration: the earliest instant a pass counts. */
  readonly dueAt: number | null;
  /** start + target, before any pause. */
  readonly originalDueAt: number | null;
  readonly metAt: number | null;
  /** Exactly `dueAt` when the clock ran past it unmet. */
  readonly breachedAt: number | null;
  /** When the instance stopped for good (met, violated, cancelled, superseded). */
  readonly endedAt: number | null;
  readonly endedBy: string | null;
  /** Working time past due (breached), 0 when met, else null. */
  readonly latenessMs: number | null;
  /** Working time counted (pauses excluded) up to the stop or `asOf`. */
  readonly elapsedMs: number | null;
  readonly pausedMs: number;
  readonly pauses: readonly PauseRecord[];
  /** Warning fractions already reached by an open clock. */
  readonly warningsReached: readonly number[];
  readonly nextWarningAt: number | null;
}

export const ISSUE_CODES = [
  'EVENT_INVALID',
  'EVENT_DUPLICATE',
  'EVENT_BEFORE_CREATION',
  'EVENT_IN_FUTURE',
  'EVENT_AFTER_CANCEL',
  'UNKNOWN_VISIT',
  'VISIT_ALREADY_DISPATCHED',
  'VISIT_CANCELLED',
  'VISIT_NOT_ARRIVED',
  'UNKNOWN_RESERVATION',
  'RESERVATION_EXISTS',
  'RESERVATION_CLOSED',
  'DUPLICATE_LIFECYCLE_EVENT',
  'STOP_BEFORE_START',
  'UNKNOWN_MILESTONE',
  'PAUSE_REASON_NOT_ALLOWED',
  'ALREADY_PAUSED',
  'NOTHING_TO_PAUSE',
  'NOTHING_TO_RESUME',
  'SEVERITY_UNCHANGED',
  'AGREED_ARRIVAL_INVALID',
  'AGREED_ARRIVAL_IGNORED',
  'TARGET_UNRESOLVED',
  'CLOSED_WITH_OPEN_MILESTONES',
] as const;
export type SlaIssueCode = (typeof ISSUE_CODES)[number];

/** A problem found in the log. The engine never throws on bad input; it reports and moves on. */
export interface SlaIssue {
  readonly code: SlaIssueCode;
  /** The event's time (NaN-free: invalid times are reported as null). */
  readonly at: number | null;
  readonly eventType: string;
  readonly message: string;
  readonly milestoneKey?: string;
}

export interface VisitRecord {
  readonly visitId: string;
  /** Frozen at dispatch (contract: the hospital's zone is frozen onto the visit). */
  readonly zone: Zone;
  readonly agreedArrivalAt: number | null;
  readonly dispatchedAt: number;
  readonly arrivedAt: number | null;
  readonly departedAt: number | null;
  readonly cancelledAt: number | null;
}

export interface ReservationRecord {
  readonly reservationId: string;
  readonly tier: StoreTier;
  readonly reservedAt: number;
  readonly etaAt: number | null;
  readonly deliveredAt: number | null;
  readonly releasedAt: number | null;
}

export interface TicketSlaResult {
  readonly ticketId: string;
  readonly policyId: string;
  readonly policyVersion: number;
  readonly calendarId: string;
  /** The instant the result describes; events after it are ignored (EVENT_IN_FUTURE). */
  readonly asOf: number;
  readonly createdAt: number;
  /** Current level. */
  readonly severity: Severity;
  readonly milestones: readonly MilestoneStatus[];
  readonly visits: readonly VisitRecord[];
  readonly reservations: readonly ReservationRecord[];
  readonly issues: readonly SlaIssue[];
  /** First logged human contact. */
  readonly acknowledgedAt: number | null;
  /** First engagement (remote work or dispatch). */
  readonly respondedAt: number | null;
  readonly restoredAt: number | null;
  readonly restoredHow: RestoreMethod | null;
  /** Restored with no visit on site before the restore; null until restored. */
  readonly restoredRemotely: boolean | null;
  readonly cancelledAt: number | null;
  readonly closedAt: number | null;
  /**
   * The first instant after `asOf` at which recomputing gives another result: a warning point,
   * or `dueAt + 1` for a breach (meeting at exactly `dueAt` is in time). null when no clock runs.
   */
  readonly nextChangeAt: number | null;
}
