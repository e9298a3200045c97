import { parseReportRange } from './sla-report.rules';

function thrown(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; message?: string };
  }
  throw new Error('expected a refusal');
}

describe('report range', () => {
  it.each([
    [{ from: '2026-01-01', to: '2026-02-01' }, Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 1)],
    [
      { from: '2026-01-01T08:00:00+08:00', to: '2026-01-01T00:00:01Z' },
      Date.UTC(2026, 0, 1),
      Date.UTC(2026, 0, 1, 0, 0, 1),
    ],
  ])('takes %j', (query, from, to) => {
    expect(parseReportRange(query)).toEqual({ from, to });
  });

  it.each([
    [{}, 'from: required'],
    [{ from: '2026-01-01' }, 'to: required'],
    [{ from: '1 Jan 2026', to: '2026-02-01' }, 'from: not an ISO'],
    [{ from: '2026-02-30', to: '2026-03-01' }, 'from: not an ISO'],
    [{ from: '2026-02-01', to: '2026-01-01' }, 'to: must be after from'],
    [{ from: '2025-01-01', to: '2026-01-03' }, 'at most 366 days'],
  ])('refuses %j', (query, message) => {
    const error = thrown(() => parseReportRange(query));
    expect(error.code).toBe('REPORT_INVALID');
    expect(error.message).toContain(message);
  });
});
