import { MILESTONE_CODES } from './policy';
import type { MilestoneCode } from './policy';
import type { TicketSlaResult } from './result';
import { SEVERITIES } from './severity';
import type { Severity } from './severity';
import { monthKey } from './time-zone';

/** met / (met + breached + violated); null without data (never NaN), always within [0, 1]. */
export function complianceRate(met: number, breached: number, violated: number): number | null {
  const decided = met + breached + violated;
  return decided > 0 ? met / decided : null;
}

export interface ComplianceRow {
  readonly code: MilestoneCode;
  readonly severity: Severity;
  readonly met: number;
  readonly breached: number;
  readonly violated: number;
  readonly rate: number | null;
}

/**
 * Compliance per milestone and severity (research/sla-tickets.md 8.4). Only decided instances
 * count: running, pending, cancelled and superseded are left out; a breach met late counts as
 * breached (a breach is never cleared). One row per code x severity, in policy code order.
 */
export function complianceByMilestone(results: readonly TicketSlaResult[]): ComplianceRow[] {
  const counts = new Map<string, { met: number; breached: number; violated: number }>();
  for (const result of results) {
    for (const m of result.milestones) {
      if (m.state !== 'met' && m.state !== 'breached' && m.state !== 'violated') continue;
      const key = `${m.code}/${m.severity}`;
      const row = counts.get(key) ?? { met: 0, breached: 0, violated: 0 };
      row[m.state] += 1;
      counts.set(key, row);
    }
  }
  return MILESTONE_CODES.flatMap((code) =>
    SEVERITIES.map((severity) => {
      const row = counts.get(`${code}/${severity}`) ?? { met: 0, breached: 0, violated: 0 };
      return { code, severity, ...row, rate: complianceRate(row.met, row.breached, row.violated) };
    }),
  );
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

const live = (results: readonly TicketSlaResult[]): TicketSlaResult[] =>
  results.filter((r) => r.cancelledAt === null);

/** Mean time to acknowledge (first human contact), ms, wall clock; cancelled tickets excluded. */
export function meanTimeToAcknowledge(results: readonly TicketSlaResult[]): number | null {
  return mean(
    live(results).flatMap((r) =>
      r.acknowledgedAt === null ? [] : [r.acknowledgedAt - r.createdAt],
    ),
  );
}

/** Mean time to restore service (what RESOLVE measures), ms, wall clock; cancelled excluded. */
export function meanTimeToRestore(results: readonly TicketSlaResult[]): number | null {
  return mean(
    live(results).flatMap((r) => (r.restoredAt === null ? [] : [r.restoredAt - r.createdAt])),
  );
}

export interface RemoteResolutionRow {
  /** `YYYY-MM` of the restore, in the report's time zone. */
  readonly month: string;
  readonly restored: number;
  readonly remote: number;
  readonly rate: number | null;
}

/**
 * contract: remote-resolution rate = tickets restored without any site visit / tickets restored,
 * per month (target 90 %). A ticket counts in the month of its restore, read in `timeZone`.
 */
export function remoteResolutionByMonth(
  results: readonly TicketSlaResult[],
  timeZone: string,
): RemoteResolutionRow[] {
  const months = new Map<string, { restored: number; remote: number }>();
  for (const r of live(results)) {
    if (r.restoredAt === null) continue;
    const month = monthKey(r.restoredAt, timeZone);
    const row = months.get(month) ?? { restored: 0, remote: 0 };
    row.restored += 1;
    if (r.restoredRemotely === true) row.remote += 1;
    months.set(month, row);
  }
  return [...months.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([month, row]) => ({
      month,
      ...row,
      rate: complianceRate(row.remote, row.restored - row.remote, 0),
    }));
}

export interface SlaReport {
  readonly compliance: readonly ComplianceRow[];
  readonly meanTimeToAcknowledgeMs: number | null;
  readonly meanTimeToRestoreMs: number | null;
  readonly remoteResolution: readonly RemoteResolutionRow[];
}

export function buildSlaReport(
  results: readonly TicketSlaResult[],
  options: { readonly timeZone: string },
): SlaReport {
  return {
    compliance: complianceByMilestone(results),
    meanTimeToAcknowledgeMs: meanTimeToAcknowledge(results),
    meanTimeToRestoreMs: meanTimeToRestore(results),
    remoteResolution: remoteResolutionByMonth(results, options.timeZone),
  };
}
