import {
  addYears,
  effectiveHeartbeat,
  heartbeatProblems,
  isCalendarDate,
  isTimeZone,
  judgeNewDevice,
} from './device.rules';
import type { NewDevice, RegistryView } from './device.rules';

const registry: RegistryView = {
  siteExists: (id) => id === 'st-anne' || id === 'st-paul',
  deviceExists: (id) => ['bs-1', 'bs-9', 'gd-1'].includes(id),
  serialOwner: (model, serial) =>
    model === 'GD-200' && serial === 'SN-TAKEN' ? 'gd-1' : undefined,
  device: (id) =>
    ({
      'bs-1': { kind: 'base_station', siteId: 'st-anne' },
      'bs-9': { kind: 'base_station', siteId: 'st-paul' },
      'gd-1': { kind: 'gown_dispenser', siteId: 'st-anne' },
    })[id],
};

const base: NewDevice = {
  id: 'gd-2',
  kind: 'gown_dispenser',
  model: 'GD-200',
  serial: 'SN-1',
  siteId: 'st-anne',
  installDate: '2026-03-01',
};
const TODAY = '2026-11-26';

describe('judgeNewDevice', () => {
  it('accepts a valid device and fills the 5-year warranty (contract)', () => {
    expect(judgeNewDevice(base, registry, TODAY)).toEqual({
      ok: true,
      values: expect.objectContaining({
        warrantyEnd: '2031-03-01',
        criticality: 'normal',
        parentId: null,
        room: null,
      }),
    });
  });

  it.each([
    [{ id: 'GD 2' }, 'id: "GD 2" must match'],
    [{ id: 'gd-1' }, 'id: device gd-1 already exists'],
    [{ kind: 'toaster' }, 'kind: "toaster" is not a device kind'],
    [{ serial: 'SN-TAKEN' }, 'serial: GD-200 SN-TAKEN is already registered as gd-1'],
    [{ siteId: 'nowhere' }, 'siteId: no site nowhere'],
    [{ criticality: 'urgent' }, 'criticality: expected one of critical, high, normal, low'],
    [{ installDate: '2026-02-30' }, 'installDate: expected YYYY-MM-DD'],
    [{ installDate: '2026-11-27' }, 'installDate: 2026-11-27 is in the future'],
    [{ warrantyEnd: '2025-01-01' }, 'warrantyEnd: before installDate'],
    [
      { parentId: 'bs-1' },
      'parentId: only BLE devices (beacon, wristband) have a parent base station',
    ],
    [
      { kind: 'beacon', parentId: 'gd-1' },
      'parentId: gd-1 is a gown_dispenser, not a base_station',
    ],
    [{ kind: 'beacon', parentId: 'bs-9' }, 'parentId: bs-9 is on site st-paul, not st-anne'],
    [{ kind: 'wristband', parentId: 'bs-404' }, 'parentId: no device bs-404'],
    [
      { kind: 'wristband', id: 'wb-1', parentId: 'wb-1' },
      'parentId: a device cannot be its own parent',
    ],
  ] as [Partial<NewDevice>, string][])('refuses %j', (change, message) => {
    const judged = judgeNewDevice({ ...base, ...change }, registry, TODAY);
    expect(judged.ok ? [] : judged.errors).toEqual([expect.stringContaining(message)]);
  });

  it('accepts a BLE device under a base station of its site', () => {
    const judged = judgeNewDevice(
      { ...base, id: 'bc-1', kind: 'beacon', parentId: 'bs-1' },
      registry,
      TODAY,
    );
    expect(judged.ok && judged.values.parentId).toBe('bs-1');
  });

  it('reports every problem of a row at once', () => {
    const judged = judgeNewDevice(
      { ...base, id: 'X', kind: 'toaster', siteId: 'nowhere' },
      registry,
      TODAY,
    );
    expect(judged.ok ? 0 : judged.errors.length).toBe(3);
  });
});

