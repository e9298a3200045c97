import fc from 'fast-check';
import { inShard, parseShard, shardFilters, siteHash } from './shard.rules';

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['2/4', { index: 2, count: 4 }],
    [' 4/4 ', { index: 4, count: 4 }],
  ])('reads %j', (text, shard) => {
    expect(parseShard(text)).toEqual({ ok: true, shard });
  });

  it.each(['0/4', '5/4', '1/0', '2', 'a/b', '1/2000', '-1/2', ''])(
    'refuses %j, saying why',
    (text) => {
      expect(parseShard(text)).toEqual({
        ok: false,
        problem: `expected k/n with 1 <= k <= n <= 1024, like 2/4; got "${text}"`,
      });
    },
  );
});

describe('shards', () => {
  it('hashes a site id the same way every time (FNV-1a 32 bit)', () => {
    // reference values of FNV-1a over ASCII
    expect(siteHash('')).toBe(0x811c9dc5);
    expect(siteHash('a')).toBe(0xe40c292c);
    expect(siteHash('foobar')).toBe(0xbf9cf968);
  });

  it('puts every site in exactly one shard of n', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 64 }),
        (site, count) => {
          const owners = Array.from({ length: count }, (_, i) => i + 1).filter((index) =>
            inShard(site, { index, count }),
          );
          expect(owners).toHaveLength(1);
        },
      ),
    );
  });

  it('spreads sites evenly enough: 1,000 sites over 4 shards, each within 20% of 250', () => {
    const sizes = [1, 2, 3, 4].map(
      (index) =>
        Array.from({ length: 1000 }, (_, i) => `st-${i}`).filter((site) =>
          inShard(site, { index, count: 4 }),
        ).length,
    );
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
    for (const size of sizes) expect(Math.abs(size - 250)).toBeLessThanOrEqual(50);
  });

  it('subscribes a single instance to every site with wildcards', () => {
    expect(shardFilters({ index: 1, count: 1 }, ['st-a'])).toEqual([
      'or/+/+/+/heartbeat',
      'or/+/+/+/telemetry',
      'or/+/+/+/fault',
      'or/+/+/+/sightings',
    ]);
  });

  it("subscribes a shard to its own sites' channels only, and two shards cover all sites once", () => {
    const sites = ['st-anne', 'st-mary', 'st-luke', 'st-john', 'st-paul'];
    const first = shardFilters({ index: 1, count: 2 }, sites);
    const second = shardFilters({ index: 2, count: 2 }, sites);
    const siteOf = (filter: string) => filter.split('/')[1];
    expect(new Set([...first, ...second].map(siteOf))).toEqual(new Set(sites));
    expect(first.filter((f) => second.includes(f))).toEqual([]);
    expect(first.length + second.length).toBe(sites.length * 4);
    expect(
      first.every((f) => /^or\/st-[a-z]+\/\+\/\+\/(heartbeat|telemetry|fault|sightings)$/.test(f)),
    ).toBe(true);
  });
});
