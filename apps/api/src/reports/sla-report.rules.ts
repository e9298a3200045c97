// GET /reports/sla: which tickets a report covers. Pure: parses and checks the range.
import { DomainError } from '../platform/domain-error';

export class ReportError extends DomainError<'REPORT_INVALID'> {}

/** A year and a bit: a report recomputes every ticket in range from its log. */
export const MAX_RANGE_MS = 366 * 24 * 60 * 60 * 1000;

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Date.parse rolls 2026-02-30 over to 2 March; a report range must name a real day. */
function realDay(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

function instant(value: string | undefined, field: string): number {
  if (value === undefined || value === '') {
    throw new ReportError('REPORT_INVALID', `${field}: required (ISO 8601 date or date-time)`);
  }
  const ms = ISO.test(value) && realDay(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new ReportError('REPORT_INVALID', `${field}: not an ISO 8601 date or date-time`);
  }
  return ms;
}

export interface ReportRange {
  /** Tickets created at or after `from` and before `to`. */
  readonly from: number;
  readonly to: number;
}

export function parseReportRange(query: { from?: string; to?: string }): ReportRange {
  const from = instant(query.from, 'from');
  const to = instant(query.to, 'to');
  if (to <= from) throw new ReportError('REPORT_INVALID', 'to: must be after from');
  if (to - from > MAX_RANGE_MS) {
    throw new ReportError('REPORT_INVALID', 'range: at most 366 days per report');
  }
  return { from, to };
}
