/**
 * The two datasources the boards read, by the fixed uids provisioning gives them
 * (grafana/provisioning/datasources/orfleet.yaml).
 */
export const DATASOURCES = {
  // device telemetry and the services' self-metrics (measurement orfleet_self), InfluxQL
  influx: { type: 'influxdb', uid: 'orfleet-influx', name: 'orfleet InfluxDB' },
  // registry, health snapshot, tickets, SLA milestones and parts, as the read-only orfleet_grafana
  pg: { type: 'grafana-postgresql-datasource', uid: 'orfleet-pg', name: 'orfleet PostgreSQL' },
} as const;

export type DatasourceKey = keyof typeof DATASOURCES;
