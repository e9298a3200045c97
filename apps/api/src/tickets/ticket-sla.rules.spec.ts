import type { SlaIssue } from '@orfleet/sla';
import { evaluateTicket, newIssues } from './ticket-sla.rules';

const MINUTE = 60_000;
const facts = { ticketId: 't1', createdAt: 0, severity: 'red' as const, zone: 'city' as const };

describe('ticket SLA evaluation', () => {
  it.each([
    ['before any warning', 5 * MINUTE, []],
    ['past ACKNOWLEDGE 50 %', 8 * MINUTE, ['ACKNOWLEDGE warning:0.5']],
    [
      'past ACKNOWLEDGE due and RESPOND 50 %',
      16 * MINUTE,
      [
        'ACKNOWLEDGE warning:0.5',
        'ACKNOWLEDGE warning:0.75',
        'ACKNOWLEDGE breach',
        'RESPOND warning:0.5',
      ],
    ],
  ])('alert points %s', (_label, now, expected) => {
    const { alerts } = evaluateTicket(facts, [], now);
    expect(alerts.map((a) => `${a.milestoneKey} ${a.kind}`)).toEqual(expected);
  });

  it('a clock met in time announces nothing more', () => {
    const log = [{ type: 'acknowledge', at: 10 * MINUTE, actor: 'eng', payload: {} }];
    const { alerts, summary } = evaluateTicket(facts, log, 16 * MINUTE);
    expect(alerts.map((a) => `${a.milestoneKey} ${a.kind}`)).toEqual(['RESPOND warning:0.5']);
    expect(summary).toMatchObject({
      status: 'acknowledged',
      acknowledgedAt: 10 * MINUTE,
      nextDueAt: 30 * MINUTE,
      nextChangeAt: 22.5 * MINUTE,
      breached: false,
    });
  });

  it('new issues are a multiset difference, closing notes excepted', () => {
    const issue = (code: SlaIssue['code'], at: number): SlaIssue => ({
      code,
      at,
      eventType: 'x',
      message: 'm',
    });
    const old = [issue('NOTHING_TO_RESUME', 1)];
    expect(newIssues(old, [issue('NOTHING_TO_RESUME', 1)])).toEqual([]);
    expect(newIssues(old, [issue('NOTHING_TO_RESUME', 1), issue('NOTHING_TO_RESUME', 1)])).toEqual([
      issue('NOTHING_TO_RESUME', 1),
    ]);
    expect(newIssues([], [issue('CLOSED_WITH_OPEN_MILESTONES', 2)])).toEqual([]);
  });
});
