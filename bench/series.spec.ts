import { QUANTILES, distribution, perSecond } from './series';

describe('distribution', () => {
  it('reads every quantile by nearest rank', () => {
    const values = Array.from({ length: 1_000 }, (_, i) => 1_000 - i); // 1..1000, unsorted
    const d = distribution(values);
    expect(d.count).toBe(1_000);
    expect(d.quantiles).toEqual(QUANTILES);
    expect(d.valuesMs).toEqual([10, 50, 100, 250, 500, 750, 900, 950, 990, 999, 1_000]);
  });

  it.each([
    [[7], [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]],
    [
      [1, 2],
      [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2],
    ],
  ])('small inputs: %j', (values, expected) => {
    expect(distribution(values).valuesMs).toEqual(expected);
  });

  it('rounds to the digits asked and trusts a sorted input', () => {
    const sorted = Float64Array.from([0.123, 0.456, 0.789]);
    expect(distribution(sorted, { sorted: true, digits: 1 }).valuesMs.at(-1)).toBe(0.8);
  });

  it('empty input: count 0 and no values', () => {
    expect(distribution([])).toEqual({ count: 0, quantiles: QUANTILES, valuesMs: [] });
  });

  it('refuses a value that is not finite', () => {
    expect(() => distribution([1, NaN])).toThrow('not finite');
  });
});

describe('perSecond', () => {
  it('differences a cumulative counter per whole second, the partial last second left out', () => {
    // sampled every 500 ms at 100/s, then 300/s
    const t = [500, 1_000, 1_500, 2_000, 2_500, 3_000, 3_200];
    const total = [50, 100, 150, 200, 350, 500, 560];
    expect(perSecond(t, total, 0)).toEqual([100, 100, 300]);
  });

  it('interpolates seconds without a sample inside them', () => {
    expect(perSecond([0, 4_000], [0, 400], 0)).toEqual([100, 100, 100, 100]);
  });

  it('measures from t0, not from the first sample', () => {
    expect(perSecond([1_500, 2_000], [150, 200], 1_000)).toEqual([200]);
  });

  it('no samples: no seconds; mismatched lengths: an error', () => {
    expect(perSecond([], [], 0)).toEqual([]);
    expect(() => perSecond([1], [], 0)).toThrow('differ in length');
  });
});
