import type { Severity, StoreTier, Zone } from './severity';

/** Milestone codes of the contract policy (contract.md "On-site service milestones", levels). */
export const MILESTONE_CODES = [
  'ACKNOWLEDGE',
  'RESPOND',
  'ARRIVE',
  'DIAGNOSE',
  'REPLACE_PARTS',
  'PART_DELIVERY',
  'VERIFY',
  'RESOLVE',
  'REPORT',
] as const;
export type MilestoneCode = (typeof MILESTONE_CODES)[number];

/** What one milestone instance belongs to: the ticket, one visit, or one part reservation. */
export type MilestoneScope = 'ticket' | 'visit' | 'reservation';

/**
 * `deadline`: must stop by its due time. `min_duration`: must NOT stop before its target has
 * elapsed (contract: the 2-hour stress test); stopping early is a violation.
 */
export type MilestoneKind = 'deadline' | 'min_duration';

/**
 * Why a clock may stop (contract.md: "each pause with who, why and when"). `awaiting_part` exists
 * so that a request to pause for it is rejected with a typed issue: the contract says waiting for
 * a part does not pause Resolve, and no milestone of CONTRACT_POLICY allows it.
 */
export const PAUSE_REASONS = [
  'or_in_use',
  'no_site_access',
  'customer_request',
  'awaiting_part',
] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

/** How a clock's target is chosen. All amounts are working time in ms on the policy calendar. */
export type TargetRule =
  | { readonly type: 'fixed'; readonly ms: number }
  | { readonly type: 'by_severity'; readonly ms: Readonly<Record<Severity, number>> }
  | {
      readonly type: 'by_zone';
      /** For zones in `agreedZones`, the value is the default used when no arrival was agreed. */
      readonly ms: Readonly<Record<Zone, number>>;
      /** Zones whose target is the arrival agreed at dispatch (contract: remote sites agreed ahead). */
      readonly agreedZones: readonly Zone[];
    }
  | { readonly type: 'by_tier'; readonly ms: Readonly<Record<StoreTier, number>> };

/** Event types a trigger can name; `ticket_created` is synthesised from the ticket's facts. */
export type TriggerEventType =
  | 'ticket_created'
  | 'contact_logged'
  | 'remote_work_started'
  | 'visit_dispatched'
  | 'visit_arrived'
  | 'visit_diagnosed'
  | 'visit_cancelled'
  | 'part_reserved'
  | 'part_eta_changed'
  | 'part_delivered'
  | 'part_released'
  | 'parts_replaced'
  | 'verification_started'
  | 'verification_passed'
  | 'verification_failed'
  | 'service_restored'
  | 'visit_departed'
  | 'report_submitted';

/** An event type, optionally narrowed by equal payload fields (`visit_diagnosed` needsParts). */
export interface Trigger {
  readonly on: TriggerEventType;
  readonly where?: Readonly<Record<string, string | number | boolean>>;
}

export interface MilestoneDef {
  readonly code: MilestoneCode;
  readonly name: string;
  readonly scope: MilestoneScope;
  readonly startsOn: readonly Trigger[];
  readonly stopsOn: readonly Trigger[];
  /** Events that make an open instance of this milestone moot (a cancelled visit owes no report). */
  readonly cancelOn: readonly Trigger[];
  readonly target: TargetRule;
  readonly kind: MilestoneKind;
  readonly pauseReasons: readonly PauseReason[];
  /** Fractions of the target at which a warning falls due, e.g. 0.5 and 0.75 (ServiceNow). */
  readonly warnings: readonly number[];
  /** Where the rule comes from, for humans. */
  readonly source: string;
}

/** What forecasting assumes beyond the contract, once the parts are in. */
export interface ForecastAssumptions {
  /** Working time from the last part's arrival to the parts being installed. */
  readonly installMs: number;
  /** Milestones forecast from the parts: finished at install, or after install + verification. */
  readonly milestones: Readonly<Partial<Record<MilestoneCode, 'installed' | 'verified'>>>;
}

/** A versioned, serialisable SLA policy; tickets keep the version they were computed under. */
export interface SlaPolicy {
  readonly id: string;
  readonly version: number;
  /** Id of the calendar the clocks are meant to run on (the Calendar itself is an input). */
  readonly calendar: string;
  readonly milestones: readonly MilestoneDef[];
  readonly forecast: ForecastAssumptions;
}

/** The definition of `code` in `policy`, if any. */
export function milestoneDef(policy: SlaPolicy, code: MilestoneCode): MilestoneDef | undefined {
  return policy.milestones.find((def) => def.code === code);
}
