// docs/performance.md from the benches' JSON (bench/results/*.json): a table per bench with its
// ratio to its baseline, the issue's goal and whether it is met, the machine it ran on, a short
// reading of what limits each figure, SVG plots, and a sizing section computed from the
// measurements. Pure: the results come in as parsed JSON, the markdown and SVGs go out.
import { DEVICE_CATALOG, DEVICE_KINDS } from '@orfleet/devices';
import { barChart, lineChart } from './svg';
import type { Series } from './svg';

export const BENCHES = ['devices', 'api', 'broker', 'ingest', 'rules'] as const;
export type BenchName = (typeof BENCHES)[number];

/** A bench's results: the full run (bench/results/<name>.json) and the quick one (.quick.json). */
export interface BenchRuns {
  readonly full?: unknown;
  readonly quick?: unknown;
}

export type ReportInput = Readonly<Record<BenchName, BenchRuns>>;

export interface Rendered {
  readonly markdown: string;
  /** SVG files of docs/performance/, by file name. */
  readonly svgs: Readonly<Record<string, string>>;
}

/** Defaults of the ingest's InfluxDB schema (apps/ingest influx-schema.rules.ts). */
export interface Retention {
  readonly rawDays: number;
  readonly rollupDays: number;
}

// ---- reading JSON with clear errors -------------------------------------------------------

/** A value inside a results file, with the path that names it in an error. */
export class Field {
  constructor(
    readonly value: unknown,
    readonly where: string,
  ) {}

  at(...keys: (string | number)[]): Field {
    let v = this.value;
    for (const k of keys) {
      v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    }
    const separator = this.where.endsWith('.json') ? ': ' : '.';
    return new Field(v, `${this.where}${separator}${keys.join('.')}`);
  }

