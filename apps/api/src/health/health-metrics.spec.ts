import { MetricsService } from '../platform/metrics.service';
import { HealthMetrics, MESSAGE_TYPE } from './health-metrics';
import type { HealthMetricsSource } from './health-metrics';
import type { SuppressReason } from './health-engine';

const source = (
  counts: { ok: number; pending: number; missing: number; unknown: number },
  suppressed: Partial<Record<SuppressReason, number>> = {},
): HealthMetricsSource => ({
  countByState: () => counts,
  suppressed: {
    maintenance: 0,
    correlated: 0,
    platform_quiet: 0,
    warm_up: 0,
    blip: 0,
    ...suppressed,
  },
});

/** One sample of the exposition text (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('HealthMetrics', () => {
  let registry: MetricsService;
  let metrics: HealthMetrics;
  const scrape = () => registry.registry.metrics();
  beforeEach(() => {
    registry = new MetricsService();
    metrics = new HealthMetrics(registry);
  });

  it('exposes every series at zero before the loop runs (rates work from the first scrape)', async () => {
    const text = await scrape();
    expect(sample(text, 'orfleet_health_leader')).toBe(0);
    for (const state of ['ok', 'pending', 'missing', 'unknown']) {
      expect(sample(text, `orfleet_health_devices_tracked{state="${state}"}`)).toBe(0);
    }
    for (const type of ['heartbeat', 'telemetry', 'fault', 'sightings', 'invalid']) {
      expect(sample(text, `orfleet_health_messages_total{type="${type}"}`)).toBe(0);
    }
    for (const rule of ['missing', 'fault', 'motor', 'battery', 'site', 'platform']) {
      expect(sample(text, `orfleet_health_tickets_opened_total{rule="${rule}"}`)).toBe(0);
    }
    for (const reason of ['maintenance', 'correlated', 'platform_quiet', 'warm_up', 'blip']) {
      expect(sample(text, `orfleet_health_suppressed_total{reason="${reason}"}`)).toBe(0);
    }
    for (const h of ['detection_lag', 'tick', 'snapshot']) {
      expect(sample(text, `orfleet_health_${h}_seconds_count`)).toBe(0);
    }
  });

  it('counts messages by type, tickets by rule and observes durations', async () => {
    for (let i = 0; i < 3; i++) metrics.message(MESSAGE_TYPE.heartbeat);
    metrics.message(MESSAGE_TYPE.sightings);
    metrics.message(MESSAGE_TYPE.invalid);
    metrics.ticketOpened('missing');
    metrics.ticketOpened('missing');
    metrics.ticketOpened('site');
    metrics.detected([400, 1_600]);
    metrics.ticked(0.002);
    metrics.snapshotWritten(0.03);
    const text = await scrape();
    expect(sample(text, 'orfleet_health_messages_total{type="heartbeat"}')).toBe(3);
    expect(sample(text, 'orfleet_health_messages_total{type="sightings"}')).toBe(1);
    expect(sample(text, 'orfleet_health_messages_total{type="invalid"}')).toBe(1);
    expect(sample(text, 'orfleet_health_messages_total{type="fault"}')).toBe(0);
    expect(sample(text, 'orfleet_health_tickets_opened_total{rule="missing"}')).toBe(2);
    expect(sample(text, 'orfleet_health_tickets_opened_total{rule="site"}')).toBe(1);
    expect(sample(text, 'orfleet_health_detection_lag_seconds_count')).toBe(2);
    expect(sample(text, 'orfleet_health_detection_lag_seconds_sum')).toBeCloseTo(2, 9);
    expect(sample(text, 'orfleet_health_detection_lag_seconds_bucket{le="0.5"}')).toBe(1);
    expect(sample(text, 'orfleet_health_detection_lag_seconds_bucket{le="2"}')).toBe(2);
    expect(sample(text, 'orfleet_health_tick_seconds_count')).toBe(1);
    expect(sample(text, 'orfleet_health_snapshot_seconds_count')).toBe(1);
    // a second scrape reports the same totals (counters are handed over, not added twice)
    expect(sample(await scrape(), 'orfleet_health_messages_total{type="heartbeat"}')).toBe(3);
  });

  it('reads states and suppressions from the engine it leads, and keeps totals across engines', async () => {
    metrics.lead(source({ ok: 7, pending: 1, missing: 2, unknown: 3 }, { blip: 4, warm_up: 1 }));
    let text = await scrape();
    expect(sample(text, 'orfleet_health_leader')).toBe(1);
    expect(sample(text, 'orfleet_health_devices_tracked{state="ok"}')).toBe(7);
    expect(sample(text, 'orfleet_health_devices_tracked{state="unknown"}')).toBe(3);
    expect(sample(text, 'orfleet_health_suppressed_total{reason="blip"}')).toBe(4);

    metrics.lead(undefined); // stepped down: its suppressions stay counted
    text = await scrape();
    expect(sample(text, 'orfleet_health_leader')).toBe(0);
    expect(sample(text, 'orfleet_health_devices_tracked{state="ok"}')).toBe(0);
    expect(sample(text, 'orfleet_health_suppressed_total{reason="blip"}')).toBe(4);

    metrics.lead(source({ ok: 1, pending: 0, missing: 0, unknown: 0 }, { blip: 2 }));
    text = await scrape();
    expect(sample(text, 'orfleet_health_suppressed_total{reason="blip"}')).toBe(6);
    expect(sample(text, 'orfleet_health_suppressed_total{reason="warm_up"}')).toBe(1);
  });
});
