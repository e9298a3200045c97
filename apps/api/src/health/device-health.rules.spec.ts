import { countSite, healthState, isFaultTicket, noCounts } from './device-health.rules';
import type { FactGroup, HealthFacts, HealthState } from './device-health.rules';

describe('healthState: maintenance > missing/unknown > faulty > ok', () => {
  it.each<[HealthFacts['tracked'], boolean, boolean, HealthState]>([
    // tracked, faulty, inMaintenance → state
    ['ok', false, false, 'ok'],
    ['ok', true, false, 'faulty'],
    ['missing', false, false, 'missing'],
    ['missing', true, false, 'missing'],
    ['unknown', false, false, 'unknown'],
    ['unknown', true, false, 'unknown'],
    [null, false, false, 'unknown'],
    [null, true, false, 'unknown'],
    ['ok', false, true, 'maintenance'],
    ['ok', true, true, 'maintenance'],
    ['missing', true, true, 'maintenance'],
    ['unknown', false, true, 'maintenance'],
    [null, false, true, 'maintenance'],
  ])('tracked %s, faulty %s, in maintenance %s → %s', (tracked, faulty, inMaintenance, state) => {
    expect(healthState({ tracked, faulty, inMaintenance })).toBe(state);
  });
});

describe('isFaultTicket', () => {
  it.each<[string, string | null, boolean]>([
    ['health-rule', 'fault:gd-1:MOTOR_STALL', true],
    ['health-rule', 'motor:gd-1', true],
    ['health-rule', 'battery:bc-1', true],
    ['health-rule', null, true],
    // a missing ticket waits for verification after the device is back: not a fault now
    ['health-rule', 'missing:gd-1', false],
    // people's tickets do not decide the device's health
    ['hotline', 'fault:gd-1:MOTOR_STALL', false],
    ['api', null, false],
    ['portal', 'motor:gd-1', false],
  ])('source %s, fingerprint %s → %s', (source, fingerprint, faulty) => {
    expect(isFaultTicket({ source, fingerprint })).toBe(faulty);
  });
});

describe('countSite', () => {
  const group = (kind: string, devices: number, facts: Partial<HealthFacts>): FactGroup => ({
    kind,
    devices,
    tracked: 'ok',
    faulty: false,
    inMaintenance: false,
    ...facts,
  });

  it('sums groups by state and by kind and state', () => {
    const counts = countSite([
      group('base_station', 3, {}),
      group('base_station', 1, { tracked: 'missing' }),
      group('beacon', 200, { tracked: 'unknown' }),
      group('beacon', 5, { tracked: null }),
      group('gown_dispenser', 2, { faulty: true }),
      group('gown_dispenser', 4, { tracked: 'missing', inMaintenance: true }),
    ]);
    expect(counts).toEqual({
      total: 215,
      byState: { ok: 3, missing: 1, unknown: 205, faulty: 2, maintenance: 4 },
      byKind: {
        base_station: { ...noCounts(), ok: 3, missing: 1 },
        beacon: { ...noCounts(), unknown: 205 },
        gown_dispenser: { ...noCounts(), faulty: 2, maintenance: 4 },
      },
    });
  });

  it('an empty site has zero everywhere and no kinds', () => {
    expect(countSite([])).toEqual({ total: 0, byState: noCounts(), byKind: {} });
  });
});
