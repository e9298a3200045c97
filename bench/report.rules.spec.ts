import { DEVICE_CATALOG } from '@orfleet/devices';
import { computeSizing, fmt, machineOf, Field, renderReport } from './report.rules';
import type { ReportInput } from './report.rules';
import { wellFormed } from './well-formed.testing';

const RETENTION = { rawDays: 30, rollupDays: 400 };
const machine = {
  cpu: 'Test CPU',
  cores: 2,
  memoryGiB: 8,
  node: 'v20.0.0',
  kernel: 'k',
  at: '2026-11-26T10:00:00.000Z',
};
const dist = (scale: number) => ({
  count: 100,
  quantiles: [0.5, 0.99, 1],
  valuesMs: [scale, scale * 2, scale * 3],
});

function devices(payloadsPerS = 400_000) {
  return {
    bench: 'devices',
    machine,
    payloads: 20_000,
    rounds: 15,
    avgPayloadBytes: 108,
    targetPerS: 200_000,
    results: [
      { name: 'JSON.parse (string)', payloadsPerS: 1_000_000, ratioToJsonParse: 1 },
      { name: 'decodePayload (string)', payloadsPerS: 500_000, ratioToJsonParse: 0.5 },
      { name: 'JSON.parse (bytes, TextDecoder)', payloadsPerS: 800_000, ratioToJsonParse: 1 },
      { name: 'decodeMessage (topic + bytes)', payloadsPerS, ratioToJsonParse: 0.3 },
    ],
  };
}

function api(withSeries: boolean, createPerS = 600) {
  const row = (name: string, throughputPerS: number, p99Ms: number, timeouts = 0) => ({
    name,
    requests: throughputPerS * 20,
    throughputPerS,
    p50Ms: 10,
    p90Ms: 20,
    p99Ms,
    maxMs: 900,
    errors: 0,
    timeouts,
    non2xx: 0,
    ratioToHealthz: throughputPerS / 10_000,
    ...(withSeries
      ? { perSecond: [throughputPerS, throughputPerS], latency: dist(p99Ms / 2) }
      : {}),
  });
  return {
    bench: 'api',
    ...(withSeries ? { machine } : { node: 'v18.0.0', cpu: 'Old CPU', cores: 4 }),
    connections: 1_000,
    durationS: 20,
    tickets: 10_000,
    devices: 5_000,
    results: [
      row('GET /healthz (baseline)', 10_000, 100, 3),
      row('GET /api/v1/tickets?status=open', 5_000, 200),
      row('POST /api/v1/tickets (+1 reservation)', createPerS, 900),
      row('POST /api/v1/tickets (no part)', 800, 700),
    ],
    created: 100,
    reserved: 100,
  };
}

function broker() {
  const b = (perS: number, cpu: number, rssKiB: number) => ({
    saturationPerS: perS,
    saturationP50Ms: 20,
    saturationP99Ms: 50,
    saturationCpuMsPer10k: cpu,
    saturationLoadgenCpuPct: 100,
    offeredP50Ms: 0.3,
    offeredP99Ms: 1,
    rssPerConnectionKiB: rssKiB,
    rssIdleMiB: 70,
    drops: 0,
    acked: 1_000,
    delivered: 1_000,
  });
  const round = (name: string) => ({
    broker: name,
    round: 1,
    saturation: { perSecond: [100, 200], latency: dist(20) },
    offered: { perSecond: [50, 50], latency: dist(1) },
  });
  return {
    bench: 'broker',
    machine,
    config: { clients: 500, rounds: 3, durationS: 8, offeredRatePerS: 2_000 },
    brokers: {
      aedes: b(20_000, 300, 60),
      orfleet: b(19_000, 300, 80),
      mosquitto: b(20_000, 150, 1),
    },
    ratios: {
      saturationThroughputBA: 0.95,
      cpuPerMessageBA: 1,
      cpuPerMessageBC: 2,
      rssPerConnectionBC: 80,
    },
    rounds: ['aedes', 'orfleet', 'mosquitto'].map(round),
  };
}

