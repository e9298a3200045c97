import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHANNELS } from '@orfleet/devices';

/** The ingest's Prometheus metrics, on its own registry (docs/operations.md, "Ingest"). */
export class IngestMetrics {
  readonly registry = new Registry();
  readonly messagesIn = new Counter({
    name: 'orfleet_ingest_messages_total',
    help: 'Valid device messages taken into the spool, by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  readonly invalid = new Counter({
    name: 'orfleet_ingest_invalid_messages_total',
    help: 'Messages refused and dead-lettered, by reason (libs/devices decode codes)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly warnings = new Counter({
    name: 'orfleet_ingest_message_warnings_total',
    help: 'Messages taken with a warning, by code (CLOCK_SKEW: the receive time was used)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly acked = new Counter({
    name: 'orfleet_ingest_acknowledged_total',
    help: 'QoS 1 messages acknowledged to the broker (each after it was on disk)',
    registers: [this.registry],
  });
  readonly inflight = new Gauge({
    name: 'orfleet_ingest_inflight_messages',
    help: 'Messages received and not yet acknowledged',
    registers: [this.registry],
  });
  readonly connected = new Gauge({
    name: 'orfleet_ingest_broker_connected',
    help: '1 while connected to the broker',
    registers: [this.registry],
  });
  readonly spoolRecords = new Gauge({
    name: 'orfleet_ingest_spool_records',
    help: 'Messages in the spool, not yet confirmed by InfluxDB',
    registers: [this.registry],
  });
  readonly spoolBytes = new Gauge({
    name: 'orfleet_ingest_spool_bytes',
    help: 'Bytes of line protocol in the spool (counted against the quota)',
    registers: [this.registry],
  });
  readonly spoolFull = new Gauge({
    name: 'orfleet_ingest_spool_full',
    help: '1 while the spool is over its quota (no message is acknowledged then)',
    registers: [this.registry],
  });
  readonly spoolOldestAge = new Gauge({
    name: 'orfleet_ingest_spool_oldest_age_seconds',
    help: 'Age of the oldest point waiting in the spool (by its timestamp)',
    registers: [this.registry],
  });
  readonly pointsWritten = new Counter({
    name: 'orfleet_ingest_points_written_total',
    help: 'Points InfluxDB confirmed',
    registers: [this.registry],
  });
  readonly pointsRejected = new Counter({
    name: 'orfleet_ingest_points_rejected_total',
    help: 'Points InfluxDB refused as bad input (dead-lettered)',
    registers: [this.registry],
  });
  readonly writeSeconds = new Histogram({
    name: 'orfleet_ingest_write_seconds',
    help: 'Duration of one InfluxDB write request',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'orfleet_ingest_write_retries_total',
    help: 'InfluxDB writes retried, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly influxErrors = new Counter({
    name: 'orfleet_ingest_influx_errors_total',
    help: 'Failed InfluxDB requests, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly lagSeconds = new Histogram({
    name: 'orfleet_ingest_lag_seconds',
    help: 'From the point timestamp (device time) to InfluxDB confirming it',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });
  // the self-metrics scraper's own health (docs/operations.md, "Platform self-metrics")
  readonly selfScrapes = new Counter({
    name: 'orfleet_ingest_self_metrics_scrapes_total',
    help: 'Scrapes of the platform /metrics endpoints, by service and outcome',
    labelNames: ['service', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly selfSkipped = new Counter({
    name: 'orfleet_ingest_self_metrics_skipped_total',
    help: 'Scraped samples or lines not written, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly selfWrites = new Counter({
    name: 'orfleet_ingest_self_metrics_writes_total',
    help: 'Writes of scraped samples to InfluxDB, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly selfPoints = new Counter({
    name: 'orfleet_ingest_self_metrics_points_total',
    help: 'Points of platform metrics InfluxDB confirmed (measurement orfleet_self)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'orfleet_ingest_' });
    for (const channel of CHANNELS) this.messagesIn.labels(channel);
  }
}
