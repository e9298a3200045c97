// A small SVG chart writer for docs/performance.md: line charts (throughput over time, latency
// by quantile) and horizontal bar charts, drawn from bench results with no package and no
// network. Pure and deterministic: the same input gives the same bytes (the docs check needs it).

export interface Series {
  readonly name: string;
  /** [x, y] pairs; x ascending. Non-finite values are a caller error. */
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Label these x values instead of evenly spaced numbers (e.g. quantile positions). */
  readonly xTicks?: readonly (readonly [number, string])[];
  /** A logarithmic y axis (every y must then be > 0). */
  readonly logY?: boolean;
  /** The y axis starts at 0 (linear axes only; default true). */
  readonly yFromZero?: boolean;
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** A mark on the bar's row: the goal, drawn as a vertical tick. */
  readonly goal?: number;
  readonly met?: boolean;
}

export interface BarChart {
  readonly title: string;
  readonly xLabel: string;
  readonly bars: readonly Bar[];
}

const WIDTH = 720;
const HEIGHT = 360;
const M = { left: 72, right: 20, top: 40, bottom: 56 };
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];

/** XML text and attribute escaping (XML 1.0 § 2.4: & and < always; quotes in attributes). */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** A coordinate: at most 1 decimal, no trailing zeros, never "-0". */
const c = (x: number): string => {
  const r = Math.round(x * 10) / 10;
  return String(r === 0 ? 0 : r);
};

/** A tick label: thousands as k, small values with up to 2 significant decimals. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1_000_000) return `${trim(v / 1_000_000)}M`;
  if (a >= 1_000) return `${trim(v / 1_000)}k`;
  if (a >= 100 || v === 0) return String(Math.round(v));
  if (a >= 1) return trim(v);
  return String(Number(v.toPrecision(2)));
}
const trim = (v: number) => String(Math.round(v * 10) / 10);

/** Evenly spaced "nice" ticks (1, 2, 5 × 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) {
    throw new Error(`niceTicks: bad range [${min}, ${max}]`);
  }
  if (max === min) max = min === 0 ? 1 : min + Math.abs(min);
  const raw = (max - min) / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * power).find((s) => raw <= s) ?? 10 * power;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Powers of ten covering [min, max] (both > 0). */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max >= min)) throw new Error(`logTicks: bad range [${min}, ${max}]`);
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    ticks.push(Number((10 ** e).toPrecision(12)));
  }
  return ticks.length >= 2 ? ticks : [ticks[0]!, ticks[0]! * 10];
}

function frame(title: string, body: string[], height = HEIGHT): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Legend entries per row above the plot (2 when a name is long), and the height of a row. */
const legendColumns = (series: readonly Series[]) =>
  series.some((s) => s.name.length > 28) ? 2 : 3;
const LEGEND_ROW = 16;

