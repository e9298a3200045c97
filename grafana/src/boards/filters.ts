/**
 * The site / kind / device variables and the filters that apply them, in both query languages.
 * Every variable is multi-value with All: InfluxQL matches it as a regex (`=~ /^$site$/`,
 * Grafana writes `(a|b)`), SQL as a list (`IN ($site)`, Grafana writes `'a','b'`).
 */
import type { VariableDef } from '../model';

/** Constants as an SQL list: 'a', 'b'. */
export const sqlList = (values: readonly string[]): string =>
  values.map((v) => `'${v}'`).join(', ');

/**
 * From the registry: every site, and the kinds and devices of `devices`: `active` for the fleet
 * as it is now, `all` where history is shown (a ticket on a device retired since still counts
 * towards the contract).
 */
export function registryVariables(devices: 'active' | 'all'): VariableDef[] {
  const status = devices === 'active' ? `status = 'active' AND ` : '';
  return [
    { name: 'site', label: 'Site', datasource: 'pg', query: 'SELECT id FROM site ORDER BY id' },
    {
      name: 'kind',
      label: 'Kind',
      datasource: 'pg',
      query: `SELECT DISTINCT kind FROM device WHERE ${status}site_id IN ($site) ORDER BY kind`,
    },
    {
      name: 'device',
      label: 'Device',
      datasource: 'pg',
      query: `SELECT id FROM device WHERE ${status}site_id IN ($site) AND kind IN ($kind) ORDER BY id`,
    },
  ];
}

/** The fleet now: every site, kind and active device, including those never heard from. */
export const REGISTRY_VARIABLES: readonly VariableDef[] = registryVariables('active');

/** A registry device `d` in the chosen site, kind and device. */
export const SQL_DEVICE_FILTER = 'd.site_id IN ($site) AND d.kind IN ($kind) AND d.id IN ($device)';

/** A point of heartbeat, telemetry or fault (tags site, kind, device) in the chosen ones. */
export const INFLUX_DEVICE_FILTER =
  '"site" =~ /^$site$/ AND "kind" =~ /^$kind$/ AND "device" =~ /^$device$/';

/** From the telemetry itself, limited to `kinds`: what reported in the time range. */
export function telemetryVariables(kinds: readonly string[]): VariableDef[] {
  const kindRegex = `/^(${kinds.join('|')})$/`;
  return [
    {
      name: 'site',
      label: 'Site',
      datasource: 'influx',
      query: `SHOW TAG VALUES FROM "telemetry" WITH KEY = "site" WHERE "kind" =~ ${kindRegex}`,
    },
    {
      name: 'kind',
      label: 'Kind',
      datasource: 'influx',
      query: `SHOW TAG VALUES FROM "telemetry" WITH KEY = "kind" WHERE "site" =~ /^$site$/ AND "kind" =~ ${kindRegex}`,
    },
    {
      name: 'device',
      label: 'Device',
      datasource: 'influx',
      query: `SHOW TAG VALUES FROM "telemetry" WITH KEY = "device" WHERE "site" =~ /^$site$/ AND "kind" =~ /^$kind$/`,
    },
  ];
}
