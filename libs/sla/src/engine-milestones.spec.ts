import type { SlaEvent } from './events';
import type { RestoreMethod } from './events';
import type { Severity, StoreTier, Zone } from './severity';
import { HOUR, MIN, T0, milestone, run } from './spec-kit';

/**
 * One row per milestone and per severity, zone and tier: `setup` starts the clock at `startAt`,
 * `stop(at)` is the event that meets it; `target` is the contract number, typed in again here so
 * that a wrong number in CONTRACT_POLICY fails these specs.
 */
interface Row {
  readonly name: string;
  readonly key: string;
  readonly severity: Severity;
  readonly zone: Zone;
  readonly setup: readonly SlaEvent[];
  readonly startAt: number;
  readonly target: number;
  readonly stop: (at: number) => SlaEvent;
}

const SEVERITY_ROWS: readonly [Severity, number, number][] = [
  // contract: red respond 30 min resolve 4 h; yellow 2 h / 24 h; green 4 h / 48 h
  ['red', 30 * MIN, 4 * HOUR],
  ['yellow', 2 * HOUR, 24 * HOUR],
  ['green', 4 * HOUR, 48 * HOUR],
];
const ZONE_ROWS: readonly [Zone, number][] = [
  ['city', 2 * HOUR], // contract: city on site within 2 h
  ['suburb', 4 * HOUR], // contract: suburbs within 4 h
  ['remote', 24 * HOUR], // platform default when no arrival was agreed (docs/sla.md)
];
const TIER_ROWS: readonly [StoreTier, number][] = [
  ['hospital', 15 * MIN], // hospital store "about 0": 15 min (docs/sla.md)
  ['regional', 2 * HOUR], // contract: urgent parts within 2 h
  ['national', 48 * HOUR], // contract: special parts within 48 h by national transfer
];
const RESTORE_METHODS: readonly RestoreMethod[] = ['remote', 'swap', 'loaner', 'onsite_fix'];

const dispatch = (at: number, extra: Partial<SlaEvent> = {}): SlaEvent =>
  ({ type: 'visit_dispatched', at, visitId: 'v1', ...extra }) as SlaEvent;
const onSite: readonly SlaEvent[] = [
  dispatch(T0 + 10 * MIN),
  { type: 'visit_arrived', at: T0 + 1 * HOUR, visitId: 'v1' },
];

const ROWS: readonly Row[] = [
  ...SEVERITY_ROWS.map(([severity]): Row => ({
    name: `ACKNOWLEDGE ${severity}`,
    key: 'ACKNOWLEDGE',
    severity,
    zone: 'city',
    setup: [],
    startAt: T0,
    target: 15 * MIN, // contract: acknowledge within 15 min
    stop: (at) => ({ type: 'contact_logged', at }),
  })),
  ...SEVERITY_ROWS.map(([severity, respond]): Row => ({
    name: `RESPOND ${severity} by remote work`,
    key: 'RESPOND',
    severity,
    zone: 'city',
    setup: [],
    startAt: T0,
    target: respond,
    stop: (at) => ({ type: 'remote_work_started', at }),
  })),
  ...SEVERITY_ROWS.map(([severity, respond]): Row => ({
    name: `RESPOND ${severity} by dispatch`,
    key: 'RESPOND',
    severity,
    zone: 'suburb',
    setup: [],
    startAt: T0,
    target: respond,
    stop: (at) => dispatch(at),
  })),
  ...ZONE_ROWS.map(([zone, arrive]): Row => ({
    name: `ARRIVE ${zone} (ticket zone)`,
    key: 'ARRIVE:v1',
    severity: 'red',
    zone,
    setup: [dispatch(T0 + 20 * MIN)],
    startAt: T0 + 20 * MIN,
    target: arrive,
    stop: (at) => ({ type: 'visit_arrived', at, visitId: 'v1' }),
  })),
  ...ZONE_ROWS.map(([zone, arrive]): Row => ({
    name: `ARRIVE ${zone} (zone frozen on the dispatch)`,
    key: 'ARRIVE:v1',
    severity: 'green',
    zone: zone === 'city' ? 'remote' : 'city',
    setup: [dispatch(T0 + 20 * MIN, { zone })],
    startAt: T0 + 20 * MIN,
    target: arrive,
    stop: (at) => ({ type: 'visit_arrived', at, visitId: 'v1' }),
  })),
  {
    name: 'ARRIVE remote at the agreed arrival',
    key: 'ARRIVE:v1',
    severity: 'yellow',
    zone: 'remote',
    setup: [dispatch(T0 + 1 * HOUR, { agreedArrivalAt: T0 + 31 * HOUR })],
    startAt: T0 + 1 * HOUR,
    target: 30 * HOUR, // contract: remote sites agreed ahead
    stop: (at) => ({ type: 'visit_arrived', at, visitId: 'v1' }),
  },
  ...SEVERITY_ROWS.map(([severity]): Row => ({
    name: `DIAGNOSE ${severity}`,
    key: 'DIAGNOSE:v1',
    severity,
    zone: 'city',
    setup: onSite,
    startAt: T0 + 1 * HOUR,
    target: 1 * HOUR, // contract: first diagnosis within 1 h of arrival
    stop: (at) => ({ type: 'visit_diagnosed', at, visitId: 'v1', needsParts: false }),
  })),
  ...SEVERITY_ROWS.map(([severity]): Row => ({
    name: `REPLACE_PARTS ${severity}`,
    key: 'REPLACE_PARTS',
    severity,
    zone: 'city',
    setup: [
      ...onSite,
      { type: 'visit_diagnosed', at: T0 + 90 * MIN, visitId: 'v1', needsParts: true },
    ],
    startAt: T0 + 90 * MIN,
    target: 48 * HOUR, // contract: common parts replaced within 48 h of diagnosis
    stop: (at) => ({ type: 'parts_replaced', at }),
  })),
  ...TIER_ROWS.map(([tier, delivery]): Row => ({
    name: `PART_DELIVERY ${tier}`,
    key: 'PART_DELIVERY:r1',
    severity: 'red',
    zone: 'city',
    setup: [{ type: 'part_reserved', at: T0 + 2 * HOUR, reservationId: 'r1', tier }],
    startAt: T0 + 2 * HOUR,
    target: delivery,
    stop: (at) => ({ type: 'part_delivered', at, reservationId: 'r1' }),
  })),
  ...SEVERITY_ROWS.flatMap(([severity, , resolve]) =>
    RESTORE_METHODS.map((how): Row => ({
      name: `RESOLVE ${severity} by ${how}`,
      key: 'RESOLVE',
      severity,
      zone: 'city',
      setup: [],
      startAt: T0,
      target: resolve,
      stop: (at) => ({ type: 'service_restored', at, how }),
    })),
  ),
  ...SEVERITY_ROWS.map(([severity]): Row => ({
    name: `REPORT ${severity}`,
    key: 'REPORT:v1',
    severity,
    zone: 'city',
    setup: [...onSite, { type: 'visit_departed', at: T0 + 3 * HOUR, visitId: 'v1' }],
    startAt: T0 + 3 * HOUR,
    target: 24 * HOUR, // contract: written report within 24 h of leaving site
    stop: (at) => ({ type: 'report_submitted', at, visitId: 'v1' }),
  })),
];