export function lineChart(chart: LineChart): string {
  const all = chart.series.flatMap((s) => s.points);
  if (all.length === 0) throw new Error(`lineChart "${chart.title}": no points`);
  for (const [x, y] of all) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      throw new Error(`lineChart "${chart.title}": non-finite point (${x}, ${y})`);
    }
    if (chart.logY === true && y <= 0) {
      throw new Error(`lineChart "${chart.title}": y ${y} on a log axis`);
    }
  }
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const xTickValues = chart.xTicks?.map(([v]) => v) ?? niceTicks(Math.min(...xs), Math.max(...xs));
  const xMin = Math.min(...xTickValues, ...xs);
  const xMax = Math.max(...xTickValues, ...xs);
  const yTicks =
    chart.logY === true
      ? logTicks(Math.min(...ys), Math.max(...ys))
      : niceTicks(
          chart.yFromZero === false ? Math.min(...ys) : Math.min(0, ...ys),
          Math.max(...ys),
        );
  const yMin = yTicks[0]!;
  const yMax = yTicks[yTicks.length - 1]!;
  const columns = legendColumns(chart.series);
  const legendRows = Math.ceil(chart.series.length / columns);
  const top = M.top + legendRows * LEGEND_ROW + 8;
  const height = HEIGHT + legendRows * LEGEND_ROW;
  const plotW = WIDTH - M.left - M.right;
  const plotH = height - top - M.bottom;
  const px = (x: number) =>
    M.left + (xMax === xMin ? plotW / 2 : ((x - xMin) / (xMax - xMin)) * plotW);
  const ty = (y: number) => (chart.logY === true ? Math.log10(y) : y);
  const py = (y: number) => top + plotH - ((ty(y) - ty(yMin)) / (ty(yMax) - ty(yMin))) * plotH;

  const body: string[] = [];
  for (const v of yTicks) {
    body.push(
      `<line x1="${M.left}" y1="${c(py(v))}" x2="${WIDTH - M.right}" y2="${c(py(v))}" stroke="#e0e0e0"/>`,
      `<text x="${M.left - 6}" y="${c(py(v) + 4)}" text-anchor="end">${escapeXml(formatTick(v))}</text>`,
    );
  }
  const xLabels = chart.xTicks ?? xTickValues.map((v) => [v, formatTick(v)] as const);
  for (const [v, label] of xLabels) {
    body.push(
      `<line x1="${c(px(v))}" y1="${top + plotH}" x2="${c(px(v))}" y2="${top + plotH + 4}" stroke="#333333"/>`,
      `<text x="${c(px(v))}" y="${top + plotH + 18}" text-anchor="middle">${escapeXml(label)}</text>`,
    );
  }
  body.push(
    `<line x1="${M.left}" y1="${top + plotH}" x2="${WIDTH - M.right}" y2="${top + plotH}" stroke="#333333"/>`,
    `<line x1="${M.left}" y1="${top}" x2="${M.left}" y2="${top + plotH}" stroke="#333333"/>`,
    `<text x="${M.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text x="16" y="${c(top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 16 ${c(top + plotH / 2)})">${escapeXml(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const points = s.points.map(([x, y]) => `${c(px(x))},${c(py(y))}`).join(' ');
    body.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`,
      ...(s.points.length <= 20
        ? s.points.map(
            ([x, y]) => `<circle cx="${c(px(x))}" cy="${c(py(y))}" r="3" fill="${color}"/>`,
          )
        : []),
    );
    // the legend: above the plot, never over a line
    const lx = M.left + (i % columns) * Math.floor(plotW / columns);
    const ly = M.top + Math.floor(i / columns) * LEGEND_ROW;
    body.push(
      `<rect x="${lx}" y="${ly - 5}" width="14" height="3" fill="${color}"/>`,
      `<text x="${lx + 20}" y="${ly}">${escapeXml(s.name)}</text>`,
    );
  });
  return frame(chart.title, body, height);
}

export function barChart(chart: BarChart): string {
  if (chart.bars.length === 0) throw new Error(`barChart "${chart.title}": no bars`);
  for (const b of chart.bars) {
    if (!Number.isFinite(b.value) || (b.goal !== undefined && !Number.isFinite(b.goal))) {
      throw new Error(`barChart "${chart.title}": bar "${b.label}" is not finite`);
    }
  }
  const labelW = 250;
  const left = M.left + labelW - 40;
  const plotW = WIDTH - left - M.right;
  const rowH = 36;
  const ticks = niceTicks(
    0,
    Math.max(...chart.bars.flatMap((b) => [b.value, ...(b.goal === undefined ? [] : [b.goal])])),
  );
  const max = ticks[ticks.length - 1]!;
  const px = (v: number) => left + (Math.max(0, v) / max) * plotW;
  const bottom = M.top + rowH * chart.bars.length;
  const body: string[] = [];
  for (const v of ticks) {
    body.push(
      `<line x1="${c(px(v))}" y1="${M.top}" x2="${c(px(v))}" y2="${c(bottom)}" stroke="#e0e0e0"/>`,
      `<text x="${c(px(v))}" y="${c(bottom + 16)}" text-anchor="middle">${escapeXml(formatTick(v))}</text>`,
    );
  }
  chart.bars.forEach((b, i) => {
    const y = M.top + i * rowH;
    const color = b.met === undefined ? PALETTE[0]! : b.met ? '#2ca02c' : '#d62728';
    body.push(
      `<text x="${left - 8}" y="${c(y + rowH / 2 + 4)}" text-anchor="end">${escapeXml(b.label)}</text>`,
      `<rect x="${left}" y="${c(y + rowH * 0.2)}" width="${c(px(b.value) - left)}" height="${c(rowH * 0.6)}" fill="${color}"/>`,
      `<text x="${c(px(b.value) + 4)}" y="${c(y + rowH / 2 + 4)}">${escapeXml(formatTick(b.value))}</text>`,
    );
    if (b.goal !== undefined) {
      body.push(
        `<line x1="${c(px(b.goal))}" y1="${c(y + 2)}" x2="${c(px(b.goal))}" y2="${c(y + rowH - 2)}" stroke="#000000" stroke-width="2" stroke-dasharray="3,2"/>`,
      );
    }
  });
  body.push(
    `<line x1="${left}" y1="${M.top}" x2="${left}" y2="${c(bottom)}" stroke="#333333"/>`,
    `<text x="${left + plotW / 2}" y="${c(bottom + 36)}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
  );
  return frame(chart.title, body, Math.round(bottom + 48));
}