function ingest(ratio: number, extra: Record<string, unknown> = {}) {
  return {
    bench: 'ingest',
    machine,
    config: { points: 200_000, batchLines: 5_000, devices: 200, rounds: 1 },
    summary: {
      baselineSeqPerS: 100_000,
      baselinePar2PerS: 150_000,
      e2ePerS: 100_000 * ratio,
      ratio,
      cpuMsPer1kPoints: {
        baselineSeq: { writer: 0.5, influxd: 6 },
        e2e: { loadgen: 20, broker: 50, ingest: 25, influxd: 5 },
      },
      lag: { ratePerS: 5_000, p50Ms: 600, p99Ms: 1_200 },
      ingestRssMiB: { idle: 77, steady: 100, peak: 120 },
    },
    rounds: [{ round: 1, e2e: {}, lag: {} }],
    ...extra,
  };
}

function rulesRun(devicesCount: number, withDistribution: boolean) {
  const latency = (p99Ms: number) => ({
    count: 10,
    p50Ms: 500,
    p90Ms: 900,
    p99Ms,
    maxMs: p99Ms + 100,
    minMs: 1,
    ...(withDistribution ? { distribution: dist(p99Ms / 2) } : {}),
  });
  const outcome = {
    killed: 1_000,
    ownTickets: 996,
    unknownBehindMissingStation: 4,
    inSiteTicket: 0,
    falseTickets: 0,
    ticketsMatch: true,
  };
  return {
    at: '2026-11-26T14:01:58.946Z',
    machine: { ...machine, at: undefined },
    engine: {
      devices: 100_000,
      detectionLatency: latency(1_000),
      outcome,
      memory: { heapBytesPerDeviceSteady: 300 },
      cpu: { engineNsPerMessage: 2_000 },
    },
    endToEnd: {
      devices: devicesCount,
      mqttSessions: devicesCount / 10,
      messagesPerS: 500,
      tagSightingsPerS: 1_500,
      detectionLatency: latency(1_500),
      outcome,
      memory: {
        rssBytesPerDevice: 400,
        peakRssBytesPerDevice: 1_000,
        atReadyMiB: { baseline: { rss: 140 } },
      },
      rulesCpuUsPerDevicePerMinute: 30,
      cpu: { steady: { broker: 7, rulesApi: 5, postgres: 4 } },
    },
  };
}

const disk = {
  kind: 'gown_dispenser',
  devices: 20,
  heartbeatIntervalS: 30,
  rawBytesPerDeviceDay: 64_000,
  rollupBytesPerDeviceDay: 22_000,
  rawBytesPerPoint: 22.2,
};

function input(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    devices: { full: devices() },
    api: { full: api(false), quick: api(true) },
    broker: { full: broker() },
    ingest: { full: ingest(0.5), quick: ingest(0.4, { disk }) },
    rules: {
      full: { bench: 'rules', full: rulesRun(100_000, false), quick: rulesRun(1, false) },
      quick: { bench: 'rules', quick: rulesRun(10_000, true) },
    },
    ...overrides,
  };
}

/** The bench's rows of the summary table (the first section). */
const summaryRow = (markdown: string, bench: string) =>
  markdown
    .split('## Machines')[0]!
    .split('\n')
    .filter((l) => l.startsWith(`| ${bench} |`));