describe('heartbeat overrides', () => {
  it.each([
    [{}, []],
    [{ heartbeatIntervalS: null, missesBeforeMissing: null }, []],
    [{ heartbeatIntervalS: 1, missesBeforeMissing: 1 }, []],
    [{ heartbeatIntervalS: 86_400, missesBeforeMissing: 1_000 }, []],
    [
      { heartbeatIntervalS: 0 },
      ['heartbeatIntervalS: expected a whole number of seconds from 1 to 86400'],
    ],
    [{ heartbeatIntervalS: 86_401 }, ['heartbeatIntervalS: expected a whole number of seconds']],
    [{ heartbeatIntervalS: 2.5 }, ['heartbeatIntervalS: expected a whole number of seconds']],
    [
      { missesBeforeMissing: 0 },
      ['missesBeforeMissing: expected a whole number of beats from 1 to 1000'],
    ],
    [
      { heartbeatIntervalS: -1, missesBeforeMissing: 1_001 },
      ['heartbeatIntervalS: expected', 'missesBeforeMissing: expected'],
    ],
  ] as [Parameters<typeof heartbeatProblems>[0], string[]][])('%j → %j', (overrides, expected) => {
    expect(heartbeatProblems(overrides)).toEqual(
      expected.map((m): unknown => expect.stringContaining(m)),
    );
  });

  it('keeps valid overrides on a new device, null when absent, and refuses bad ones', () => {
    const own = judgeNewDevice(
      { ...base, heartbeatIntervalS: 60, missesBeforeMissing: 5 },
      registry,
      TODAY,
    );
    expect(own.ok && [own.values.heartbeatIntervalS, own.values.missesBeforeMissing]).toEqual([
      60, 5,
    ]);
    const plain = judgeNewDevice(base, registry, TODAY);
    expect(plain.ok && [plain.values.heartbeatIntervalS, plain.values.missesBeforeMissing]).toEqual(
      [null, null],
    );
    const bad = judgeNewDevice({ ...base, missesBeforeMissing: 0 }, registry, TODAY);
    expect(bad.ok ? [] : bad.errors).toEqual([expect.stringMatching(/^missesBeforeMissing: /)]);
  });

  it.each([
    // kind, overrides, effective interval, misses, missing after (contract table: 30 s × 3, 10 s × 3)
    ['gown_dispenser', {}, 30, 3, 90],
    ['gown_dispenser', { heartbeatIntervalS: 60 }, 60, 3, 180],
    ['gown_dispenser', { missesBeforeMissing: 5 }, 30, 5, 150],
    ['base_station', { heartbeatIntervalS: null, missesBeforeMissing: 2 }, 10, 2, 20],
  ] as const)('%s with %j: %i s × %i = %i s', (kind, overrides, intervalS, misses, after) => {
    expect(effectiveHeartbeat(kind, overrides)).toEqual({
      intervalS,
      misses,
      missingAfterS: after,
    });
  });
});

describe('dates and zones', () => {
  it.each([
    ['2026-03-01', 5, '2031-03-01'],
    ['2024-02-29', 5, '2029-02-28'],
    ['2024-02-29', 4, '2028-02-29'],
    ['2026-12-31', 1, '2027-12-31'],
  ])('%s + %i years = %s', (date, years, expected) => {
    expect(addYears(date, years)).toBe(expected);
  });

  it.each([
    ['2026-02-28', true],
    ['2026-02-29', false],
    ['2026-13-01', false],
    ['26-01-01', false],
  ])('isCalendarDate(%s) = %s', (value, valid) => {
    expect(isCalendarDate(value)).toBe(valid);
  });

  it.each([
    ['Asia/Shanghai', true],
    ['Europe/Berlin', true],
    ['UTC', true],
    ['Mars/Olympus', false],
    ['', false],
  ])('isTimeZone(%s) = %s', (value, valid) => {
    expect(isTimeZone(value)).toBe(valid);
  });
});
