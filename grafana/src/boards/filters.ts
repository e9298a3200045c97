/**
 * The site / kind / device variables and the filters that apply them, in both query languages.
 * Every variable is multi-value with All, and All is sent as the custom all value `.*` (ALL_VALUE),
 * never as the list of every option: a hospital group has 100,000 devices, and Grafana would
 * otherwise write all of them into each query. Grafana inserts a custom all value as it is, in
 * every format (no escaping, no quoting), so each filter is written for both cases:
 *
 * - InfluxQL matches a regex: `"site" =~ /^$site$/` is `/^(a|b)$/` for a selection (Grafana
 *   escapes each value) and `/^.*$/` for All.
 * - SQL reads the selection as one comma-separated string (`${site:csv}`, ids hold no comma nor
 *   quote: libs/devices ID_PATTERN): `('${site:csv}' = '.*' OR site_id = ANY(...))` is
 *   `site_id = ANY('{a,b}')` for a selection (an index lookup) and constant true for All, which
 *   PostgreSQL folds away: no filter at all.
 */
import {
  DEFAULT_SCHEMA_TARGET,
  RAW_RP,
  ROLLUP_RP,
} from '../../../apps/ingest/src/influx/influx-schema.rules';
import type { CustomVariableDef, QueryVariableDef } from '../model';

/** Constants as an SQL list: 'a', 'b'. */
export const sqlList = (values: readonly string[]): string =>
  values.map((v) => `'${v}'`).join(', ');

/** What All stands for in every variable of every board: a regex matching anything. */
export const ALL_VALUE = '.*';

/**
 * SQL: `test` (given the chosen values as a text[] expression) for a selection of `variable`;
 * true, and folded away, for All.
 */
export function sqlChosen(variable: string, test: (values: string) => string): string {
  const csv = `'\${${variable}:csv}'`;
  return `(${csv} = '${ALL_VALUE}' OR ${test(`string_to_array(${csv}, ',')`)})`;
}

/** SQL: `column` in the values chosen for `variable`; true, and folded away, for All. */
export const sqlIn = (column: string, variable: string): string =>
  sqlChosen(variable, (values) => `${column} = ANY(${values})`);

/**
 * From the registry: every site, and the kinds and devices of `devices`: `active` for the fleet
 * as it is now, `all` where history is shown (a ticket on a device retired since still counts
 * towards the contract).
 */
export function registryVariables(devices: 'active' | 'all'): QueryVariableDef[] {
  const status = devices === 'active' ? `status = 'active' AND ` : '';
  return [
    {
      type: 'query',
      name: 'site',
      label: 'Site',
      datasource: 'pg',
      query: 'SELECT id FROM site ORDER BY id',
      allValue: ALL_VALUE,
    },
    {
      type: 'query',
      name: 'kind',
      label: 'Kind',
      datasource: 'pg',
      query: `SELECT DISTINCT kind FROM device WHERE ${status}${sqlIn('site_id', 'site')} ORDER BY kind`,
      allValue: ALL_VALUE,
    },
    {
      type: 'query',
      name: 'device',
      label: 'Device',
      datasource: 'pg',
      query: `SELECT id FROM device WHERE ${status}${sqlIn('site_id', 'site')} AND ${sqlIn('kind', 'kind')} ORDER BY id`,
      allValue: ALL_VALUE,
    },
  ];
}

/** The fleet now: every site, kind and active device, including those never heard from. */
export const REGISTRY_VARIABLES: readonly QueryVariableDef[] = registryVariables('active');

/** A registry device `d` in the chosen site, kind and device. */
export const SQL_DEVICE_FILTER = [
  sqlIn('d.site_id', 'site'),
  sqlIn('d.kind', 'kind'),
  sqlIn('d.id', 'device'),
].join(' AND ');

/** A point of heartbeat, telemetry or fault (tags site, kind, device) in the chosen ones. */
export const INFLUX_DEVICE_FILTER =
  '"site" =~ /^$site$/ AND "kind" =~ /^$kind$/ AND "device" =~ /^$device$/';

/**
 * From the telemetry itself, limited to `kinds`: what reported in the time range. All kinds is
 * `kinds` as a regex (not `.*`), so the panels keep to them; All sites and devices are `.*`, the
 * kind filter beside them keeping to the kinds.
 */
export function telemetryVariables(kinds: readonly string[]): QueryVariableDef[] {
  const kindAlternatives = `(${kinds.join('|')})`;
  const kindRegex = `/^${kindAlternatives}$/`;
  return [
    {
      type: 'query',
      name: 'site',
      label: 'Site',
      datasource: 'influx',
      query: `SHOW TAG VALUES FROM "telemetry" WITH KEY = "site" WHERE "kind" =~ ${kindRegex}`,
      allValue: ALL_VALUE,
    },
    {
      type: 'query',
      name: 'kind',
      label: 'Kind',
      datasource: 'influx',
      query: `SHOW TAG VALUES FROM "telemetry" WITH KEY = "kind" WHERE "site" =~ /^$site$/ AND "kind" =~ ${kindRegex}`,
      allValue: kindAlternatives,
    },
    {
      type: 'query',
      name: 'device',
      label: 'Device',
      datasource: 'influx',
      query: `SHOW TAG VALUES FROM "telemetry" WITH KEY = "device" WHERE "site" =~ /^$site$/ AND "kind" =~ /^$kind$/`,
      allValue: ALL_VALUE,
    },
  ];
}

/**
 * Raw points or the 1-minute rollup (apps/ingest influx-schema.rules.ts: the continuous query
 * writes `mean(*)` of every raw measurement into the `rollup_1m` retention policy, fields
 * renamed `mean_<field>`). Raw points are kept for the raw retention only, so a range beyond it
 * needs the rollup.
 */
export const RESOLUTION_VARIABLE: CustomVariableDef = {
  type: 'custom',
  name: 'resolution',
  label: 'Resolution',
  description: `raw: every point (retention policy "${RAW_RP}", kept ${DEFAULT_SCHEMA_TARGET.rawRetention} by default); 1m: the 1-minute means (retention policy "${ROLLUP_RP}", kept ${DEFAULT_SCHEMA_TARGET.rollupRetention}), for ranges beyond the raw retention.`,
  options: [
    { text: 'raw', value: RAW_RP },
    { text: '1m', value: ROLLUP_RP },
  ],
};

/**
 * A numeric field of `measurement` at the chosen `$resolution`: `from` for the FROM clause and
 * `field` for the function's argument, a regex naming the raw field or its rollup mean
 * (`/^(mean_)?stock_level$/`). InfluxDB names the answer's column after the field it matched.
 */
export function atResolution(
  measurement: string,
  field: string,
): { readonly from: string; readonly field: string } {
  return { from: `"$resolution"."${measurement}"`, field: `/^(mean_)?${field}$/` };
}
