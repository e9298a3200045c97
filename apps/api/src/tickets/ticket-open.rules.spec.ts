import { MAX_REPORT_AGE_MS, parseReportedAt, reportedNote, ticketStart } from './ticket-open.rules';
import { TicketError } from './ticket.errors';

const NOW = Date.parse('2026-03-02T08:00:00.000Z');
const MINUTE = 60_000;

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof TicketError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('ticketStart', () => {
  it.each([
    ['no report time: now', {}, NOW],
    ['a hotline call 40 min ago', { reportedAt: NOW - 40 * MINUTE }, NOW - 40 * MINUTE],
    ['the portal, exactly now', { reportedAt: NOW, source: 'portal' as const }, NOW],
    [
      'an integration, at the age bound',
      { reportedAt: NOW - MAX_REPORT_AGE_MS, source: 'api' as const },
      NOW - MAX_REPORT_AGE_MS,
    ],
    ['a health-rule ticket without one', { source: 'health-rule' as const }, NOW],
  ])('%s', (_label, input, start) => {
    expect(ticketStart(input, NOW)).toBe(start);
  });

  it.each([
    ['in the future', { reportedAt: NOW + 1 }, /may not be in the future/],
    ['older than the bound', { reportedAt: NOW - MAX_REPORT_AGE_MS - 1 }, /at most 24 h back/],
    [
      'on a health-rule ticket',
      { reportedAt: NOW - MINUTE, source: 'health-rule' as const },
      /only for tickets people report.*not health-rule/,
    ],
    ['not a number', { reportedAt: Number.NaN }, /not a valid instant/],
  ])('refuses a report time %s', (_label, input, message) => {
    const error = refusal(() => ticketStart(input, NOW));
    expect(error.code).toBe('TICKET_INVALID');
    expect(error.message).toMatch(message);
  });
});

describe('parseReportedAt', () => {
  it.each([
    ['Z', '2026-03-02T07:18:00Z', '2026-03-02T07:18:00.000Z'],
    ['lower-case z with ms', '2026-03-02T07:18:00.250z', '2026-03-02T07:18:00.250Z'],
    ['+01:00', '2026-03-02T08:18:00+01:00', '2026-03-02T07:18:00.000Z'],
    ['-0500', '2026-03-02T02:18:00-0500', '2026-03-02T07:18:00.000Z'],
  ])('reads an instant with %s', (_label, iso, utc) => {
    expect(new Date(parseReportedAt(iso)).toISOString()).toBe(utc);
  });

  it.each([
    ['a local time', '2026-03-02T07:18:00'],
    ['a local time with ms', '2026-03-02T07:18:00.000'],
    ['a date alone', '2026-03-02'],
  ])('refuses %s without an offset (400), naming the field and the fix', (_label, iso) => {
    const error = refusal(() => parseReportedAt(iso));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/^reportedAt: give the UTC offset or Z/);
    expect(error.message).toContain(iso);
  });

  it('refuses an offset on something that is no instant', () => {
    expect(refusal(() => parseReportedAt('2026-13-45T99:00:00Z')).message).toMatch(
      /reportedAt: not a valid instant/,
    );
  });
});

describe('reportedNote', () => {
  it('is logged at the report time and says when it was entered', () => {
    expect(reportedNote(NOW - 42 * MINUTE, NOW)).toEqual({
      type: 'note',
      at: NOW - 42 * MINUTE,
      payload: {
        text: 'reported at 2026-03-02T07:18:00.000Z, entered 42 min later; SLA clocks count from the report',
        reportedAt: '2026-03-02T07:18:00.000Z',
        enteredAt: '2026-03-02T08:00:00.000Z',
      },
    });
  });
});