describe('renderReport', () => {
  it('gives every bench a section and a summary row with its ratio, goal and verdict', () => {
    const { markdown } = renderReport(input(), RETENTION);
    for (const heading of [
      '## Summary',
      '## Machines',
      '## Devices: payload validation (issue #2)',
      '## API (issue #3)',
      '## Broker (issue #4)',
      '## Ingest (issue #5)',
      '## Health rules (issue #6)',
      '## Sizing',
    ]) {
      expect(markdown).toContain(`\n${heading}\n`);
    }
    expect(summaryRow(markdown, 'ingest')).toEqual([
      '| ingest | end-to-end points/s (b) | raw InfluxDB 100,000/s (a) | 0.5 | ≥ 0.85 | **missed** |',
    ]);
    expect(summaryRow(markdown, 'broker')[0]).toContain('0.95 (b/a)');
    expect(summaryRow(markdown, 'broker')[0]).toContain('**met**; drops **met**');
  });

  it.each([
    ['ingest', { ingest: { full: ingest(0.9) } }, 'Goal: (b)/(a) ≥ 0.85: **met** (0.9).'],
    ['ingest', { ingest: { full: ingest(0.2) } }, 'Goal: (b)/(a) ≥ 0.85: **missed** (0.2).'],
    ['api', { api: { full: api(true, 600) } }, 'with a reservation: **met** (600/s'],
    ['api', { api: { full: api(true, 158) } }, 'with a reservation: **missed** (158/s'],
    [
      'devices',
      { devices: { full: devices(150_000) } },
      'one core: **missed** (slowest path 150,000/s',
    ],
  ])('%s: the verdict follows the figure', (_, overrides, expected) => {
    expect(renderReport(input(overrides), RETENTION).markdown).toContain(expected);
  });

  it('takes tables from the full run and plots it lacks from the quick run, saying so', () => {
    const { markdown, svgs } = renderReport(input(), RETENTION);
    // the full API run has no series: its plots come from the quick run
    expect(markdown).toContain("the framework's floor (full run)");
    expect(markdown).toContain('![API requests per second](performance/api-throughput.svg)');
    expect(markdown).toContain(
      '_API requests per second (from the quick run: the full run did not record this yet)._',
    );
    // the full broker run has them: no note
    expect(markdown).toContain('![Broker throughput over time](performance/broker-throughput.svg)');
    expect(markdown).not.toContain('_Broker throughput over time (from');
    expect(Object.keys(svgs).sort()).toEqual([
      'api-latency.svg',
      'api-throughput.svg',
      'broker-latency.svg',
      'broker-throughput.svg',
      'devices-throughput.svg',
      'rules-detection.svg',
    ]);
    for (const svg of Object.values(svgs)) expect(wellFormed(svg)[0]).toBe('svg');
  });

  it('rules: the full run from rules.json, the quick one from rules.quick.json', () => {
    const { markdown } = renderReport(input(), RETENTION);
    expect(markdown).toContain('end to end: 100,000 registered devices');
    expect(markdown).toContain(
      '_Detection latency distribution (from the quick run: the full run did not record this yet)._',
    );
  });

  it('does not plot the latencies of a rules run whose tickets did not match its kills', () => {
    const failed = rulesRun(10_000, true);
    const broken = {
      ...failed,
      endToEnd: { ...failed.endToEnd, outcome: { ticketsMatch: false } },
    };
    const { svgs } = renderReport(
      input({
        rules: {
          full: { bench: 'rules', full: rulesRun(100_000, false) },
          quick: { bench: 'rules', quick: broken },
        },
      }),
      RETENTION,
    );
    expect(svgs['rules-detection.svg']).toBeUndefined();
  });

  it('draws latencies on a log axis, or a linear one when a reading is 0 or below', () => {
    const withZero = api(true);
    withZero.results[0]!.latency = { count: 3, quantiles: [0.5, 0.99, 1], valuesMs: [0, 1, 2] };
    const log = renderReport(input(), RETENTION).svgs['api-latency.svg']!;
    const linear = renderReport(input({ api: { full: withZero } }), RETENTION).svgs[
      'api-latency.svg'
    ]!;
    expect(log).toContain('latency, ms (log scale)');
    expect(linear).not.toContain('log scale');
    expect(wellFormed(linear)[0]).toBe('svg');
  });

  it('a bench with only a quick run is rendered from it and labelled so', () => {
    const { markdown } = renderReport(
      input({ ingest: { quick: ingest(0.3, { disk }) } }),
      RETENTION,
    );
    expect(markdown).toContain('InfluxDB; 1 round(s), medians (quick run).');
    expect(summaryRow(markdown, 'ingest')[0]).toContain('| 0.3 |');
  });

  it('a bench without results is left out', () => {
    const { markdown } = renderReport(input({ broker: {} }), RETENTION);
    expect(markdown).not.toContain('## Broker');
    expect(markdown).toContain('Needs the rules, ingest and broker results');
  });

  it('names the file and the field when a result lacks one', () => {
    const broken = ingest(0.5) as { summary: Record<string, unknown> };
    delete broken.summary['ratio'];
    expect(() => renderReport(input({ ingest: { full: broken } }), RETENTION)).toThrow(
      'bench/results/ingest.json: summary.ratio: expected a number, got undefined',
    );
  });

  it('is deterministic', () => {
    expect(renderReport(input(), RETENTION)).toEqual(renderReport(input(), RETENTION));
  });

  it('machines: the machine object, the flat fields of older runs, or "not recorded"', () => {
    const { markdown } = renderReport(input(), RETENTION);
    expect(markdown).toContain(
      '| api | full | not recorded | Old CPU | 4 | not recorded | v18.0.0 |',
    );
    expect(markdown).toContain(
      '| api | quick | 2026-11-26 10:00 | Test CPU | 2 | 8 GiB | v20.0.0 |',
    );
    expect(markdown).toContain('| rules | full | 2026-11-26 14:01 |');
    expect(machineOf(new Field({}, 'x')).cpu).toBe('not recorded');
  });
});

