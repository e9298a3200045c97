import { barChart, escapeXml, formatTick, lineChart, logTicks, niceTicks } from './svg';
import { wellFormed } from './well-formed.testing';

describe('the well-formedness check itself', () => {
  it.each([
    ['<a><b></a></b>', 'closes'],
    ['<a x="1" x="2"/>', 'duplicate attribute'],
    ['<a>x & y</a>', 'bad entity'],
    ['<a x=1/>', 'malformed tag'],
    ['<a>', 'unclosed elements'],
  ])('refuses %s', (xml, message) => {
    expect(() => wellFormed(xml)).toThrow(message);
  });

  it('accepts nesting, entities and self-closing tags', () => {
    expect(wellFormed('<a k="&quot;v&quot;"><b/>1 &lt; 2 &amp; 3</a>')).toEqual(['a', 'b']);
  });
});

const hostile = 'p99 <&> "quoted" & more';

describe('lineChart', () => {
  const chart = {
    title: hostile,
    xLabel: 'seconds',
    yLabel: 'msg/s',
    series: [
      { name: 'orfleet (b)', points: [1, 2, 3, 4].map((x) => [x, x * 1_000] as const) },
      { name: hostile, points: [1, 2, 3, 4].map((x) => [x, 500 + x] as const) },
    ],
  };

  it('writes well-formed SVG with every text escaped', () => {
    const svg = lineChart(chart);
    const names = wellFormed(svg);
    expect(names[0]).toBe('svg');
    expect(names.filter((n) => n === 'polyline')).toHaveLength(2);
    expect(svg).toContain(escapeXml(hostile));
    expect(svg).not.toContain(hostile);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('is deterministic', () => {
    expect(lineChart(chart)).toBe(lineChart(chart));
  });

  it('draws a log axis with named x ticks', () => {
    const svg = lineChart({
      title: 'latency',
      xLabel: 'quantile',
      yLabel: 'ms',
      logY: true,
      xTicks: [
        [0, 'p50'],
        [1, 'p99'],
        [2, 'max'],
      ],
      series: [
        {
          name: 'a',
          points: [
            [0, 0.3],
            [1, 40],
            [2, 9_000],
          ],
        },
      ],
    });
    wellFormed(svg);
    for (const label of ['p50', 'p99', 'max', '0.1', '1', '10', '100', '10k']) {
      expect(svg).toContain(`>${label}</text>`);
    }
  });

  it.each([
    [{ series: [] }, 'no points'],
    [{ series: [{ name: 'a', points: [[0, NaN] as const] }] }, 'non-finite'],
    [{ logY: true, series: [{ name: 'a', points: [[0, 0] as const] }] }, 'on a log axis'],
  ])('refuses bad input %#', (override, message) => {
    expect(() => lineChart({ ...chart, ...override })).toThrow(message);
  });
});

describe('barChart', () => {
  it('writes well-formed SVG, colours bars by their goal and marks the goal', () => {
    const svg = barChart({
      title: 'payloads/s',
      xLabel: hostile,
      bars: [
        { label: 'JSON.parse', value: 1_500_000 },
        { label: 'decode <met>', value: 800_000, goal: 200_000, met: true },
        { label: 'decode missed', value: 100_000, goal: 200_000, met: false },
      ],
    });
    wellFormed(svg);
    expect(svg).toContain('fill="#2ca02c"');
    expect(svg).toContain('fill="#d62728"');
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2);
    expect(svg).toContain('decode &lt;met&gt;');
  });

  it('refuses no bars and a value that is not finite', () => {
    expect(() => barChart({ title: 't', xLabel: 'x', bars: [] })).toThrow('no bars');
    expect(() =>
      barChart({ title: 't', xLabel: 'x', bars: [{ label: 'a', value: Infinity }] }),
    ).toThrow('not finite');
  });
});

describe('axes', () => {
  it.each([
    [0, 26_295, [0, 10_000, 20_000, 30_000]],
    [0, 22_000, [0, 5_000, 10_000, 15_000, 20_000, 25_000]],
    [0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [3, 97, [0, 20, 40, 60, 80, 100]],
  ])('niceTicks(%d, %d)', (min, max, ticks) => {
    expect(niceTicks(min, max)).toEqual(ticks);
  });

  it('logTicks covers the range with powers of ten', () => {
    expect(logTicks(0.27, 9_024)).toEqual([0.1, 1, 10, 100, 1_000, 10_000]);
    expect(logTicks(100, 100)).toEqual([100, 1_000]);
    expect(() => logTicks(0, 1)).toThrow('bad range');
  });

  it.each([
    [0, '0'],
    [250, '250'],
    [1.25, '1.3'],
    [0.05, '0.05'],
    [8_000, '8k'],
    [15_000, '15k'],
    [2_500_000, '2.5M'],
  ])('formatTick(%d) = %s', (v, text) => {
    expect(formatTick(v)).toBe(text);
  });
});
