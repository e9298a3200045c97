import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  parsePrometheusText,
  parseSelfMetricsTargets,
  selfMetricLines,
} from './self-metrics.rules';
import type { PromSample } from './self-metrics.rules';

const TARGET = { service: 'ingest', instance: 'ingest:9102' } as const;
const AT = 1_764_000_000_000;

describe('parsePrometheusText', () => {
  it('reads a histogram, a labelled counter and a NaN gauge as prom-client serves them', async () => {
    const registry = new Registry();
    const histogram = new Histogram({
      name: 'orfleet_ingest_write_seconds',
      help: 'Duration of one write',
      buckets: [0.1, 1],
      registers: [registry],
    });
    histogram.observe(0.05);
    histogram.observe(0.5);
    new Counter({
      name: 'orfleet_ingest_invalid_messages_total',
      help: 'Messages refused',
      labelNames: ['reason'],
      registers: [registry],
    })
      .labels('PAYLOAD "bad", a=b\\c\nnext')
      .inc(3);
    new Gauge({ name: 'orfleet_g', help: 'multi\nline \\ help', registers: [registry] }).set(NaN);

    const { samples, errors } = parsePrometheusText(await registry.metrics());

    expect(errors).toEqual([]);
    expect(samples.map((s) => [s.name, s.labels, s.value, s.type])).toEqual([
      ['orfleet_ingest_write_seconds_bucket', { le: '0.1' }, 1, 'histogram'],
      ['orfleet_ingest_write_seconds_bucket', { le: '1' }, 2, 'histogram'],
      ['orfleet_ingest_write_seconds_bucket', { le: '+Inf' }, 2, 'histogram'],
      ['orfleet_ingest_write_seconds_sum', {}, 0.55, 'histogram'],
      ['orfleet_ingest_write_seconds_count', {}, 2, 'histogram'],
      [
        'orfleet_ingest_invalid_messages_total',
        { reason: 'PAYLOAD "bad", a=b\\c\nnext' },
        3,
        'counter',
      ],
      ['orfleet_g', {}, NaN, 'gauge'],
    ]);
  });

  it.each([
    ['NaN', NaN],
    ['Nan', NaN],
    ['+Inf', Infinity],
    ['Inf', Infinity],
    ['-Inf', -Infinity],
    ['-inf', -Infinity],
    ['1.5e3', 1500],
    ['-0.25', -0.25],
    ['.5', 0.5],
    ['7', 7],
  ])('reads the value %s', (text, value) => {
    const { samples, errors } = parsePrometheusText(`x ${text}\n`);
    expect(errors).toEqual([]);
    expect(samples[0]?.value).toBe(value);
  });

  it('keeps an explicit timestamp (ms) and reads CRLF lines and comments', () => {
    const { samples, errors } = parsePrometheusText(
      '# a free comment\r\n# HELP up 1 if up\r\nup{job="x"} 1 1764000000123\r\n\r\n',
    );
    expect(errors).toEqual([]);
    expect(samples).toEqual([
      {
        name: 'up',
        labels: { job: 'x' },
        value: 1,
        timestampMs: 1_764_000_000_123,
        type: 'untyped',
      },
    ]);
  });

  it.each([
    ['no value', 'up', /up: expected a value/],
    ['a word for a value', 'up one', /up: bad value "one"/],
    ['three fields', 'up 1 2 3', /expected a value \(and a timestamp\)/],
    ['a bad timestamp', 'up 1 12.5', /bad timestamp "12\.5"/],
    ['an unterminated label value', 'up{a="x} 1', /unterminated value of label a/],
    ['an unquoted label value', 'up{a=x} 1', /expected a quoted value for label a/],
    ['a bad escape', 'up{a="\\t"} 1', /bad escape \\t in label a/],
    ['a repeated label', 'up{a="1",a="2"} 1', /label a given twice/],
    ['a bad label name', 'up{1a="x"} 1', /bad label name/],
    ['a missing comma', 'up{a="1" b="2"} 1', /expected , or } after label a/],
    ['no metric name', '{a="1"} 1', /expected a metric name/],
    ['an unknown type', '# TYPE up bogus', /unknown metric type bogus/],
  ])('reports %s with its line number and keeps the other lines', (_what, bad, message) => {
    const { samples, errors } = parsePrometheusText(`ok_before 1\n${bad}\nok_after 2\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.line).toBe(2);
    expect(errors[0]?.message).toMatch(message);
    expect(samples.map((s) => s.name)).toEqual(['ok_before', 'ok_after']);
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const { samples, errors } = parsePrometheusText(text);
        expect(Array.isArray(samples) && Array.isArray(errors)).toBe(true);
      }),
    );
  });
});

describe('selfMetricLines', () => {
  const sample = (
    name: string,
    value: number,
    labels: Record<string, string> = {},
    timestampMs?: number,
  ): PromSample => ({ name, labels, value, timestampMs, type: 'untyped' });

  it('writes a histogram as Telegraf metric_version 2 does: _bucket by le, _sum and _count', () => {
    const { lines, skipped } = selfMetricLines(
      [
        sample('orfleet_ingest_write_seconds_bucket', 1, { le: '0.1' }),
        sample('orfleet_ingest_write_seconds_bucket', 2, { le: '+Inf' }),
        sample('orfleet_ingest_write_seconds_sum', 0.55),
        sample('orfleet_ingest_write_seconds_count', 2),
      ],
      TARGET,
      AT,
    );
    expect(lines).toEqual([
      `orfleet_self,instance=ingest:9102,le=0.1,service=ingest orfleet_ingest_write_seconds_bucket=1 ${AT}`,
      `orfleet_self,instance=ingest:9102,le=+Inf,service=ingest orfleet_ingest_write_seconds_bucket=2 ${AT}`,
      `orfleet_self,instance=ingest:9102,service=ingest orfleet_ingest_write_seconds_sum=0.55,orfleet_ingest_write_seconds_count=2 ${AT}`,
    ]);
    expect(skipped).toEqual({ nonFinite: 0, duplicate: 0 });
  });

  it('escapes tag values, drops empty ones and keeps a clashing label as exported_<name>', () => {
    const { lines } = selfMetricLines(
      [
        sample('orfleet_ingest_invalid_messages_total', 3, {
          reason: 'PAYLOAD "bad", a=b',
          empty: '',
          instance: 'device-7',
          service: 'other',
        }),
      ],
      TARGET,
      AT,
    );
    expect(lines).toEqual([
      `orfleet_self,exported_instance=device-7,exported_service=other,instance=ingest:9102,` +
        `reason=PAYLOAD\\ "bad"\\,\\ a\\=b,service=ingest orfleet_ingest_invalid_messages_total=3 ${AT}`,
    ]);
  });

  it('leaves out NaN and infinite values and a repeated sample, and counts them', () => {
    const { lines, skipped } = selfMetricLines(
      [
        sample('a', NaN),
        sample('b', Infinity),
        sample('c', -Infinity),
        sample('d', 1),
        sample('d', 2),
      ],
      TARGET,
      AT,
    );
    expect(lines).toEqual([`orfleet_self,instance=ingest:9102,service=ingest d=1 ${AT}`]);
    expect(skipped).toEqual({ nonFinite: 3, duplicate: 1 });
  });

  it('uses a sample timestamp over the scrape time, and floats for every value', () => {
    const { lines } = selfMetricLines(
      [sample('big', 1e21, {}, 1_000), sample('tiny', 5e-7), sample('neg', -0)],
      TARGET,
      AT,
    );
    expect(lines).toEqual([
      'orfleet_self,instance=ingest:9102,service=ingest big=1e+21 1000',
      `orfleet_self,instance=ingest:9102,service=ingest tiny=5e-7,neg=0 ${AT}`,
    ]);
  });

  it('makes lines whose tag sets are sorted and whose fields are all finite numbers', () => {
    const label = fc.string({ maxLength: 8 });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.constantFrom('x_total', 'y_bucket', 'z'),
            value: fc.double(),
            labels: fc.dictionary(fc.constantFrom('a', 'le', 'reason', 'instance'), label),
          }),
          { maxLength: 20 },
        ),
        (raw) => {
          const { lines } = selfMetricLines(
            raw.map((r) => sample(r.name, r.value, r.labels)),
            TARGET,
            AT,
          );
          for (const line of lines) {
            // split on unescaped spaces: head, fields, time
            const parts = line.split(/(?<!\\) /);
            expect(parts).toHaveLength(3);
            const keys = (parts[0] ?? '')
              .split(/(?<!\\),/)
              .slice(1)
              .map((t) => t.split(/(?<!\\)=/)[0] ?? '');
            expect(keys).toEqual([...keys].sort());
            for (const field of (parts[1] ?? '').split(',')) {
              expect(Number.isFinite(Number(field.split('=')[1]))).toBe(true);
            }
          }
        },
      ),
    );
  });
});

describe('parseSelfMetricsTargets', () => {
  it('reads service=url pairs, the instance being host:port', () => {
    expect(
      parseSelfMetricsTargets(
        'broker=http://broker:9101/metrics, api=http://api:3000/metrics,ingest=https://ingest/metrics',
      ),
    ).toEqual({
      ok: true,
      targets: [
        { service: 'broker', url: 'http://broker:9101/metrics', instance: 'broker:9101' },
        { service: 'api', url: 'http://api:3000/metrics', instance: 'api:3000' },
        { service: 'ingest', url: 'https://ingest/metrics', instance: 'ingest:443' },
      ],
    });
  });

  it('allows several brokers, and an empty list', () => {
    const two = parseSelfMetricsTargets(
      'broker=http://broker-1:9101/metrics,broker=http://broker-2:9101/metrics',
    );
    expect(two.ok && two.targets.map((t) => t.instance)).toEqual([
      'broker-1:9101',
      'broker-2:9101',
    ]);
    expect(parseSelfMetricsTargets('')).toEqual({ ok: true, targets: [] });
  });

  it.each([
    ['an unknown service', 'mqtt=http://broker:9101/metrics', /service one of broker, ingest, api/],
    ['no =', 'http://broker:9101/metrics', /expected <service>=<url>/],
    ['a non-http URL', 'broker=ftp://broker/metrics', /expected an http\(s\) URL/],
    ['no URL', 'broker=', /expected an http\(s\) URL/],
    [
      'the same URL twice',
      'broker=http://b:9101/metrics,broker=http://b:9101/metrics',
      /named twice/,
    ],
  ])('refuses %s', (_what, text, problem) => {
    const parsed = parseSelfMetricsTargets(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.problems).toEqual([expect.stringMatching(problem)]);
  });
});
