import {
  buildSlaReport,
  complianceByMilestone,
  complianceRate,
  meanTimeToAcknowledge,
  meanTimeToRestore,
  remoteResolutionByMonth,
} from './reports';
import type { SlaEvent } from './events';
import type { Severity } from './severity';
import { HOUR, MIN, T0, run } from './spec-kit';

const ticket = (severity: Severity, events: SlaEvent[], createdAt = T0) =>
  run(events, { severity, createdAt, now: createdAt + 10 * 24 * HOUR });

describe('complianceRate', () => {
  it.each([
    [0, 0, 0, null],
    [3, 1, 0, 0.75],
    [0, 2, 0, 0],
    [1, 0, 1, 0.5],
    [4, 0, 0, 1],
  ])('met %p breached %p violated %p -> %p', (met, breached, violated, expected) => {
    expect(complianceRate(met, breached, violated)).toBe(expected);
  });
});

describe('complianceByMilestone', () => {
  const results = [
    // red: acknowledged in time, restored late (4 h)
    ticket('red', [
      { type: 'contact_logged', at: T0 + 5 * MIN },
      { type: 'service_restored', at: T0 + 5 * HOUR, how: 'swap' },
    ]),
    // red: acknowledged in time, restored in time
    ticket('red', [
      { type: 'contact_logged', at: T0 + 14 * MIN },
      { type: 'service_restored', at: T0 + 3 * HOUR, how: 'remote' },
    ]),
    // yellow upgraded to red at 1 h: the red RESOLVE#2 counts as red, the superseded not at all
    ticket('yellow', [
      { type: 'contact_logged', at: T0 + 20 * MIN },
      { type: 'severity_changed', at: T0 + 1 * HOUR, to: 'red' },
      { type: 'service_restored', at: T0 + 2 * HOUR, how: 'loaner' },
    ]),
    // green: a stress test cut short
    ticket('green', [
      { type: 'visit_dispatched', at: T0 + 10 * MIN, visitId: 'v1' },
      { type: 'visit_arrived', at: T0 + 1 * HOUR, visitId: 'v1' },
      { type: 'verification_started', at: T0 + 2 * HOUR, visitId: 'v1' },
      { type: 'verification_passed', at: T0 + 3 * HOUR, visitId: 'v1' },
    ]),
  ];
  const rows = complianceByMilestone(results);
  const row = (code: string, severity: Severity) =>
    rows.find((r) => r.code === code && r.severity === severity);

  it.each([
    ['ACKNOWLEDGE', 'red', 2, 0, 0, 1],
    ['ACKNOWLEDGE', 'yellow', 0, 1, 0, 0],
    ['RESOLVE', 'red', 2, 1, 0, 2 / 3],
    ['RESOLVE', 'yellow', 0, 0, 0, null],
    ['VERIFY', 'green', 0, 0, 1, 0],
    ['REPORT', 'green', 0, 0, 0, null], // never started: not counted
  ] as const)('%s %s', (code, severity, met, breached, violated, rate) => {
    expect(row(code, severity)).toEqual({ code, severity, met, breached, violated, rate });
  });

  it('has a row for every milestone and severity, even without data', () => {
    expect(complianceByMilestone([])).toHaveLength(9 * 3);
    expect(complianceByMilestone([]).every((r) => r.rate === null)).toBe(true);
  });
});

describe('mean times', () => {
  const results = [
    ticket('red', [
      { type: 'contact_logged', at: T0 + 10 * MIN },
      { type: 'service_restored', at: T0 + 2 * HOUR, how: 'remote' },
    ]),
    ticket('green', [
      { type: 'contact_logged', at: T0 + 20 * MIN },
      { type: 'service_restored', at: T0 + 4 * HOUR, how: 'swap' },
    ]),
    ticket('green', [
      { type: 'contact_logged', at: T0 + 1 * MIN },
      { type: 'ticket_cancelled', at: T0 + 2 * MIN },
    ]),
  ];
  it('averages acknowledge and restore over live tickets', () => {
    expect(meanTimeToAcknowledge(results)).toBe(15 * MIN);
    expect(meanTimeToRestore(results)).toBe(3 * HOUR);
  });
  it('is null without data', () => {
    expect(meanTimeToAcknowledge([])).toBeNull();
    expect(meanTimeToRestore([ticket('red', [])])).toBeNull();
  });
});

describe('remoteResolutionByMonth (contract: restored without any site visit / restored)', () => {
  const lastEveningOfMarch = Date.UTC(2026, 2, 31, 20, 0); // 04:00 on 1 April in Shanghai
  const results = [
    ticket('red', [{ type: 'service_restored', at: T0 + HOUR, how: 'remote' }]),
    ticket('red', [
      { type: 'visit_dispatched', at: T0 + 10 * MIN, visitId: 'v1' },
      { type: 'visit_arrived', at: T0 + 1 * HOUR, visitId: 'v1' },
      { type: 'service_restored', at: T0 + 2 * HOUR, how: 'swap' },
    ]),
    // dispatched, but restored remotely before anyone arrived: still remote
    ticket('yellow', [
      { type: 'visit_dispatched', at: T0 + 10 * MIN, visitId: 'v1' },
      { type: 'service_restored', at: T0 + 30 * MIN, how: 'remote' },
      { type: 'visit_arrived', at: T0 + 1 * HOUR, visitId: 'v1' },
    ]),
    ticket(
      'green',
      [{ type: 'service_restored', at: lastEveningOfMarch, how: 'remote' }],
      lastEveningOfMarch - HOUR,
    ),
    ticket('green', []), // not restored: not counted
  ];

  it.each([
    ['UTC', [{ month: '2026-03', restored: 4, remote: 3, rate: 0.75 }]],
    [
      'Asia/Shanghai',
      [
        { month: '2026-03', restored: 3, remote: 2, rate: 2 / 3 },
        { month: '2026-04', restored: 1, remote: 1, rate: 1 },
      ],
    ],
  ])('keys months in %s', (timeZone, expected) => {
    expect(remoteResolutionByMonth(results, timeZone)).toEqual(expected);
  });

  it('builds the whole report', () => {
    const report = buildSlaReport(results, { timeZone: 'UTC' });
    expect(report.remoteResolution).toEqual(remoteResolutionByMonth(results, 'UTC'));
    expect(report.meanTimeToRestoreMs).toBe(meanTimeToRestore(results));
    expect(report.compliance).toEqual(complianceByMilestone(results));
  });
});