  get exists(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  num(): number {
    if (typeof this.value !== 'number' || !Number.isFinite(this.value)) {
      throw new Error(`${this.where}: expected a number, got ${JSON.stringify(this.value)}`);
    }
    return this.value;
  }

  /** A number, or undefined when absent (a field older runs did not record). */
  optNum(): number | undefined {
    return this.exists ? this.num() : undefined;
  }

  str(): string {
    if (typeof this.value !== 'string') {
      throw new Error(`${this.where}: expected a string, got ${JSON.stringify(this.value)}`);
    }
    return this.value;
  }

  optStr(): string | undefined {
    return this.exists ? this.str() : undefined;
  }

  bool(): boolean {
    if (typeof this.value !== 'boolean') {
      throw new Error(`${this.where}: expected true or false, got ${JSON.stringify(this.value)}`);
    }
    return this.value;
  }

  list(): Field[] {
    if (!Array.isArray(this.value)) {
      throw new Error(`${this.where}: expected a list, got ${JSON.stringify(this.value)}`);
    }
    return this.value.map((v, i) => new Field(v, `${this.where}[${i}]`));
  }

  nums(): number[] {
    return this.list().map((f) => f.num());
  }
}

interface Run {
  readonly kind: 'full' | 'quick';
  readonly data: Field;
}

/** The run a bench's tables come from: the full one when there is one. */
function primary(name: BenchName, runs: BenchRuns): Run | undefined {
  const pick = (kind: 'full' | 'quick'): Run | undefined => {
    const raw = runs[kind];
    if (raw === undefined) return undefined;
    const file = `bench/results/${name}${kind === 'quick' ? '.quick' : ''}.json`;
    const root = new Field(raw, file);
    // rules keeps its run under `full` or `quick`
    const data = name === 'rules' ? root.at(kind) : root;
    return data.exists ? { kind, data } : undefined;
  };
  return pick('full') ?? pick('quick');
}

/** Every run of a bench, the primary first (plots fall back to the other when it lacks a series). */
function runsOf(name: BenchName, runs: BenchRuns): Run[] {
  const out: Run[] = [];
  for (const kind of ['full', 'quick'] as const) {
    const raw = runs[kind];
    if (raw === undefined) continue;
    const file = `bench/results/${name}${kind === 'quick' ? '.quick' : ''}.json`;
    const root = new Field(raw, file);
    const data = name === 'rules' ? root.at(kind) : root;
    if (data.exists) out.push({ kind, data });
  }
  return out;
}

// ---- formatting -----------------------------------------------------------------------------

/** 12,345 / 0.077 / 1.2: thousands separated, `digits` decimals at most. */
export function fmt(x: number, digits = 0): string {
  const p = 10 ** digits;
  const r = Math.round(x * p) / p;
  const [int, frac] = String(Math.abs(r)).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${r < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

const verdict = (met: boolean) => (met ? '**met**' : '**missed**');
/** A markdown table; a column whose every cell is a figure is right-aligned. */
const table = (head: string[], rows: string[][]): string[] => {
  const figure = (cell: string) => /^(\*\*)?[-–\d]/.test(cell) || cell === 'not recorded';
  const align = head.map((_, i) =>
    i > 0 && rows.length > 0 && rows.every((r) => figure(r[i] ?? '')) ? '---:' : '---',
  );
  return [
    `| ${head.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
};
const runLabel = (r: Run) => (r.kind === 'full' ? 'full run' : 'quick run');

// ---- machine --------------------------------------------------------------------------------

export interface Machine {
  readonly cpu: string;
  readonly cores?: number;
  readonly memoryGiB?: number;
  readonly node?: string;
  readonly at?: string;
}

/** The machine of a run: its `machine` object, or the flat fields older runs wrote. */
export function machineOf(run: Field): Machine {
  const m = run.at('machine');
  const from = m.exists ? m : run;
  return {
    cpu: from.at('cpu').optStr() ?? 'not recorded',
    cores: from.at('cores').optNum(),
    memoryGiB: from.at('memoryGiB').optNum(),
    node: from.at('node').optStr(),
    at: from.at('at').optStr() ?? run.at('at').optStr(),
  };
}

// ---- the report -----------------------------------------------------------------------------

interface Section {
  readonly lines: string[];
  /** One line per goal for the summary table: bench, figure, baseline, ratio, goal, verdict. */
  readonly summary: string[][];
  readonly svgs: Record<string, string>;
}

const QUANTILE_LABELS: Record<string, string> = {
  '0.01': 'p1',
  '0.05': 'p5',
  '0.1': 'p10',
  '0.25': 'p25',
  '0.5': 'p50',
  '0.75': 'p75',
  '0.9': 'p90',
  '0.95': 'p95',
  '0.975': 'p97.5',
  '0.99': 'p99',
  '0.999': 'p99.9',
  '1': 'max',
};

/** Distributions as a line chart over quantile positions (evenly spaced: the tail readable). */
function distributionChart(
  title: string,
  entries: { name: string; distribution: Field }[],
): string | undefined {
  const usable = entries.filter(
    (e) => e.distribution.exists && e.distribution.at('count').num() > 0,
  );
  if (usable.length === 0) return undefined;
  const all = [...new Set(usable.flatMap((e) => e.distribution.at('quantiles').nums()))].sort(
    (a, b) => a - b,
  );
  const series: Series[] = usable.map((e) => {
    const q = e.distribution.at('quantiles').nums();
    const v = e.distribution.at('valuesMs').nums();
    if (q.length !== v.length) {
      throw new Error(`${e.distribution.where}: quantiles and valuesMs differ in length`);
    }
    return { name: e.name, points: q.map((x, i) => [all.indexOf(x), v[i]!] as const) };
  });
  // a log axis reads the tail best; a reading of 0 or below (under the timer's resolution, or a
  // clock skew between processes) needs a linear one
  const logY = series.every((s) => s.points.every(([, y]) => y > 0));
  return lineChart({
    title,
    xLabel: 'quantile',
    yLabel: logY ? 'latency, ms (log scale)' : 'latency, ms',
    series,
    logY,
    yFromZero: false,
    xTicks: all.map((q, i) => [i, QUANTILE_LABELS[String(q)] ?? `p${fmt(q * 100, 3)}`]),
  });
}

function perSecondChart(
  title: string,
  yLabel: string,
  entries: { name: string; perSecond: Field }[],
): string | undefined {
  const usable = entries.filter((e) => e.perSecond.exists && e.perSecond.list().length > 0);
  if (usable.length === 0) return undefined;
  return lineChart({
    title,
    xLabel: 'seconds from the start of the phase',
    yLabel,
    series: usable.map((e) => ({
      name: e.name,
      points: e.perSecond.nums().map((y, i) => [i + 1, y] as const),
    })),
  });
}

/** The first run (primary first) for which `pick` finds the data of a plot. */
function plotSource(runs: Run[], pick: (r: Run) => boolean): Run | undefined {
  return runs.find(pick);
}

function figure(file: string, alt: string, run: Run, primaryRun: Run): string {
  const note =
    run.kind === primaryRun.kind
      ? ''
      : ` (from the ${runLabel(run)}: the ${runLabel(primaryRun)} did not record this yet)`;
  return `![${alt}](performance/${file})${note ? `\n\n_${alt}${note}._` : ''}`;
}

function devicesSection(runs: Run[]): Section | undefined {
  const run = runs[0];
  if (run === undefined) return undefined;
  const d = run.data;
  const rows = d.at('results').list();
  const byName = (name: string) => rows.find((r) => r.at('name').str() === name);
  const target = d.at('targetPerS').num();
  const checked = ['decodePayload (string)', 'decodeMessage (topic + bytes)'].map((n) => {
    const r = byName(n);
    if (r === undefined) throw new Error(`${d.where}: no result named "${n}"`);
    return r;
  });
  const worst = Math.min(...checked.map((r) => r.at('payloadsPerS').num()));
  const met = worst >= target;
  const ratio = (r: Field) => r.at('ratioToJsonParse').num();
  const lines = [
    '## Devices: payload validation (issue #2)',
    '',
    `\`npm run bench\` runs it as \`bench/devices.bench.ts\`: ${fmt(d.at('payloads').num())} heartbeat payloads ` +
      `(${fmt(d.at('avgPayloadBytes').num())} B on average), median of ${fmt(d.at('rounds').num())} interleaved rounds, one core; ` +
      `the baseline is \`JSON.parse\` alone on the same payloads (${runLabel(run)}).`,
    '',
    ...table(
      ['case', 'payloads/s', 'ratio to JSON.parse'],
      rows.map((r) => [r.at('name').str(), fmt(r.at('payloadsPerS').num()), fmt(ratio(r), 3)]),
    ),
    '',
    `Goal: ≥ ${fmt(target)} heartbeat payloads/s validated on one core: ${verdict(met)} ` +
      `(slowest path ${fmt(worst)}/s, ${fmt(worst / target, 1)}× the goal).`,
    '',
    `What limits it: the parse itself. Validation walks each field of the parsed object once, so ` +
      `\`decodePayload\` keeps ${fmt(ratio(checked[0]!) * 100)}% of \`JSON.parse\`'s rate; \`decodeMessage\` ` +
      `adds the topic parse and the UTF-8 decode (${fmt(ratio(checked[1]!) * 100)}% of TextDecoder + JSON.parse). ` +
      'At these rates validation is a small share of the end-to-end cost per message (see the ingest below).',
    '',
  ];
  const svgs: Record<string, string> = {
    'devices-throughput.svg': barChart({
      title: 'Heartbeat payloads per second, one core',
      xLabel: `payloads/s (dashed: the goal, ${fmt(target)}/s)`,
      bars: rows.map((r) => {
        const name = r.at('name').str();
        const isChecked = checked.some((c) => c.at('name').str() === name);
        return {
          label: name,
          value: r.at('payloadsPerS').num(),
          ...(isChecked ? { goal: target, met: r.at('payloadsPerS').num() >= target } : {}),
        };
      }),
    }),
  };
  lines.push(figure('devices-throughput.svg', 'Payloads per second by case', run, run), '');
  return {
    lines,
    svgs,
    summary: [
      [
        'devices',
        `validated payloads/s: decodePayload ${fmt(checked[0]!.at('payloadsPerS').num())}, decodeMessage ${fmt(checked[1]!.at('payloadsPerS').num())}`,
        'JSON.parse on the same payloads',
        `${fmt(ratio(checked[0]!), 3)} / ${fmt(ratio(checked[1]!), 3)}`,
        `≥ ${fmt(target)}/s`,
        verdict(met),
      ],
    ],
  };
}

function apiSection(runs: Run[]): Section | undefined {
  const run = runs[0];
  if (run === undefined) return undefined;
  const d = run.data;
  const rows = d.at('results').list();
  const find = (prefix: string) => {
    const r = rows.find((x) => x.at('name').str().startsWith(prefix));
    if (r === undefined) throw new Error(`${d.where}: no result starting "${prefix}"`);
    return r;
  };
  const healthz = find('GET /healthz');
  const list = find('GET /api/v1/tickets');
  const create = find('POST /api/v1/tickets (+1');
  const noPart = rows.find((x) => x.at('name').str() === 'POST /api/v1/tickets (no part)');
  const errorsOf = (r: Field) =>
    r.at('errors').num() + r.at('timeouts').num() + r.at('non2xx').num();
  const listP99 = list.at('p99Ms').num();
  const createRate = create.at('throughputPerS').num();
  const created = d.at('created').num();
  const reserved = d.at('reserved').num();
  const lines = [
    '## API (issue #3)',
    '',
    `autocannon, ${fmt(d.at('connections').num())} connections for ${fmt(d.at('durationS').num())} s per endpoint, ` +
      `${fmt(d.at('tickets').num())} tickets and ${fmt(d.at('devices').num())} devices in PostgreSQL; API, embedded ` +
      `PostgreSQL and autocannon on the same cores. Baseline: \`GET /healthz\` on the same process, the ` +
      `framework's floor (${runLabel(run)}).`,
    '',
    ...table(
      ['endpoint', 'requests/s', 'ratio to /healthz', 'p50 ms', 'p99 ms', 'errors + timeouts'],
      rows.map((r) => [
        r.at('name').str(),
        fmt(r.at('throughputPerS').num()),
        fmt(r.at('ratioToHealthz').num(), 3),
        fmt(r.at('p50Ms').num()),
        fmt(r.at('p99Ms').num()),
        fmt(errorsOf(r)),
      ]),
    ),
    '',
    'Goals:',
    '',
    `- list p99 ≤ 250 ms: ${verdict(listP99 <= 250)} (${fmt(listP99)} ms);`,
    `- 0 errors on the list: ${verdict(errorsOf(list) === 0)} (${fmt(errorsOf(list))} of ${fmt(list.at('requests').num())});`,
    `- ≥ 500 ticket creations/s with a reservation: ${verdict(createRate >= 500)} (${fmt(createRate)}/s, ${fmt(createRate / 500, 2)}× the goal);`,
    `- every creation reserved its part: ${verdict(created === reserved)} (${fmt(created)} tickets, ${fmt(reserved)} reserved).`,
    '',
    'What limits it: ' +
      `creations with a part run at ${fmt(createRate)}/s` +
      (noPart ? ` against ${fmt(noPart.at('throughputPerS').num())}/s without one` : '') +
      ': every opening books the same part in the same store, and those bookings serialise on one ' +
      '`stock` row until each transaction commits. ' +
      `The timeouts are not the list's: \`/healthz\` got ${fmt(errorsOf(healthz))} under the same ` +
      `${fmt(d.at('connections').num())} connections, on cores autocannon and PostgreSQL share with the API.`,
    '',
  ];
  const svgs: Record<string, string> = {};
  const tSrc = plotSource(runs, (r) => r.data.at('results', 0, 'perSecond').exists);
  if (tSrc) {
    const svg = perSecondChart(
      'API requests per second during each endpoint’s run',
      'requests/s',
      tSrc.data
        .at('results')
        .list()
        .map((r) => ({ name: r.at('name').str(), perSecond: r.at('perSecond') })),
    );
    if (svg) {
      svgs['api-throughput.svg'] = svg;
      lines.push(figure('api-throughput.svg', 'API requests per second', tSrc, run), '');
    }
  }
  const lSrc = plotSource(runs, (r) => r.data.at('results', 0, 'latency').exists);
  if (lSrc) {
    const svg = distributionChart(
      'API latency by quantile',
      lSrc.data
        .at('results')
        .list()
        .map((r) => ({ name: r.at('name').str(), distribution: r.at('latency') })),
    );
    if (svg) {
      svgs['api-latency.svg'] = svg;
      lines.push(figure('api-latency.svg', 'API latency distribution', lSrc, run), '');
    }
  }
  const healthzRate = healthz.at('throughputPerS').num();
  return {
    lines,
    svgs,
    summary: [
      [
        'api',
        'GET /api/v1/tickets?status=open p99',
        `/healthz ${fmt(healthzRate)} req/s`,
        fmt(list.at('ratioToHealthz').num(), 3),
        '≤ 250 ms, 0 errors',
        `${verdict(listP99 <= 250)} (${fmt(listP99)} ms); 0 errors ${verdict(errorsOf(list) === 0)}`,
      ],
      [
        'api',
        'POST /api/v1/tickets with a reservation',
        `/healthz ${fmt(healthzRate)} req/s`,
        fmt(create.at('ratioToHealthz').num(), 3),
        '≥ 500/s',
        `${verdict(createRate >= 500)} (${fmt(createRate)}/s)`,
      ],
    ],
  };
}

const BROKERS = [
  ['aedes', 'bare aedes (a)'],
  ['orfleet', 'orfleet (b)'],
  ['mosquitto', 'Mosquitto (c)'],
] as const;

function brokerSection(runs: Run[]): Section | undefined {
  const run = runs[0];
  if (run === undefined) return undefined;
  const d = run.data;
  const b = (name: string) => d.at('brokers', name);
  const row = (label: string, pick: (f: Field) => string) => [
    label,
    ...BROKERS.map(([name]) => pick(b(name))),
  ];
  const ratios = d.at('ratios');
  const throughputBA = ratios.at('saturationThroughputBA').num();
  const orfleet = b('orfleet');
  const drops = orfleet.at('drops').num();
  const deliversAll = orfleet.at('delivered').num() >= orfleet.at('acked').num();
  const cfg = d.at('config');
  const loadgen = orfleet.at('saturationLoadgenCpuPct').num();
  const lines = [
    '## Broker (issue #4)',
    '',
    `${fmt(cfg.at('clients').num())} MQTT.js devices sending QoS 1 heartbeats and one QoS 1 subscriber, the same load ` +
      `against bare aedes (a), orfleet's broker with auth, ACLs and guards (b) and Mosquitto (c), each in its ` +
      `own process; ${fmt(cfg.at('rounds').num())} interleaved round(s) of ${fmt(cfg.at('durationS').num())} s, medians; ` +
      `the load generator shares the cores (${runLabel(run)}).`,
    '',
    ...table(
      ['figure', ...BROKERS.map(([, label]) => label)],
      [
        row('saturation, delivered msg/s', (f) => fmt(f.at('saturationPerS').num())),
        row('broker CPU ms per 10k messages', (f) => fmt(f.at('saturationCpuMsPer10k').num())),
        row(
          'p50 / p99 ms at saturation',
          (f) =>
            `${fmt(f.at('saturationP50Ms').num(), 1)} / ${fmt(f.at('saturationP99Ms').num(), 1)}`,
        ),
        row(
          `p50 / p99 ms at ${fmt(cfg.at('offeredRatePerS').num())} msg/s`,
          (f) => `${fmt(f.at('offeredP50Ms').num(), 2)} / ${fmt(f.at('offeredP99Ms').num(), 2)}`,
        ),
        row('RSS per connection, KiB', (f) => fmt(f.at('rssPerConnectionKiB').num(), 1)),
        row('load generator CPU % at saturation', (f) =>
          fmt(f.at('saturationLoadgenCpuPct').num()),
        ),
        row(
          'dropped / delivered',
          (f) => `${fmt(f.at('drops').num())} / ${fmt(f.at('delivered').num())}`,
        ),
      ],
    ),
    '',
    `Ratios: (b)/(a) throughput ${fmt(throughputBA, 2)}, CPU per message ${fmt(ratios.at('cpuPerMessageBA').num(), 2)}; ` +
      `(b)/(c) CPU per message ${fmt(ratios.at('cpuPerMessageBC').num(), 2)}, RSS per connection ` +
      `${fmt(ratios.at('rssPerConnectionBC').num(), 1)}.`,
    '',
    'Goals:',
    '',
    `- (b)/(a) throughput ≥ 0.90: ${verdict(throughputBA >= 0.9)} (${fmt(throughputBA, 2)});`,
    `- (b) delivers everything, 0 drops: ${verdict(drops === 0 && deliversAll)} (${fmt(drops)} dropped of ${fmt(orfleet.at('acked').num())} acknowledged).`,
    '',
    `What limits it: the cores, shared with the load generator (${fmt(loadgen)}% of a core at saturation ` +
      'for orfleet): the saturation figures compare brokers under the same ceiling, so CPU per message is ' +
      `the fairer figure. orfleet spends ${fmt(ratios.at('cpuPerMessageBC').num(), 1)}× Mosquitto's CPU per message ` +
      `and ${fmt(ratios.at('rssPerConnectionBC').num())}× its memory per connection: a Node.js connection ` +
      'carries its socket, parser and session objects; Mosquitto is C with a few hundred bytes per client. ' +
      'Between runs on a shared machine, expect ±15% on the ratios.',
    '',
  ];
  const svgs: Record<string, string> = {};
  const firstRound = (r: Run, name: string) =>
    r.data
      .at('rounds')
      .list()
      .find((x) => x.at('broker').str() === name);
  const tSrc = plotSource(
    runs,
    (r) => firstRound(r, 'orfleet')?.at('saturation', 'perSecond').exists ?? false,
  );
  if (tSrc) {
    const svg = perSecondChart(
      'Broker: delivered messages per second at saturation (first round)',
      'delivered msg/s',
      BROKERS.flatMap(([name, label]) => {
        const r = firstRound(tSrc, name);
        return r ? [{ name: label, perSecond: r.at('saturation', 'perSecond') }] : [];
      }),
    );
    if (svg) {
      svgs['broker-throughput.svg'] = svg;
      lines.push(figure('broker-throughput.svg', 'Broker throughput over time', tSrc, run), '');
    }
  }
  const lSrc = plotSource(
    runs,
    (r) => firstRound(r, 'orfleet')?.at('saturation', 'latency').exists ?? false,
  );
  if (lSrc) {
    const svg = distributionChart(
      'Broker: publish → delivery latency by quantile (first round)',
      BROKERS.flatMap(([name, label]) => {
        const r = firstRound(lSrc, name);
        return r
          ? [
              { name: `${label}, saturation`, distribution: r.at('saturation', 'latency') },
              { name: `${label}, offered rate`, distribution: r.at('offered', 'latency') },
            ]
          : [];
      }),
    );
    if (svg) {
      svgs['broker-latency.svg'] = svg;
      lines.push(figure('broker-latency.svg', 'Broker latency distribution', lSrc, run), '');
    }
  }
  return {
    lines,
    svgs,
    summary: [
      [
        'broker',
        'saturation msg/s, orfleet (b)',
        `bare aedes ${fmt(b('aedes').at('saturationPerS').num())}/s; Mosquitto ${fmt(b('mosquitto').at('saturationPerS').num())}/s`,
        `${fmt(throughputBA, 2)} (b/a)`,
        '≥ 0.90 × bare aedes, 0 drops',
        `${verdict(throughputBA >= 0.9)}; drops ${verdict(drops === 0 && deliversAll)}`,
      ],
    ],
  };
}

function ingestSection(runs: Run[]): Section | undefined {
  const run = runs[0];
  if (run === undefined) return undefined;
  const d = run.data;
  const s = d.at('summary');
  const ratio = s.at('ratio').num();
  const cpu = s.at('cpuMsPer1kPoints');
  const lag = s.at('lag');
  const rss = s.at('ingestRssMiB');
  const cfg = d.at('config');
  const e2eCpu = ['loadgen', 'broker', 'ingest', 'influxd'].map((k) => cpu.at('e2e', k).num());
  const baseCpu = cpu.at('baselineSeq', 'writer').num() + cpu.at('baselineSeq', 'influxd').num();
  const e2eTotal = e2eCpu.reduce((a, x) => a + x, 0);
  const rows: string[][] = [
    ['(a) InfluxDB /write, one request at a time: points/s', fmt(s.at('baselineSeqPerS').num())],
    ['(a) two requests in flight: points/s', fmt(s.at('baselinePar2PerS').num())],
    ['(b) devices → broker → ingest → InfluxDB: points/s', fmt(s.at('e2ePerS').num())],
    ['**(b)/(a)**', `**${fmt(ratio, 3)}**`],
    ['CPU ms per 1k points, (a): writer + influxd', fmt(baseCpu, 1)],
    [
      'CPU ms per 1k points, (b): load generator / broker / ingest / influxd',
      e2eCpu.map((x) => fmt(x, 1)).join(' / '),
    ],
  ];
  if (lag.exists) {
    rows.push([
      `lag p50 / p99 ms at ${fmt(lag.at('ratePerS').num())} points/s (half of (b))`,
      `${fmt(lag.at('p50Ms').num())} / ${fmt(lag.at('p99Ms').num())}`,
    ]);
  }
  rows.push([
    'ingest RSS MiB: idle / steady / peak',
    `${fmt(rss.at('idle').num())} / ${rss.at('steady').exists ? fmt(rss.at('steady').num()) : '–'} / ${fmt(rss.at('peak').num())}`,
  ]);
  const profile = d.at('profile', 'summaries', 0, 'byOrigin');
  const topOrigins = profile.exists
    ? profile
        .list()
        .slice(0, 3)
        .map((o) => `${o.at('origin').str()} ${fmt(o.at('pctOfBusy').num())}%`)
        .join(', ')
    : undefined;
  const lines = [
    '## Ingest (issue #5)',
    '',
    `The same ${fmt(cfg.at('points').num())} heartbeat points written (a) straight to InfluxDB's \`/write\` in batches ` +
      `of ${fmt(cfg.at('batchLines').num())} from a separate process, and (b) published by ${fmt(cfg.at('devices').num())} ` +
      `MQTT.js devices through orfleet's broker and the ingest (durable spool, PUBACK after commit) into ` +
      `InfluxDB; ${fmt(cfg.at('rounds').num())} round(s), medians (${runLabel(run)}).`,
    '',
    ...table(['figure', 'value'], rows),
    '',
    `Goal: (b)/(a) ≥ 0.85: ${verdict(ratio >= 0.85)} (${fmt(ratio, 3)}).`,
    '',
    `What limits it: CPU. The MQTT path costs ${fmt(e2eTotal, 1)} ms of CPU per 1,000 points across the ` +
      `load generator, the broker and the ingest, against ${fmt(baseCpu, 1)} ms for the direct write, on ` +
      `${fmt(machineOf(d).cores ?? NaN)} cores that all four processes share: the broker is the largest ` +
      `share (${fmt(e2eCpu[1]!, 1)} ms per 1k points, its in-memory outgoing queue to the ingest), then ` +
      'the ingest (decode, durable spool commit, PUBACKs, batching).' +
      (topOrigins ? ` The ingest's profile by origin: ${topOrigins}.` : '') +
      ' More cores (brokers over Redis, `INGEST_SHARD` instances) is the way to the goal; the lag is ' +
      'mostly the batch filling (`ORFLEET_INGEST_FLUSH_MS`), see docs/operations.md.',
    '',
  ];
  const svgs: Record<string, string> = {};
  const tSrc = plotSource(runs, (r) => r.data.at('rounds', 0, 'e2e', 'writtenPerS').exists);
  if (tSrc) {
    const svg = perSecondChart(
      'Ingest: points written to InfluxDB per second, end to end (b)',
      'points/s',
      tSrc.data
        .at('rounds')
        .list()
        .map((r) => ({
          name: `round ${fmt(r.at('round').num())}`,
          perSecond: r.at('e2e', 'writtenPerS'),
        })),
    );
    if (svg) {
      svgs['ingest-throughput.svg'] = svg;
      lines.push(figure('ingest-throughput.svg', 'Ingest throughput over time', tSrc, run), '');
    }
  }
  const lSrc = plotSource(runs, (r) => r.data.at('rounds', 0, 'lag', 'distribution').exists);
  if (lSrc) {
    const svg = distributionChart(
      'Ingest: publish → written lag by quantile, at half the end-to-end rate',
      lSrc.data
        .at('rounds')
        .list()
        .filter((r) => r.at('lag').exists)
        .map((r) => ({
          name: `round ${fmt(r.at('round').num())}`,
          distribution: r.at('lag', 'distribution'),
        })),
    );
    if (svg) {
      svgs['ingest-lag.svg'] = svg;
      lines.push(figure('ingest-lag.svg', 'Ingest lag distribution', lSrc, run), '');
    }
  }
  return {
    lines,
    svgs,
    summary: [
      [
        'ingest',
        'end-to-end points/s (b)',
        `raw InfluxDB ${fmt(s.at('baselineSeqPerS').num())}/s (a)`,
        fmt(ratio, 3),
        '≥ 0.85',
        `${verdict(ratio >= 0.85)}`,
      ],
    ],
  };
}

function rulesSection(runs: Run[]): Section | undefined {
  const run = runs[0];
  if (run === undefined) return undefined;
  const d = run.data;
  const engine = d.at('engine');
  const e2e = d.at('endToEnd');
  const lat = (f: Field) =>
    `${fmt(f.at('p50Ms').num())} / ${fmt(f.at('p99Ms').num())} / ${fmt(f.at('maxMs').num())}`;
  const tickets = (o: Field) =>
    `${fmt(o.at('ownTickets').num())} + ${fmt(o.at('unknownBehindMissingStation').num())} unknown + ` +
    `${fmt(o.at('inSiteTicket').num())} in a site ticket, of ${fmt(o.at('killed').num())} killed; ` +
    `${fmt(o.at('falseTickets').num())} false`;
  const e2eP99 = e2e.at('detectionLatency', 'p99Ms').num();
  const engineP99 = engine.at('detectionLatency', 'p99Ms').num();
  const rssPerDevice = e2e.at('memory', 'rssBytesPerDevice').num();
  const heapPerDevice = engine.at('memory', 'heapBytesPerDeviceSteady').num();
  const match =
    engine.at('outcome', 'ticketsMatch').bool() && e2e.at('outcome', 'ticketsMatch').bool();
  const goalP99 = e2eP99 <= 2_000 && engineP99 <= 2_000;
  const goalMem = rssPerDevice <= 1_024 && heapPerDevice <= 1_024;
  const lines = [
    '## Health rules (issue #6)',
    '',
    `Layer 1, the rule engine alone on a simulated clock (${fmt(engine.at('devices').num())} devices); ` +
      `layer 2, end to end: ${fmt(e2e.at('devices').num())} registered devices ` +
      `(${fmt(e2e.at('mqttSessions').num())} MQTT sessions, the rest BLE tags in batched sightings) through ` +
      `orfleet's broker into the compiled API's rule loop, 1% killed at random times (${runLabel(run)}). ` +
      'Baseline: the engine alone, against which the end-to-end figures are compared.',
    '',
    ...table(
      ['figure', 'engine alone', 'end to end'],
      [
        [
          'detection after the deadline p50 / p99 / max, ms',
          lat(engine.at('detectionLatency')),
          lat(e2e.at('detectionLatency')),
        ],
        ['tickets', tickets(engine.at('outcome')), tickets(e2e.at('outcome'))],
        [
          'memory per tracked device, bytes',
          `${fmt(heapPerDevice)} (heap)`,
          `${fmt(rssPerDevice)} (RSS after GC; ${fmt(e2e.at('memory', 'peakRssBytesPerDevice').num())} at the peak)`,
        ],
        [
          'CPU',
          `${fmt(engine.at('cpu', 'engineNsPerMessage').num())} ns per message`,
          `${fmt(e2e.at('rulesCpuUsPerDevicePerMinute').num())} µs per device per minute (API process)`,
        ],
      ],
    ),
    '',
    `Ratio end to end / engine alone: detection p99 ${fmt(e2eP99 / engineP99, 2)}.`,
    '',
    'Goals:',
    '',
    `- detection p99 ≤ 2 s: ${verdict(goalP99)} (${fmt(engineP99)} ms alone, ${fmt(e2eP99)} ms end to end);`,
    `- ≤ 1 KiB per tracked device: ${verdict(goalMem)} (${fmt(heapPerDevice)} B heap, ${fmt(rssPerDevice)} B RSS);`,
    `- tickets = killed minus those correlated as designed, none false: ${verdict(match)}.`,
    '',
    'What limits it: the deadline wheel has 1-second slots, so the engine alone detects up to 1 s ' +
      'after a deadline (its max); end to end adds the broker hop and the ticket being stamped when its ' +
      'opening starts, an upper bound. The rule loop is a small share of a core; at the catalog intervals ' +
      'the fleet sends few messages per device, so the broker and PostgreSQL snapshots cost as much as the ' +
      'rules (docs/health-rules.md).',
    '',
  ];
  const svgs: Record<string, string> = {};
  // a run whose tickets did not match its kills measured something else (a machine too busy to
  // keep the devices beating): its latencies are not plotted
  const lSrc = plotSource(
    runs,
    (r) =>
      r.data.at('endToEnd', 'detectionLatency', 'distribution').exists &&
      r.data.at('endToEnd', 'outcome', 'ticketsMatch').bool(),
  );
  if (lSrc) {
    const svg = distributionChart('Health rules: detection after the deadline by quantile', [
      {
        name: 'engine alone',
        distribution: lSrc.data.at('engine', 'detectionLatency', 'distribution'),
      },
      {
        name: 'end to end',
        distribution: lSrc.data.at('endToEnd', 'detectionLatency', 'distribution'),
      },
    ]);
    if (svg) {
      svgs['rules-detection.svg'] = svg;
      lines.push(figure('rules-detection.svg', 'Detection latency distribution', lSrc, run), '');
    }
  }
  return {
    lines,
    svgs,
    summary: [
      [
        'rules',
        'detection after the deadline p99, end to end',
        `engine alone ${fmt(engineP99)} ms`,
        fmt(e2eP99 / engineP99, 2),
        '≤ 2 s; ≤ 1 KiB/device',
        `${verdict(goalP99)} (${fmt(e2eP99)} ms); memory ${verdict(goalMem)} (${fmt(rssPerDevice)} B)`,
      ],
    ],
  };
}

// ---- sizing -----------------------------------------------------------------------------------

/** The figures sizing is computed from, each with the run it comes from. */
export interface Sizing {
  readonly devicesPerCore: number;
  readonly cpuPctPer100k: readonly { component: string; pct: number; source: string }[];
  readonly memory: readonly {
    component: string;
    per10kMiB: number;
    fixedMiB: number;
    source: string;
  }[];
  readonly disk?: {
    readonly rawBytesPerDeviceDay: number;
    readonly rollupBytesPerDeviceDay: number;
    readonly rawBytesPerPoint: number;
    readonly intervalS: number;
    readonly devices: number;
    readonly source: string;
  };
}

export function computeSizing(input: ReportInput): Sizing | undefined {
  const rules = primary('rules', input.rules);
  const ingest = primary('ingest', input.ingest);
  const broker = primary('broker', input.broker);
  if (!rules || !ingest || !broker) return undefined;
  const e2e = rules.data.at('endToEnd');
  const devices = e2e.at('devices').num();
  const per100k = 100_000 / devices;
  const steady = e2e.at('cpu', 'steady');
  // at most one point per message and one per sighted tag (a sightings message is not a point)
  const pointsPerS = e2e.at('messagesPerS').num() + e2e.at('tagSightingsPerS').num();
  const cpu1k = ingest.data.at('summary', 'cpuMsPer1kPoints', 'e2e');
  const brokerMsPerMsg =
    broker.data.at('brokers', 'orfleet', 'saturationCpuMsPer10k').num() / 10_000;
  const src = (r: Run, name: string) => `bench/${name}, ${runLabel(r)}`;
  const cpuPctPer100k = [
    {
      component: 'broker (devices → rules)',
      pct: steady.at('broker').num() * per100k,
      source: src(rules, 'rules'),
    },
    {
      component: 'health rules (API process)',
      pct: steady.at('rulesApi').num() * per100k,
      source: src(rules, 'rules'),
    },
    {
      component: 'PostgreSQL (health snapshots)',
      pct: steady.at('postgres').num() * per100k,
      source: src(rules, 'rules'),
    },
    {
      component: 'broker, second subscriber (the ingest), at most',
      pct: ((e2e.at('messagesPerS').num() * brokerMsPerMsg) / 10) * per100k,
      source: `${src(rules, 'rules')} × CPU per message of ${src(broker, 'broker')}`,
    },
    {
      component: 'ingest + InfluxDB',
      pct:
        ((pointsPerS * (cpu1k.at('ingest').num() + cpu1k.at('influxd').num())) / 10_000) * per100k,
      source: `${src(rules, 'rules')} points/s × CPU per point of ${src(ingest, 'ingest')}`,
    },
  ];
  const totalPct = cpuPctPer100k.reduce((a, c) => a + c.pct, 0);
  const sessionsPer10k = (e2e.at('mqttSessions').num() / devices) * 10_000;
  const orfleet = broker.data.at('brokers', 'orfleet');
  const rssIngest = ingest.data.at('summary', 'ingestRssMiB');
  const memory = [
    {
      component: 'broker: MQTT sessions',
      per10kMiB: (sessionsPer10k * orfleet.at('rssPerConnectionKiB').num()) / 1024,
      fixedMiB: orfleet.at('rssIdleMiB').num(),
      source: `${fmt(sessionsPer10k)} sessions per 10k devices (bench/rules) × RSS per connection (${src(broker, 'broker')})`,
    },
    {
      component: 'health rules: tracked devices',
      per10kMiB: (e2e.at('memory', 'rssBytesPerDevice').num() * 10_000) / 1_048_576,
      fixedMiB: e2e.at('memory', 'atReadyMiB', 'baseline', 'rss').num(),
      source: `RSS per device after GC, API at ready with an empty registry (${src(rules, 'rules')})`,
    },
    {
      component: 'ingest',
      per10kMiB: 0,
      fixedMiB: rssIngest.at('steady').optNum() ?? rssIngest.at('peak').num(),
      source: `steady RSS under load, independent of fleet size (${src(ingest, 'ingest')})`,
    },
  ];
  const diskRun = runsOf('ingest', input.ingest).find((r) => r.data.at('disk').exists);
  const disk = diskRun
    ? {
        rawBytesPerDeviceDay: diskRun.data.at('disk', 'rawBytesPerDeviceDay').num(),
        rollupBytesPerDeviceDay: diskRun.data.at('disk', 'rollupBytesPerDeviceDay').num(),
        rawBytesPerPoint: diskRun.data.at('disk', 'rawBytesPerPoint').num(),
        intervalS: diskRun.data.at('disk', 'heartbeatIntervalS').num(),
        devices: diskRun.data.at('disk', 'devices').num(),
        source: src(diskRun, 'ingest'),
      }
    : undefined;
  return {
    devicesPerCore: (100_000 * 100) / totalPct,
    cpuPctPer100k,
    memory,
    ...(disk ? { disk } : {}),
  };
}

const MIB = 1_048_576;

function sizingSection(input: ReportInput, retention: Retention): string[] {
  const s = computeSizing(input);
  if (!s)
    return [
      '## Sizing',
      '',
      'Needs the rules, ingest and broker results; not all are there yet.',
      '',
    ];
  const totalPct = s.cpuPctPer100k.reduce((a, c) => a + c.pct, 0);
  const per10k = s.memory.reduce((a, m) => a + m.per10kMiB, 0);
  const fixed = s.memory.reduce((a, m) => a + m.fixedMiB, 0);
  const lines = [
    '## Sizing',
    '',
    'Computed from the measurements above for a fleet like the rules bench’s (the catalog’s intervals: ' +
      'base stations 10 s, MQTT devices 30 s, BLE tags 60 s through their base stations’ sightings). ' +
      'An estimate to plan hardware with, not a measurement of a whole hospital.',
    '',
    `**Devices per core: ~${fmt(Math.floor(s.devicesPerCore / 10_000) * 10_000)}** ` +
      `(${fmt(totalPct, 1)}% of one core per 100,000 devices, steady state):`,
    '',
    ...table(
      ['component', '% of a core per 100k devices', 'from'],
      s.cpuPctPer100k.map((c) => [c.component, fmt(c.pct, 1), c.source]),
    ),
    '',
    'Bursts (a site coming back, a spool draining after an InfluxDB outage) need head room above this: ' +
      'the ingest bench’s saturated rate is the ceiling of one broker and one ingest on these cores.',
    '',
    `**Memory per 10,000 devices: ~${fmt(per10k, 1)} MiB** on top of ~${fmt(fixed)} MiB for the three ` +
      'processes at rest (PostgreSQL and InfluxDB not included):',
    '',
    ...table(
      ['component', 'MiB per 10k devices', 'MiB fixed', 'from'],
      s.memory.map((m) => [m.component, fmt(m.per10kMiB, 1), fmt(m.fixedMiB), m.source]),
    ),
    '',
  ];
  if (s.disk) {
    const d = s.disk;
    const rawRest = d.rawBytesPerDeviceDay * retention.rawDays;
    const rollupRest = d.rollupBytesPerDeviceDay * retention.rollupDays;
    lines.push(
      `**Disk per device-day in InfluxDB: ${fmt(d.rawBytesPerDeviceDay / 1024, 1)} KiB raw + ` +
        `${fmt(d.rollupBytesPerDeviceDay / 1024, 1)} KiB of 1-minute rollups** for a device heartbeating every ` +
        `${fmt(d.intervalS)} s (${fmt(d.rawBytesPerPoint, 1)} B per raw point after compaction; measured: one day ` +
        `of ${fmt(d.devices)} dispensers written with the ingest's schema and compacted, ${d.source}). ` +
        `With the default retention (raw ${fmt(retention.rawDays)} d, rollups ${fmt(retention.rollupDays)} d) a ` +
        `device holds ~${fmt((rawRest + rollupRest) / MIB, 1)} MiB at rest: ` +
        `${fmt((rawRest * 10_000) / 1024 ** 3, 1)} GiB raw + ${fmt((rollupRest * 10_000) / 1024 ** 3, 1)} GiB ` +
        'of rollups per 10,000 devices of that kind.',
      '',
      'By kind, scaled by heartbeat interval from the measured day (BLE tags: one point per sighting by ' +
        'each base station that hears them; counted here as heard by one):',
      '',
      ...table(
        ['kind', 'heartbeat interval s', 'points per day', 'KiB per device-day (raw)'],
        DEVICE_KINDS.map((k) => {
          const interval = DEVICE_CATALOG[k].heartbeatIntervalS;
          const points = 86_400 / interval;
          return [
            `\`${k}\``,
            fmt(interval),
            fmt(points),
            fmt((points * d.rawBytesPerPoint) / 1024, 1),
          ];
        }),
      ),
      '',
    );
  } else {
    lines.push('Disk per device-day: not measured yet (`npm run bench:ingest` measures it).', '');
  }
  return lines;
}

// ---- the whole document ---------------------------------------------------------------------

function machinesSection(input: ReportInput): string[] {
  const rows: string[][] = [];
  for (const name of BENCHES) {
    for (const run of runsOf(name, input[name])) {
      const m = machineOf(run.data);
      const opt = (x: string | undefined) => x ?? 'not recorded';
      rows.push([
        name,
        run.kind,
        opt(m.at?.slice(0, 16).replace('T', ' ')),
        m.cpu,
        m.cores === undefined ? 'not recorded' : fmt(m.cores),
        m.memoryGiB === undefined ? 'not recorded' : `${fmt(m.memoryGiB)} GiB`,
        opt(m.node),
      ]);
    }
  }
  return [
    '## Machines',
    '',
    'Every figure comes from the run named here, on a machine shared with other work; the benches ' +
      'record the CPU other processes took and repeat or flag the windows it spoiled.',
    '',
    ...table(['bench', 'run', 'date (UTC)', 'CPU', 'cores', 'memory', 'Node.js'], rows),
    '',
  ];
}

export function renderReport(input: ReportInput, retention: Retention): Rendered {
  const sections = [
    devicesSection(runsOf('devices', input.devices)),
    apiSection(runsOf('api', input.api)),
    brokerSection(runsOf('broker', input.broker)),
    ingestSection(runsOf('ingest', input.ingest)),
    rulesSection(runsOf('rules', input.rules)),
  ].filter((s): s is Section => s !== undefined);
  const svgs: Record<string, string> = {};
  for (const s of sections) Object.assign(svgs, s.svgs);
  const lines = [
    '# Performance',
    '',
    '<!-- Generated by `npm run bench:report` from bench/results/*.json; edits are lost. -->',
    '',
    '`npm run bench` runs every bench in sequence (devices, api, broker, ingest, rules; about ' +
      '20 minutes) and renders this page; `npm run bench -- --quick` runs each briefly (under 5 ' +
      'minutes, noisy) and writes `*.quick.json`, which never replaces a full result. Tables come ' +
      'from the full run when there is one; plots a full run has not recorded yet come from the ' +
      'quick run and say so. `npm run bench:<name>` runs one bench (it prints its own table); ' +
      '`npm run bench:report` then renders this page, and a test fails while the page and the ' +
      'committed results disagree.',
    '',
    '## Summary',
    '',
    ...table(
      ['bench', 'figure', 'baseline', 'ratio to baseline', 'goal', 'verdict'],
      sections.flatMap((s) => s.summary),
    ),
    '',
    ...machinesSection(input),
    ...sections.flatMap((s) => s.lines),
    ...sizingSection(input, retention),
  ];
  return { markdown: `${lines.join('\n').trimEnd()}\n`, svgs };
}
