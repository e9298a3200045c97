// Shared by the specs only (not exported from index.ts): fixed instants and a terse way to run
// the engine. No wall clock: every spec pins its own time.
import type { Calendar } from './calendar';
import { CONTRACT_POLICY } from './contract-policy';
import { computeTicketSla } from './engine';
import type { SlaEvent } from './events';
import type { SlaPolicy } from './policy';
import type { MilestoneStatus, TicketSlaResult } from './result';
import type { Severity, Zone } from './severity';

export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** Monday 2026-03-02 09:00 UTC: the ticket of most specs is created here. */
export const T0 = Date.UTC(2026, 2, 2, 9, 0);

export interface RunOptions {
  readonly now: number;
  readonly severity?: Severity;
  readonly zone?: Zone;
  readonly createdAt?: number;
  readonly calendar?: Calendar;
  readonly policy?: SlaPolicy;
}

export function run(events: readonly SlaEvent[], options: RunOptions): TicketSlaResult {
  return computeTicketSla({
    policy: options.policy ?? CONTRACT_POLICY,
    facts: {
      ticketId: 'T-1',
      createdAt: options.createdAt ?? T0,
      severity: options.severity ?? 'yellow',
      zone: options.zone ?? 'city',
    },
    events,
    now: options.now,
    ...(options.calendar ? { calendar: options.calendar } : {}),
  });
}

/** The instance `key`, failing the test when it does not exist. */
export function milestone(result: TicketSlaResult, key: string): MilestoneStatus {
  const found = result.milestones.find((m) => m.key === key);
  if (found === undefined) {
    throw new Error(`no milestone ${key}; have ${result.milestones.map((m) => m.key).join(', ')}`);
  }
  return found;
}

export function issueCodes(result: TicketSlaResult): string[] {
  return result.issues.map((i) => i.code);
}
