import { ALL_VALUE } from './filters';
import type { BoardDef, PanelDef, QueryDef } from '../model';

/**
 * The services' own Prometheus metrics as the ingest writes them to InfluxDB (measurement
 * `orfleet_self`: tags service, instance and the sample's labels; one field per metric; a
 * histogram as `<name>_bucket` with tag `le`, `<name>_sum`, `<name>_count`). Counters are
 * turned into rates and increases per instance, so a restart (counter reset) is not a drop.
 */
export const SELF_MEASUREMENT = 'orfleet_self';

const WHERE = `"service" =~ /^$service$/ AND "instance" =~ /^$instance$/ AND $timeFilter`;

/** Per-second rate of a counter, per instance and the given labels. */
const rate = (metric: string, by: readonly string[] = []): QueryDef => ({
  text: `SELECT non_negative_derivative(max("${metric}"), 1s) AS "${metric}" FROM "${SELF_MEASUREMENT}" WHERE ${WHERE} GROUP BY time($__interval), ${['instance', ...by].map((t) => `"${t}"`).join(', ')} fill(none)`,
  format: 'time_series',
  alias: ['$tag_instance', ...by.map((t) => `$tag_${t}`)].join(' '),
});

/** Mean of a histogram's observations per interval: increase of _sum / increase of _count. */
const histogramMean = (metric: string): QueryDef => ({
  text: `SELECT non_negative_difference(max("${metric}_sum")) / non_negative_difference(max("${metric}_count")) AS "${metric}_mean" FROM "${SELF_MEASUREMENT}" WHERE ${WHERE} GROUP BY time($__interval), "instance" fill(none)`,
  format: 'time_series',
  alias: '$tag_instance $col',
});

/** Last value of gauges per interval. */
const gauges = (metrics: readonly string[], by: readonly string[] = []): QueryDef => ({
  text: `SELECT ${metrics.map((m) => `last("${m}") AS "${m}"`).join(', ')} FROM "${SELF_MEASUREMENT}" WHERE ${WHERE} GROUP BY time($__interval), ${['instance', ...by].map((t) => `"${t}"`).join(', ')} fill(previous)`,
  format: 'time_series',
  alias: ['$tag_instance', ...by.map((t) => `$tag_${t}`), '$col'].join(' '),
});

/** Increase of a counter over the whole range, per label (a table). */
const increaseBy = (metric: string, label: string, column: string): QueryDef => ({
  text: `SELECT sum("n") AS "${column}" FROM (SELECT non_negative_difference(max("${metric}")) AS "n" FROM "${SELF_MEASUREMENT}" WHERE ${WHERE} GROUP BY time($__interval), "instance", "${label}") GROUP BY "${label}"`,
  format: 'table',
});

const timeseries = (
  title: string,
  question: string,
  queries: QueryDef[],
  unit: string,
  width = 12,
): PanelDef => ({
  title,
  question,
  kind: 'timeseries',
  datasource: 'influx',
  queries,
  width,
  height: 8,
  unit,
  min: 0,
});

export const PLATFORM: BoardDef = {
  uid: 'orfleet-platform',
  title: 'Platform',
  folder: 'platform',
  file: 'platform.json',
  summary:
    "Is the platform itself healthy? Ingest throughput, lag and spool, invalid messages, broker connections and the health rules loop, from the services' /metrics as the ingest stores them in InfluxDB.",
  tags: ['orfleet', 'platform'],
  time: { from: 'now-6h', to: 'now' },
  refresh: '30s',
  variables: [
    {
      type: 'query',
      name: 'service',
      label: 'Service',
      datasource: 'influx',
      query: `SHOW TAG VALUES FROM "${SELF_MEASUREMENT}" WITH KEY = "service"`,
      allValue: ALL_VALUE,
    },
    {
      type: 'query',
      name: 'instance',
      label: 'Instance',
      datasource: 'influx',
      query: `SHOW TAG VALUES FROM "${SELF_MEASUREMENT}" WITH KEY = "instance" WHERE "service" =~ /^$service$/`,
      allValue: ALL_VALUE,
    },
  ],
  rows: [
    {
      title: 'Ingest',
      panels: [
        timeseries(
          'Ingest rate',
          'How many points per second does the ingest get confirmed by InfluxDB, and how many device messages come in per channel?',
          [
            rate('orfleet_ingest_points_written_total'),
            rate('orfleet_ingest_messages_total', ['channel']),
          ],
          'ops',
        ),
        timeseries(
          'Ingest lag',
          'How long from a point’s device timestamp to InfluxDB confirming it (mean per interval)?',
          [histogramMean('orfleet_ingest_lag_seconds')],
          's',
        ),
        timeseries(
          'Spool',
          'Is a backlog building up in the ingest spool (InfluxDB slow or down)? Records waiting and the age of the oldest.',
          [gauges(['orfleet_ingest_spool_records', 'orfleet_ingest_spool_oldest_age_seconds'])],
          'short',
        ),
        {
          title: 'Invalid messages by reason',
          question:
            'Which device messages were refused and dead-lettered in the range, by decode reason?',
          kind: 'table',
          datasource: 'influx',
          queries: [increaseBy('orfleet_ingest_invalid_messages_total', 'reason', 'invalid')],
          width: 12,
          height: 8,
          transformations: [
            { id: 'sortBy', options: { sort: [{ field: 'invalid', desc: true }] } },
          ],
        },
      ],
    },
    {
      title: 'Broker',
      panels: [
        timeseries(
          'Broker connections',
          'How many clients are connected to the broker, by device kind (or service)?',
          [gauges(['orfleet_broker_clients'], ['type'])],
          'short',
        ),
        {
          title: 'Connections refused by reason',
          question:
            'Why did the broker refuse connections in the range (bad credentials, unknown device, limits)?',
          kind: 'table',
          datasource: 'influx',
          queries: [increaseBy('orfleet_broker_connections_refused_total', 'reason', 'refused')],
          width: 12,
          height: 8,
          transformations: [
            { id: 'sortBy', options: { sort: [{ field: 'refused', desc: true }] } },
          ],
        },
      ],
    },
    {
      title: 'Health rules',
      panels: [
        timeseries(
          'Rules loop latency',
          'How long does one pass of the health rules take, and how long from a device falling silent to the rules noticing (means per interval)?',
          [
            histogramMean('orfleet_health_tick_seconds'),
            histogramMean('orfleet_health_detection_lag_seconds'),
          ],
          's',
        ),
        timeseries(
          'Devices tracked by state',
          'How many devices do the health rules track as ok, pending (past the deadline, ticket undecided), missing or unknown? All 0 on an API instance that is not the leader.',
          [gauges(['orfleet_health_devices_tracked'], ['state'])],
          'short',
        ),
      ],
    },
  ],
};