describe.each(ROWS)('$name', (row) => {
  const due = row.startAt + row.target;
  const options = { severity: row.severity, zone: row.zone };

  it('starts at its start event and is due after the target', () => {
    const m = milestone(run(row.setup, { ...options, now: row.startAt }), row.key);
    expect(m).toMatchObject({ state: 'running', startedAt: row.startAt, dueAt: due });
    expect(m.originalDueAt).toBe(due);
    expect(m.targetMs).toBe(row.target);
  });

  it('is met by its stop event at exactly the due time', () => {
    const m = milestone(
      run([...row.setup, row.stop(due)], { ...options, now: due + HOUR }),
      row.key,
    );
    expect(m).toMatchObject({ state: 'met', metAt: due, breachedAt: null, latenessMs: 0 });
  });

  it('is breached at due when met 1 ms late, and keeps the late met time', () => {
    const result = run([...row.setup, row.stop(due + 1)], { ...options, now: due + HOUR });
    expect(milestone(result, row.key)).toMatchObject({
      state: 'breached',
      breachedAt: due,
      metAt: due + 1,
      latenessMs: 1,
    });
  });

  it('is still running at due and breached 1 ms after', () => {
    expect(milestone(run(row.setup, { ...options, now: due }), row.key).state).toBe('running');
    const late = milestone(run(row.setup, { ...options, now: due + 1 }), row.key);
    expect(late).toMatchObject({ state: 'breached', breachedAt: due, metAt: null });
  });
});

describe('VERIFY (minimum duration, contract: a 2-hour stress test)', () => {
  const start = T0 + 3 * HOUR;
  const setup: readonly SlaEvent[] = [
    ...onSite,
    { type: 'verification_started', at: start, visitId: 'v1' },
  ];
  it.each([
    ['exactly 2 h', 2 * HOUR, 'met'],
    ['5 h', 5 * HOUR, 'met'],
    ['2 h minus 1 ms', 2 * HOUR - 1, 'violated'],
    ['30 min', 30 * MIN, 'violated'],
  ])('a pass after %s is %s', (_name, after, state) => {
    const result = run(
      [...setup, { type: 'verification_passed', at: start + after, visitId: 'v1' }],
      {
        now: start + 10 * HOUR,
      },
    );
    const m = milestone(result, 'VERIFY:v1');
    expect(m.state).toBe(state);
    expect(m.elapsedMs).toBe(after);
    expect(m.dueAt).toBe(start + 2 * HOUR);
    expect(m.breachedAt).toBeNull();
  });

  it('never breaches however long the test runs', () => {
    const m = milestone(run(setup, { now: start + 100 * HOUR }), 'VERIFY:v1');
    expect(m.state).toBe('running');
  });

  it('starts a new cycle after a failed test', () => {
    const result = run(
      [
        ...setup,
        { type: 'verification_failed', at: start + 1 * HOUR, visitId: 'v1' },
        { type: 'verification_started', at: start + 2 * HOUR, visitId: 'v1' },
        { type: 'verification_passed', at: start + 4 * HOUR, visitId: 'v1' },
      ],
      { now: start + 5 * HOUR },
    );
    expect(milestone(result, 'VERIFY:v1').state).toBe('cancelled');
    expect(milestone(result, 'VERIFY:v1#2')).toMatchObject({
      state: 'met',
      startedAt: start + 2 * HOUR,
    });
  });
});
