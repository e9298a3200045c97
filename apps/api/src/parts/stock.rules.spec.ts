import { PART_CATALOG } from '@orfleet/devices';
import { catalogParts, partClassOf } from './part-catalog.rules';
import { replenishmentTransitionAllowed, storeShapeProblems } from './stock.rules';
import type { ReplenishmentStatus } from './stock.rules';

describe('store shape', () => {
  it.each([
    ['hospital with a site', { tier: 'hospital', siteId: 's' }, 0],
    ['hospital without a site', { tier: 'hospital' }, 1],
    ['hospital with a region', { tier: 'hospital', siteId: 's', region: 'east' }, 1],
    ['regional with a region', { tier: 'regional', region: 'east' }, 0],
    ['regional without a region', { tier: 'regional', siteId: null }, 1],
    ['regional with a site and no region', { tier: 'regional', siteId: 's' }, 2],
    ['national bare', { tier: 'national' }, 0],
    ['national with a region', { tier: 'national', region: 'east' }, 1],
  ] as const)('%s: %d problem(s)', (_label, store, problems) => {
    expect(storeShapeProblems(store)).toHaveLength(problems);
  });
});

describe('replenishment request transitions', () => {
  const all: ReplenishmentStatus[] = ['open', 'ordered', 'received', 'cancelled'];
  const allowed = new Set([
    'open>ordered',
    'open>received',
    'open>cancelled',
    'ordered>received',
    'ordered>cancelled',
  ]);
  it.each(
    all.flatMap((from) => all.map((to) => [from, to, allowed.has(`${from}>${to}`)] as const)),
  )('%s → %s allowed: %s', (from, to, ok) => {
    expect(replenishmentTransitionAllowed(from, to)).toBe(ok);
  });
});

describe('catalog import rows', () => {
  const rows = catalogParts();
  const byNumber = new Map(rows.map((r) => [r.partNumber, r]));

  it.each([
    ['PSU-SRV-800', 'common', 'hospital', ['server']],
    ['PSU-SW-250', 'common', 'hospital', ['network_switch']],
    ['MEM-SRV-32G', 'common', 'hospital', []],
    ['BS-UNIT-01', 'special', 'regional', ['base_station']],
    ['DRV-DSP-01', 'special', 'regional', ['gown_dispenser', 'shoe_dispenser', 'recycler']],
    ['BATT-PDA-01', 'special', 'regional', ['pda']],
  ])('%s: %s, %s, fits %j', (partNumber, partClass, tier, kinds) => {
    expect(byNumber.get(partNumber)).toMatchObject({
      class: partClass,
      defaultTier: tier,
      fitsKinds: kinds,
    });
  });

  it('lists every catalogued part once, sorted', () => {
    const numbers = rows.map((r) => r.partNumber);
    expect(numbers).toEqual([...new Set(numbers)].sort());
    expect(numbers).toHaveLength(Object.keys(PART_CATALOG).length);
  });

  it.each([
    ['hospital', 'common'],
    ['regional', 'special'],
    ['national', 'special'],
  ] as const)('a %s-tier part is %s', (tier, partClass) => {
    expect(partClassOf(tier)).toBe(partClass);
  });

  it('derives kinds from the device catalog it is given', () => {
    const parts = { 'X-1': { partNumber: 'X-1', name: 'x', defaultTier: 'national' as const } };
    expect(catalogParts(parts, {})).toEqual([
      { partNumber: 'X-1', name: 'x', class: 'special', defaultTier: 'national', fitsKinds: [] },
    ]);
  });
});
