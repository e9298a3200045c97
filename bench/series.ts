// What the benches record for the plots of docs/performance.md: a latency distribution as fixed
// quantiles, and a throughput time series as counts per whole second. Pure: no clock, no I/O.

/** The quantiles every latency distribution is recorded at (1 = the maximum). */
export const QUANTILES: readonly number[] = [
  0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1,
];

export interface Distribution {
  readonly count: number;
  /** QUANTILES, written out so a reader of the JSON needs no code. */
  readonly quantiles: readonly number[];
  /** The value at each quantile (nearest rank), in ms. */
  readonly valuesMs: readonly number[];
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * The distribution of `values` (ms) at QUANTILES by nearest rank; `sorted` skips the sort when
 * the caller already sorted them ascending. Empty input gives count 0 and no values.
 */
export function distribution(
  values: ArrayLike<number>,
  options: { sorted?: boolean; digits?: number } = {},
): Distribution {
  const sorted = options.sorted === true ? values : Float64Array.from(values).sort();
  const n = sorted.length;
  const digits = options.digits ?? 2;
  if (n === 0) return { count: 0, quantiles: QUANTILES, valuesMs: [] };
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(n * q) - 1))]!;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(sorted[i]!)) throw new Error(`distribution: value ${i} is not finite`);
  }
  return { count: n, quantiles: QUANTILES, valuesMs: QUANTILES.map((q) => round(at(q), digits)) };
}

/**
 * Per whole second from `t0`, how much a cumulative counter grew: `t` are the sample times (ms,
 * ascending) and `total` the counter at each, counted from 0 at `t0`. A second without samples inside it gets the growth
 * interpolated linearly between its neighbours; the last, partial second is left out.
 */
export function perSecond(t: readonly number[], total: readonly number[], t0: number): number[] {
  if (t.length !== total.length) throw new Error('perSecond: t and total differ in length');
  if (t.length === 0) return [];
  const valueAt = (x: number): number => {
    if (x <= t0) return 0;
    let i = 0;
    while (i < t.length && t[i]! < x) i++;
    if (i === 0) {
      // before the first sample: from (t0, 0) to the first sample
      const span = t[0]! - t0;
      return span <= 0 ? total[0]! : (total[0]! * (x - t0)) / span;
    }
    if (i === t.length) return total[t.length - 1]!;
    const [ta, tb, va, vb] = [t[i - 1]!, t[i]!, total[i - 1]!, total[i]!];
    return tb === ta ? vb : va + ((vb - va) * (x - ta)) / (tb - ta);
  };
  const seconds = Math.floor((t[t.length - 1]! - t0) / 1_000);
  const out: number[] = [];
  for (let s = 0; s < seconds; s++) {
    out.push(Math.round(valueAt(t0 + (s + 1) * 1_000) - valueAt(t0 + s * 1_000)));
  }
  return out;
}
