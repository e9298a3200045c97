import { CONTRACT_POLICY } from './contract-policy';
import type { SlaEvent } from './events';
import { forecastTicket } from './forecast';
import { HOUR, MIN, T0, run } from './spec-kit';

// A red ticket diagnosed on site at T0 + 1 h with a part to come.
const diagnosed: SlaEvent[] = [
  { type: 'remote_work_started', at: T0 + 5 * MIN },
  { type: 'visit_dispatched', at: T0 + 10 * MIN, visitId: 'v1' },
  { type: 'visit_arrived', at: T0 + 40 * MIN, visitId: 'v1' },
  { type: 'visit_diagnosed', at: T0 + 1 * HOUR, visitId: 'v1', needsParts: true },
];
const reserve = (tier: 'hospital' | 'regional' | 'national', etaAt?: number): SlaEvent => ({
  type: 'part_reserved',
  at: T0 + 1 * HOUR,
  reservationId: 'r1',
  tier,
  ...(etaAt === undefined ? {} : { etaAt }),
});
const forecastAt = (events: SlaEvent[], options = {}) =>
  forecastTicket(CONTRACT_POLICY, run(events, { severity: 'red', now: T0 + 1 * HOUR }), options);

describe('forecastTicket', () => {
  // RESOLVE red is due at T0 + 4 h; forecast = part ETA + 1 h install + 2 h verification.
  it.each([
    [
      'hospital part in 15 min',
      reserve('hospital', T0 + 75 * MIN),
      T0 + 75 * MIN + 3 * HOUR,
      true, // contract: red resolve 4 h leaves no room for a part after a 1 h diagnosis
    ],
    ['part exactly in time', reserve('hospital', T0 + 1 * HOUR), T0 + 4 * HOUR, false],
    ['part 1 ms too late', reserve('hospital', T0 + 1 * HOUR + 1), T0 + 4 * HOUR + 1, true],
    ['regional part in 2 h', reserve('regional', T0 + 3 * HOUR), T0 + 6 * HOUR, true],
    ['national part, no ETA: assume its 48 h promise', reserve('national'), T0 + 52 * HOUR, true],
  ])('%s', (_name, reservation, resolveAt, atRisk) => {
    const forecast = forecastAt([...diagnosed, reservation]);
    const resolve = forecast.items.find((i) => i.code === 'RESOLVE');
    expect(resolve).toMatchObject({ dueAt: T0 + 4 * HOUR, forecastAt: resolveAt, atRisk });
    expect(resolve?.marginMs).toBe(T0 + 4 * HOUR - resolveAt);
    expect(forecast.atRisk).toBe(atRisk);
    expect(forecast.items.find((i) => i.code === 'REPLACE_PARTS')?.forecastAt).toBe(
      resolveAt - 2 * HOUR,
    );
  });

  it('flags a delivery whose ETA passes the tier promise (at reservation, not at the deadline)', () => {
    const forecast = forecastAt([...diagnosed, reserve('regional', T0 + 4 * HOUR)]);
    expect(forecast.items.find((i) => i.key === 'PART_DELIVERY:r1')).toMatchObject({
      dueAt: T0 + 3 * HOUR,
      forecastAt: T0 + 4 * HOUR,
      atRisk: true,
    });
  });

  it('lets a what-if ETA override the logged one', () => {
    const forecast = forecastAt([...diagnosed, reserve('regional', T0 + 4 * HOUR)], {
      etas: { r1: T0 + 1 * HOUR },
    });
    expect(forecast.partsReadyAt).toBe(T0 + 1 * HOUR);
    expect(forecast.atRisk).toBe(false);
  });

  it('follows part_eta_changed and forgets delivered parts', () => {
    const moved = forecastAt([
      ...diagnosed,
      reserve('national', T0 + 2 * HOUR),
      { type: 'part_eta_changed', at: T0 + 1 * HOUR, reservationId: 'r1', etaAt: T0 + 30 * HOUR },
    ]);
    expect(moved.partsReadyAt).toBe(T0 + 30 * HOUR);
    const delivered = forecastTicket(
      CONTRACT_POLICY,
      run(
        [
          ...diagnosed,
          reserve('hospital'),
          { type: 'part_delivered', at: T0 + 70 * MIN, reservationId: 'r1' },
        ],
        { severity: 'red', now: T0 + 2 * HOUR },
      ),
    );
    expect(delivered).toEqual({ partsReadyAt: null, items: [], atRisk: false });
  });

  it('does not forecast RESOLVE once service is restored by a loaner', () => {
    const forecast = forecastAt([
      ...diagnosed,
      reserve('national', T0 + 40 * HOUR),
      { type: 'service_restored', at: T0 + 1 * HOUR, how: 'loaner' },
    ]);
    expect(forecast.items.map((i) => i.code)).toEqual(['PART_DELIVERY', 'REPLACE_PARTS']);
    expect(forecast.atRisk).toBe(false);
  });

  it('marks a clock that has already breached as at risk', () => {
    const result = run([...diagnosed, reserve('national', T0 + 5 * HOUR)], {
      severity: 'red',
      now: T0 + 4 * HOUR + 1,
    });
    const forecast = forecastTicket(CONTRACT_POLICY, result, { etas: { r1: T0 + 4 * HOUR + 1 } });
    expect(forecast.items.find((i) => i.code === 'RESOLVE')).toMatchObject({ atRisk: true });
  });

  it('never forecasts an overdue part in the past', () => {
    const result = run([...diagnosed, reserve('regional', T0 + 2 * HOUR)], {
      severity: 'red',
      now: T0 + 150 * MIN,
    });
    expect(forecastTicket(CONTRACT_POLICY, result).partsReadyAt).toBe(T0 + 150 * MIN);
  });
});
