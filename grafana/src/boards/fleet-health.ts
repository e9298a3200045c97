import {
  HEALTH_RULE_SOURCE,
  HEALTH_STATES,
  MISSING_FINGERPRINT_PREFIX,
} from '../../../apps/api/src/health/device-health.rules';
import { FINAL_STATUSES } from '../../../apps/api/src/tickets/ticket-events.rules';
import type { BoardDef } from '../model';
import {
  INFLUX_DEVICE_FILTER,
  REGISTRY_VARIABLES,
  RESOLUTION_VARIABLE,
  SQL_DEVICE_FILTER,
  atResolution,
  sqlList,
} from './filters';

/**
 * The heartbeat gap reads every heartbeat of the chosen devices in the range (elapsed() has no
 * cheaper form): at 1m resolution at most one point a device and minute, gaps to the minute.
 */
const BEAT = atResolution('heartbeat', 'beat');

// The API's site health in SQL (device-health.service.ts SITE_FACTS, device-health.rules.ts
// healthState): maintenance > missing, unknown > faulty > ok, read at the end of the range.
const STATE_BY_SITE_AND_KIND = `WITH facts AS (
  SELECT d.site_id AS site, d.kind,
    CASE
      WHEN EXISTS (
        SELECT 1 FROM maintenance_window w
         WHERE (w.device_id = d.id OR w.site_id = d.site_id)
           AND w.starts_at <= $__timeTo() AND w.ends_at > $__timeTo()
           AND (w.ended_at IS NULL OR w.ended_at > $__timeTo())) THEN 'maintenance'
      WHEN h.state IS NULL THEN 'unknown'
      WHEN h.state <> 'ok' THEN h.state
      WHEN EXISTS (
        SELECT 1 FROM ticket t
         WHERE t.device_id = d.id AND t.status NOT IN (${sqlList(FINAL_STATUSES)})
           AND t.source = '${HEALTH_RULE_SOURCE}'
           AND NOT starts_with(COALESCE(t.fingerprint, ''), '${MISSING_FINGERPRINT_PREFIX}')) THEN 'faulty'
      ELSE 'ok'
    END AS state
  FROM device d
  LEFT JOIN device_health h ON h.device_id = d.id
  WHERE d.status = 'active' AND ${SQL_DEVICE_FILTER}
)
SELECT site, kind, count(*)::int AS total,
${HEALTH_STATES.map((s) => `  count(*) FILTER (WHERE state = '${s}')::int AS ${s}`).join(',\n')}
FROM facts
GROUP BY site, kind
ORDER BY site, kind`;

export const FLEET_HEALTH: BoardDef = {
  uid: 'orfleet-fleet-health',
  title: 'Fleet health',
  folder: 'fleet',
  file: 'fleet-health.json',
  summary:
    'Is every device alive and healthy? States from the health rules, heartbeats, BLE tags and firmware.',
  tags: ['orfleet', 'fleet'],
  time: { from: 'now-24h', to: 'now' },
  refresh: '1m',
  variables: [...REGISTRY_VARIABLES, RESOLUTION_VARIABLE],
  rows: [
    {
      title: 'State now',
      panels: [
        {
          title: 'Devices by state per site and kind',
          question:
            'How many devices of each kind are ok, missing, unknown (never seen), faulty (an open health-rule fault ticket) or in maintenance at each site?',
          kind: 'table',
          datasource: 'pg',
          queries: [{ text: STATE_BY_SITE_AND_KIND, format: 'table' }],
          width: 24,
          height: 9,
        },
      ],
    },
    {
      title: 'Heartbeats',
      panels: [
        {
          title: 'Longest heartbeat gap per device',
          question:
            'When and for how long did a device fall silent? The longest time between two heartbeats, per interval. Reads every heartbeat of the chosen devices in the range: at 1m resolution, one point a device and minute (gaps to the minute).',
          kind: 'timeseries',
          datasource: 'influx',
          queries: [
            {
              text: `SELECT max(/^gap/) FROM (SELECT elapsed(${BEAT.field}, 1s) AS "gap" FROM ${BEAT.from} WHERE ${INFLUX_DEVICE_FILTER} AND $timeFilter GROUP BY "device") WHERE $timeFilter GROUP BY time($__interval), "device" fill(none)`,
              format: 'time_series',
              alias: '$tag_device',
            },
          ],
          width: 12,
          height: 9,
          unit: 's',
          min: 0,
        },
        {
          title: 'Devices not seen longest',
          question:
            'Which devices have been silent longest, as the health rules last saw them (never seen first)?',
          kind: 'table',
          datasource: 'pg',
          queries: [
            {
              text: `SELECT d.id AS device, d.site_id AS site, d.kind, h.state, h.last_seen_at,
  round(extract(epoch FROM ($__timeTo()::timestamptz - h.last_seen_at)))::int AS silent_s
FROM device d
LEFT JOIN device_health h ON h.device_id = d.id
WHERE d.status = 'active' AND ${SQL_DEVICE_FILTER}
ORDER BY h.last_seen_at ASC NULLS FIRST, d.id
LIMIT 20`,
              format: 'table',
            },
          ],
          width: 12,
          height: 9,
        },
      ],
    },
    {
      title: 'BLE tags and radio',
      panels: [
        {
          title: 'BLE tag battery, lowest first',
          question:
            'Which beacons and wristbands need a new battery? The last battery level their advertisements reported.',
          kind: 'bargauge',
          datasource: 'influx',
          queries: [
            {
              text: `SELECT last("battery_pct") AS "battery_pct" FROM "sighting" WHERE "site" =~ /^$site$/ AND "device" =~ /^$device$/ AND $timeFilter GROUP BY "device"`,
              format: 'table',
            },
          ],
          width: 12,
          height: 9,
          unit: 'percent',
          min: 0,
          max: 100,
          eachRow: '/^battery_pct$/',
          thresholds: [
            { value: null, color: 'red' },
            { value: 20, color: 'orange' },
            { value: 40, color: 'green' },
          ],
          transformations: [
            { id: 'sortBy', options: { sort: [{ field: 'battery_pct', desc: false }] } },
          ],
        },
        {
          title: 'RSSI per base station',
          question:
            'Does each base station hear its tags well? Sightings and the spread of their signal strength.',
          kind: 'table',
          datasource: 'influx',
          queries: [
            {
              text: `SELECT count("rssi_dbm") AS "sightings", percentile("rssi_dbm", 10) AS "p10_dbm", median("rssi_dbm") AS "median_dbm", percentile("rssi_dbm", 90) AS "p90_dbm" FROM "sighting" WHERE "site" =~ /^$site$/ AND $timeFilter GROUP BY "gateway"`,
              format: 'table',
            },
          ],
          width: 12,
          height: 9,
          unit: 'dBm',
        },
      ],
    },
    {
      title: 'Firmware',
      panels: [
        {
          title: 'Firmware in the field',
          question:
            'Which firmware does each device run now, and how many devices run each version?',
          kind: 'table',
          datasource: 'influx',
          queries: [
            {
              text: `SELECT last("fw") AS "fw" FROM "heartbeat" WHERE ${INFLUX_DEVICE_FILTER} AND $timeFilter GROUP BY "kind", "device"`,
              format: 'table',
            },
          ],
          width: 24,
          height: 8,
          transformations: [
            {
              id: 'groupBy',
              options: {
                fields: {
                  kind: { aggregations: [], operation: 'groupby' },
                  fw: { aggregations: [], operation: 'groupby' },
                  device: { aggregations: ['count'], operation: 'aggregate' },
                },
              },
            },
          ],
        },
      ],
    },
  ],
};