describe('sizing', () => {
  it('adds up CPU per component for 100,000 devices and derives devices per core', () => {
    const sizing = computeSizing(input())!;
    const pct = Object.fromEntries(sizing.cpuPctPer100k.map((c) => [c.component, c.pct]));
    expect(pct['broker (devices → rules)']).toBe(7);
    expect(pct['health rules (API process)']).toBe(5);
    expect(pct['PostgreSQL (health snapshots)']).toBe(4);
    // 500 msg/s × 300 ms per 10k messages = 15 ms/s = 1.5% of a core
    expect(pct['broker, second subscriber (the ingest), at most']).toBeCloseTo(1.5, 9);
    // (500 + 1,500) points/s × (25 + 5) ms per 1k points = 60 ms/s = 6%
    expect(pct['ingest + InfluxDB']).toBeCloseTo(6, 9);
    expect(sizing.devicesPerCore).toBeCloseTo((100_000 * 100) / 23.5, 6);
  });

  it('scales the rules run to 100,000 devices when it ran fewer', () => {
    const sizing = computeSizing(
      input({ rules: { quick: { bench: 'rules', quick: rulesRun(10_000, true) } } }),
    )!;
    expect(sizing.cpuPctPer100k[0]!.pct).toBe(70); // 7% for 10k devices
  });

  it('memory per 10k devices: sessions × RSS per connection, devices × RSS per device', () => {
    const memory = computeSizing(input())!.memory;
    expect(memory[0]!.per10kMiB).toBeCloseTo((1_000 * 80) / 1024, 9);
    expect(memory[1]!.per10kMiB).toBeCloseTo((400 * 10_000) / 1_048_576, 9);
    expect(memory[2]).toMatchObject({ per10kMiB: 0, fixedMiB: 100 });
  });

  it('disk per device-day from the run that measured it, at rest with the retention', () => {
    const sizing = computeSizing(input())!;
    expect(sizing.disk).toMatchObject({
      rawBytesPerDeviceDay: 64_000,
      source: 'bench/ingest, quick run',
    });
    const { markdown } = renderReport(input(), RETENTION);
    // 64,000 × 30 + 22,000 × 400 = 10,720,000 B
    expect(markdown).toContain(`a device holds ~${fmt(10_720_000 / 1_048_576, 1)} MiB at rest`);
    const interval = DEVICE_CATALOG.base_station.heartbeatIntervalS;
    expect(markdown).toContain(
      `| \`base_station\` | ${interval} | ${fmt(86_400 / interval)} | ${fmt(((86_400 / interval) * 22.2) / 1024, 1)} |`,
    );
  });

  it('says when disk was not measured', () => {
    const { markdown } = renderReport(input({ ingest: { full: ingest(0.5) } }), RETENTION);
    expect(markdown).toContain('Disk per device-day: not measured yet');
  });
});

describe('fmt', () => {
  it.each([
    [1234567, 0, '1,234,567'],
    [0.0774, 3, '0.077'],
    [-1234.5, 1, '-1,234.5'],
    [2, 2, '2'],
  ])('fmt(%d, %d) = %s', (x, digits, text) => {
    expect(fmt(x, digits)).toBe(text);
  });
});
