/**
 * Every panel and variable query of every board, run as Grafana would run it (variables and
 * macros substituted by macros.rules.ts) against a real influxd 1.6.7 and the embedded
 * PostgreSQL, on a known hospital day (test/hospital-day.ts): each must succeed, and the answers
 * are checked against what the fixture implies and against the API's own views of the same data.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { InfluxHttp } from '../../apps/ingest/src/influx/influx-http';
import { setupInfluxSchema } from '../../apps/ingest/src/influx/influx-schema';
import {
  ROLLUP_RP,
  rollupBackfillStatement,
} from '../../apps/ingest/src/influx/influx-schema.rules';
import { influxQuery, startTestInfluxd } from '../../apps/ingest/test/influxd';
import type { TestInfluxd } from '../../apps/ingest/test/influxd';
import { TICKET_STATUSES } from '../../apps/api/src/tickets/ticket-events.rules';
import { SlaSchedulerService } from '../../apps/api/src/tickets/sla-scheduler.service';
import { seedHospitalStock } from '../../apps/api/src/tickets/ticket-test-kit';
import { ManualClock } from '../../apps/api/test/manual-clock';
import { startTestApi } from '../../apps/api/test/harness';
import type { TestApi } from '../../apps/api/test/harness';
import {
  BROKER_CLIENTS,
  DAY,
  DETECTION,
  DEVICES,
  GD1_UPGRADE,
  INSTANCES,
  MINUTE,
  POINTS_PER_MINUTE,
  RANGE,
  RC1_LAST_MINUTE,
  SIGHTINGS,
  SITES,
  deviceLines,
  selfMetricLines,
  trackedAt,
} from '../test/hospital-day';
import { BOARDS, boardPath } from './boards';
import { DATASOURCES } from './datasources';
import { autoInterval, interpolate } from './macros.rules';
import { GRAFANA_ROLE, readOnlyRoleStatements } from './read-only-role';
import type { InterpolationContext, QueryDialect, VariableSelection } from './macros.rules';

const DB = 'orfleet';
const GRAFANA_PASSWORD = 'grafana-test';
const at = (minute: number) => new Date(DAY + minute * MINUTE);
const iso = (minute: number) => at(minute).toISOString();

/** A query's answer as rows of named columns (InfluxDB series flattened, tags as columns). */
type Row = Record<string, unknown>;

interface Target {
  query?: string;
  rawSql?: string;
  datasource: { uid: string };
}
interface PanelJson {
  type: string;
  title: string;
  timeFrom?: string;
  targets?: Target[];
}
type VariableJson =
  | {
      type: 'query';
      name: string;
      query: string;
      multi: boolean;
      includeAll: boolean;
      allValue?: string;
      datasource: { uid: string };
    }
  | { type: 'custom'; name: string; options: { value: string }[] };

let influxd: TestInfluxd;
let api: TestApi;
let grafana: Client;
const clock = new ManualClock(DAY);

async function runInflux(statement: string): Promise<Row[]> {
  const series = await influxQuery(influxd.url, statement, DB);
  return series.flatMap((s) =>
    (s.values ?? []).map((values) => ({
      ...((s as { tags?: Record<string, string> }).tags ?? {}),
      ...Object.fromEntries(s.columns.map((c, i) => [c, values[i]])),
    })),
  );
}

async function runSql(statement: string): Promise<Row[]> {
  return (await grafana.query<Row>(statement)).rows;
}

function dialectOf(uid: string): QueryDialect {
  if (uid === DATASOURCES.influx.uid) return 'influxql';
  if (uid === DATASOURCES.pg.uid) return 'sql';
  throw new Error(`datasource ${uid} is not provisioned`);
}

async function run(uid: string, query: string, ctx: InterpolationContext): Promise<Row[]> {
  const dialect = dialectOf(uid);
  const statement = interpolate(query, ctx, dialect);
  try {
    return dialect === 'sql' ? await runSql(statement) : await runInflux(statement);
  } catch (error) {
    throw new Error(`${statement}\n→ ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** The range a panel shows: the dashboard's, or its relative override ("now/M": this month). */
function panelRange(panel: PanelJson): { from: Date; to: Date } {
  if (panel.timeFrom === undefined) return RANGE;
  if (panel.timeFrom === 'now/M') {
    const to = RANGE.to;
    return { from: new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), 1)), to };
  }
  throw new Error(`panel ${panel.title}: time override ${panel.timeFrom} not modelled`);
}

interface BoardRun {
  /** Options each variable's own query returned, in definition order. */
  readonly options: Record<string, string[]>;
  /** Each panel's answer per target, by panel title. */
  readonly panels: Record<string, Row[][]>;
}

/**
 * Resolves the board's variables in order (each from its own query, the earlier ones set to
 * `choose(name)` or All: the variable's custom all value, as Grafana sends it), then runs every
 * panel target. A custom variable ($resolution) is `choose(name)` or its first option.
 */
async function runBoard(
  uid: string,
  choose: (name: string, options: string[]) => VariableSelection['selected'] = () => '$__all',
): Promise<BoardRun> {
  // the committed file, exactly what Grafana provisions
  const board = BOARDS.find((b) => b.uid === uid)!;
  const json = JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', boardPath(board)), 'utf8'),
  ) as {
    templating: { list: VariableJson[] };
    panels: PanelJson[];
  };
  const variables: Record<string, VariableSelection> = {};
  const options: Record<string, string[]> = {};
  const ctx = (range: { from: Date; to: Date }): InterpolationContext => ({
    ...range,
    interval: autoInterval(range.to.getTime() - range.from.getTime(), 288, 10_000),
    variables,
  });
  for (const v of json.templating.list) {
    if (v.type === 'custom') {
      const values = v.options.map((o) => o.value);
      const selected = choose(v.name, values);
      options[v.name] = values;
      variables[v.name] = {
        multi: false,
        includeAll: false,
        options: values,
        selected: selected === '$__all' ? values.slice(0, 1) : selected,
      };
      continue;
    }
    const rows = await run(v.datasource.uid, v.query, ctx(RANGE));
    // Grafana takes the first column of a SQL answer, the `value` column of SHOW TAG VALUES
    const values = rows.map((r) => String(r['value'] ?? Object.values(r)[0]));
    options[v.name] = values;
    variables[v.name] = {
      multi: v.multi,
      includeAll: v.includeAll,
      ...(v.allValue === undefined ? {} : { allValue: v.allValue }),
      options: values,
      selected: choose(v.name, values),
    };
  }
  const panels: Record<string, Row[][]> = {};
  for (const panel of json.panels.filter((p) => p.type !== 'row')) {
    const answers: Row[][] = [];
    for (const target of panel.targets ?? []) {
      answers.push(
        await run(target.datasource.uid, target.query ?? target.rawSql!, ctx(panelRange(panel))),
      );
    }
    panels[panel.title] = answers;
  }
  return { options, panels };
}

const byKey = (rows: Row[], key: string, value: string) =>
  Object.fromEntries(rows.map((r) => [String(r[key]), r[value]]));

/**
 * The value of `fn` in a row: a function over a field regex ($resolution panels) names its column
 * `<fn>_<field matched>` (`mean_motor_current_ma`, `mean_mean_motor_current_ma` in the rollup).
 */
function col(row: Row, fn: string): unknown {
  const key = Object.keys(row).find((k) => k === fn || k.startsWith(`${fn}_`));
  if (key === undefined) throw new Error(`no ${fn} column in ${JSON.stringify(row)}`);
  return row[key];
}

/** Every query variable at All, $resolution at `resolution` (its option value). */
const atResolution =
  (resolution: string) =>
  (name: string): VariableSelection['selected'] =>
    name === 'resolution' ? [resolution] : '$__all';

// ---- the fixture ---------------------------------------------------------------------------

async function writeLines(lines: readonly string[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 5_000) {
    const response = await fetch(`${influxd.url}/write?db=${DB}&precision=ms`, {
      method: 'POST',
      body: lines.slice(i, i + 5_000).join('\n'),
    });
    if (response.status !== 204)
      throw new Error(`write: ${response.status} ${await response.text()}`);
  }
}

async function seedRegistry(): Promise<void> {
  for (const site of SITES) {
    await api.sql(
      `INSERT INTO site (id, name, zone, timezone, region, created_by, updated_by)
       VALUES ($1, $2, $3, 'UTC', 'north', 'fixture', 'fixture')`,
      [site.id, site.name, site.zone],
    );
  }
  for (const d of [...DEVICES, { id: 'bcn-9', site: 'st-luke', kind: 'beacon', model: 'BC-1' }]) {
    await api.sql(
      `INSERT INTO device (id, kind, model, serial, site_id, install_date, warranty_end,
         secret_sha256, created_by, updated_by)
       VALUES ($1, $2, $3, $1, $4, '2025-01-01', '2030-01-01', $5, 'fixture', 'fixture')`,
      [d.id, d.kind, d.model, d.site, 'a'.repeat(64)],
    );
  }
  // the rules engine's snapshot at the end of the day: every device heard is ok at its last
  // beat or sighting, rc-1 went missing after 18:00, gd-3 was never seen (no row)
  for (const d of DEVICES) {
    if (d.id === 'gd-3') continue;
    const missing = d.id === 'rc-1';
    await api.sql(
      `INSERT INTO device_health (device_id, last_seen_at, state, state_since, missed_beats, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        d.id,
        iso(missing ? RC1_LAST_MINUTE : 1439),
        missing ? 'missing' : 'ok',
        missing ? iso(RC1_LAST_MINUTE + 1.5) : iso(0),
        missing ? 3 : 0,
        iso(1440),
      ],
    );
  }
  await api.sql(
    `INSERT INTO device_health (device_id, last_seen_at, state, state_since, missed_beats, updated_at)
     VALUES ('bcn-9', $1, 'ok', $2, 0, $3)`,
    [iso(1439), iso(0), iso(1440)],
  );
  await seedHospitalStock(api, 'st-anne', 'DRV-DSP-01', 2);
  await api.sql(
    `INSERT INTO part (part_number, name, class, default_tier, created_by)
     VALUES ('MOTOR-DSP-24V', 'Dispenser motor 24 V', 'special', 'national', 'fixture')`,
  );
}

/** Moves the clock to `minute` of the day and posts through the API; fails loudly. */
async function post(
  minute: number,
  path: string,
  body: Record<string, unknown>,
): Promise<{ id: string; status: string }> {
  clock.set(at(minute));
  const res = await api.request<{ id: string; status: string }>('POST', path, {
    token: api.tokens.engineer,
    body,
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`${path} ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const open = (minute: number, body: Record<string, unknown>) =>
  post(minute, '/api/v1/tickets', { category: 'device-unusable', ...body });
const event = (minute: number, id: string, type: string, extra: Record<string, unknown> = {}) =>
  post(minute, `/api/v1/tickets/${id}/events`, { type, ...extra });

/** Tickets in every status, walked through the API on the day's clock. */
async function seedTickets(): Promise<Record<string, string>> {
  const status: Record<string, string> = {};
  // E: red, an engineer on site restores it: resolved
  const e = await open(7 * 60, {
    severity: 'red',
    title: 'Base station down',
    deviceId: 'bs-2',
    siteId: 'st-anne',
  });
  await event(7 * 60 + 5, e.id, 'acknowledge');
  await event(7 * 60 + 10, e.id, 'dispatch', { engineer: 'Li Wei' });
  await event(8 * 60, e.id, 'arrive');
  await event(8 * 60 + 20, e.id, 'diagnose');
  await event(8 * 60 + 30, e.id, 'restore', { mode: 'onsite' });
  status['E'] = (await event(9 * 60, e.id, 'resolve')).status;
  // B: yellow, restored remotely and closed
  const b = await open(9 * 60 + 2, {
    severity: 'yellow',
    title: 'Shoe dispenser jam',
    deviceId: 'sd-1',
    siteId: 'st-anne',
  });
  await event(9 * 60 + 10, b.id, 'acknowledge');
  await event(9 * 60 + 20, b.id, 'engage_remote');
  await event(9 * 60 + 40, b.id, 'restore', { mode: 'remote' });
  status['B'] = (await event(10 * 60, b.id, 'close')).status;
  // H: red at St Luke, acknowledged late (15 min), restored remotely, closed
  const h = await open(10 * 60, {
    severity: 'red',
    title: 'Gown dispenser down',
    deviceId: 'gd-9',
    siteId: 'st-luke',
  });
  await event(10 * 60 + 20, h.id, 'acknowledge');
  await event(10 * 60 + 25, h.id, 'engage_remote');
  await event(11 * 60, h.id, 'restore', { mode: 'remote' });
  status['H'] = (await event(11 * 60 + 30, h.id, 'close')).status;
  // C: green, acknowledged late, worked on remotely: in progress
  const c = await open(11 * 60 + 5, {
    severity: 'green',
    title: 'Cabinet door stuck',
    deviceId: 'cab-1',
    siteId: 'st-anne',
  });
  await event(11 * 60 + 30, c.id, 'acknowledge');
  status['C'] = (await event(11 * 60 + 40, c.id, 'engage_remote')).status;
  // F: green, on hold while the OR is in use
  const f = await open(12 * 60, {
    severity: 'green',
    title: 'Server fan noise',
    deviceId: 'srv-1',
    siteId: 'st-anne',
  });
  await event(12 * 60 + 10, f.id, 'acknowledge');
  status['F'] = (await event(12 * 60 + 15, f.id, 'hold', { reason: 'or_in_use' })).status;
  // G: yellow, opened by mistake: cancelled
  const g = await open(13 * 60, {
    severity: 'yellow',
    title: 'Switch alarm',
    deviceId: 'sw-1',
    siteId: 'st-anne',
  });
  status['G'] = (
    await event(13 * 60 + 5, g.id, 'cancel', { text: 'duplicate of a planned change' })
  ).status;
  // A: red, the health rules' motor-stall ticket on gd-1 (makes it faulty): acknowledged only
  const a = await open(14 * 60 + 1, {
    severity: 'red',
    title: 'Motor stall',
    deviceId: 'gd-1',
    source: 'health-rule',
    fingerprint: 'fault:gd-1:MOTOR_STALL',
  });
  status['A'] = (await event(14 * 60 + 5, a.id, 'acknowledge')).status;
  // I: yellow with parts: the driver board from the hospital store, the motor backordered
  const i = await open(15 * 60, {
    severity: 'yellow',
    title: 'Gown dispenser noisy',
    deviceId: 'gd-2',
    parts: [
      { partNumber: 'DRV-DSP-01', qty: 1 },
      { partNumber: 'MOTOR-DSP-24V', qty: 1 },
    ],
  });
  status['I'] = (await event(15 * 60 + 5, i.id, 'acknowledge')).status;
  // D: yellow, the health rules' missing ticket on rc-1 (does not make it faulty): new
  status['D'] = (
    await open(18 * 60 + 10, {
      severity: 'yellow',
      title: 'Recycler missing',
      deviceId: 'rc-1',
      source: 'health-rule',
      fingerprint: 'missing:rc-1',
    })
  ).status;
  // sw-1 is in maintenance from 20:00 into the night
  await post(19 * 60, '/api/v1/maintenance-windows', {
    deviceId: 'sw-1',
    startsAt: iso(20 * 60),
    endsAt: iso(26 * 60),
    reason: 'Firmware upgrade',
  });
  // J: yellow, site-level (no device): new
  status['J'] = (
    await open(20 * 60, { severity: 'yellow', title: 'Badge readers slow', siteId: 'st-anne' })
  ).status;
  // K: green, restored remotely in the evening, not closed yet: restored
  const k = await open(21 * 60, {
    severity: 'green',
    title: 'Beacon battery low',
    deviceId: 'bcn-2',
  });
  await event(21 * 60 + 10, k.id, 'acknowledge');
  await event(21 * 60 + 15, k.id, 'engage_remote');
  status['K'] = (await event(21 * 60 + 30, k.id, 'restore', { mode: 'remote' })).status;
  // the end of the day: the SLA scheduler records what breached meanwhile
  clock.set(RANGE.to);
  const scheduler = api.api.app.get(SlaSchedulerService);
  while ((await scheduler.runOnce()).processed > 0);
  return status;
}

async function grafanaRole(databaseUrl: string): Promise<Client> {
  const database = new URL(databaseUrl).pathname.slice(1);
  for (const statement of readOnlyRoleStatements(database, `'${GRAFANA_PASSWORD}'`)) {
    await api.sql(statement);
  }
  const url = new URL(databaseUrl);
  url.username = GRAFANA_ROLE;
  url.password = GRAFANA_PASSWORD;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

let ticketStatus: Record<string, string>;

beforeAll(async () => {
  influxd = await startTestInfluxd();
  // raw retention INF: the fixture day lies in the past
  await setupInfluxSchema(
    new InfluxHttp({ url: influxd.url }),
    { database: DB, rawRetention: 'INF' },
    {
      info: () => undefined,
      warn: () => undefined,
    },
  );
  await writeLines([...deviceLines(), ...selfMetricLines()]);
  // the 1-minute rollup of the day, by the continuous query's own SELECT INTO
  await influxQuery(
    influxd.url,
    rollupBackfillStatement(DB, RANGE.from, new Date(RANGE.to.getTime() + MINUTE)),
    DB,
  );
  api = await startTestApi({ clock });
  await seedRegistry();
  ticketStatus = await seedTickets();
  grafana = await grafanaRole(api.databaseUrl);
}, 240_000);

afterAll(async () => {
  await grafana?.end();
  await api?.close();
  await influxd?.cleanup();
});

describe('the fixture', () => {
  it('has tickets in every status', () => {
    expect(new Set(Object.values(ticketStatus))).toEqual(new Set(TICKET_STATUSES));
  });

  it('tables a later migration adds are readable by the role too', async () => {
    await api.sql('CREATE TABLE later_table (id int)');
    await api.sql('INSERT INTO later_table VALUES (7)');
    expect((await grafana.query('SELECT id FROM later_table')).rows).toEqual([{ id: 7 }]);
    await api.sql('DROP TABLE later_table');
  });

  it('the boards read PostgreSQL as a role that can only SELECT', async () => {
    const insert = `INSERT INTO site (id, name, zone, timezone, region, created_by, updated_by) VALUES ('xx', 'x', 'city', 'UTC', 'north', 'x', 'x')`;
    // every session read-only by default, and no statement longer than 30 s
    const settings = await grafana.query<{ ro: string; timeout: string }>(
      `SELECT current_setting('default_transaction_read_only') AS ro, current_setting('statement_timeout') AS timeout`,
    );
    expect(settings.rows).toEqual([{ ro: 'on', timeout: '30s' }]);
    await expect(grafana.query(`UPDATE ticket SET title = 'x'`)).rejects.toThrow(
      /read-only transaction/,
    );
    await expect(grafana.query(insert)).rejects.toThrow(/read-only transaction/);
    // and with a writable transaction, no privilege to write either
    await grafana.query('BEGIN READ WRITE');
    try {
      await expect(grafana.query(`UPDATE ticket SET title = 'x'`)).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await grafana.query('ROLLBACK');
    }
    await grafana.query('BEGIN READ WRITE');
    try {
      await expect(grafana.query(insert)).rejects.toThrow(/permission denied/);
    } finally {
      await grafana.query('ROLLBACK');
    }
  });

  it('the role reads the devices but not the token and device secret hashes', async () => {
    const devices = await grafana.query<{ id: string }>(
      `SELECT id, kind, site_id FROM device WHERE site_id = 'st-luke' ORDER BY id`,
    );
    expect(devices.rows.map((r) => r.id)).toEqual(
      [...DEVICES.filter((d) => d.site === 'st-luke').map((d) => d.id), 'bcn-9'].sort(),
    );
    for (const query of [
      'SELECT secret_sha256 FROM device',
      'SELECT * FROM device',
      'SELECT id FROM api_token',
      'SELECT count(*) FROM api_token',
      'SELECT device_id FROM device_credential',
    ]) {
      await expect(grafana.query(query)).rejects.toThrow(/permission denied/);
    }
  });
});

describe('Fleet health', () => {
  let all: BoardRun;
  beforeAll(async () => {
    all = await runBoard('orfleet-fleet-health');
  });

  it('variables list the registry', () => {
    expect(all.options['site']).toEqual(['st-anne', 'st-luke']);
    expect(all.options['kind']).toContain('beacon');
    expect(all.options['device']).toHaveLength(DEVICES.length + 1);
  });

  it('devices by state agree with the API site health, kind by kind', async () => {
    const rows = all.panels['Devices by state per site and kind']![0]!;
    for (const site of SITES) {
      const res = await api.request<{ byKind: Record<string, Record<string, number>> }>(
        'GET',
        `/api/v1/sites/${site.id}/health`,
      );
      expect(res.status).toBe(200);
      const fromBoard = Object.fromEntries(
        rows
          .filter((r) => r['site'] === site.id)
          .map((r) => [
            r['kind'],
            {
              ok: r['ok'],
              missing: r['missing'],
              unknown: r['unknown'],
              faulty: r['faulty'],
              maintenance: r['maintenance'],
            },
          ]),
      );
      expect(fromBoard).toEqual(res.body.byKind);
    }
    // and what the fixture implies
    const anne = rows.filter((r) => r['site'] === 'st-anne');
    expect(byKey(anne, 'kind', 'faulty')).toMatchObject({ gown_dispenser: 1 });
    expect(byKey(anne, 'kind', 'unknown')).toMatchObject({ gown_dispenser: 1 });
    expect(byKey(anne, 'kind', 'missing')).toMatchObject({ recycler: 1 });
    expect(byKey(anne, 'kind', 'maintenance')).toMatchObject({ network_switch: 1 });
    expect(byKey(anne, 'kind', 'total')).toMatchObject({
      gown_dispenser: 3,
      beacon: 3,
      base_station: 2,
    });
  });

  it('the longest heartbeat gap is gd-1 falling silent from 09:59 to 10:20', () => {
    const rows = all.panels['Longest heartbeat gap per device']![0]!;
    const longest = new Map<string, Row>();
    for (const r of rows) {
      const best = longest.get(String(r['device']));
      if (best === undefined || Number(col(r, 'max')) > Number(col(best, 'max')))
        longest.set(String(r['device']), r);
    }
    const gd1 = longest.get('gd-1')!;
    expect([gd1['time'], col(gd1, 'max')]).toEqual([iso(620).replace('.000Z', 'Z'), 1260]);
    for (const [device, r] of longest)
      if (device !== 'gd-1') expect([device, col(r, 'max')]).toEqual([device, 60]);
  });

  it('at 1m resolution the gap comes from the rollup, to the minute: the same answer', async () => {
    const rollup = await runBoard('orfleet-fleet-health', atResolution(ROLLUP_RP));
    const rows = rollup.panels['Longest heartbeat gap per device']![0]!;
    expect(Object.keys(rows[0]!)).toContain('max_gap_mean_beat');
    const longest: Record<string, number> = {};
    for (const r of rows) {
      const device = String(r['device']);
      longest[device] = Math.max(longest[device] ?? 0, Number(col(r, 'max')));
    }
    expect(longest['gd-1']).toBe(1260);
    for (const [device, gap] of Object.entries(longest))
      if (device !== 'gd-1') expect([device, gap]).toEqual([device, 60]);
  });

  it('devices not seen longest: never seen first, then rc-1 silent since 18:00', () => {
    const rows = all.panels['Devices not seen longest']![0]!;
    expect(rows.slice(0, 2).map((r) => [r['device'], r['state'], r['silent_s']])).toEqual([
      ['gd-3', null, null],
      ['rc-1', 'missing', 6 * 3600],
    ]);
    expect(rows[2]!['silent_s']).toBe(60);
  });

  it('BLE battery per tag, RSSI spread per base station, firmware per device', () => {
    const battery = byKey(
      all.panels['BLE tag battery, lowest first']![0]!,
      'device',
      'battery_pct',
    );
    expect(battery).toEqual(
      Object.fromEntries(
        Object.values(SIGHTINGS)
          .flat()
          .map((s) => [s.id, s.battery]),
      ),
    );
    const rssi = all.panels['RSSI per base station']![0]!.map(({ time: _t, ...r }) => r);
    expect(rssi).toEqual([
      { gateway: 'bs-1', sightings: 2 * 1440, p10_dbm: -70, median_dbm: -65, p90_dbm: -60 },
      { gateway: 'bs-2', sightings: 2 * 1440, p10_dbm: -90, median_dbm: -85, p90_dbm: -80 },
      { gateway: 'bs-9', sightings: 1440, p10_dbm: -65, median_dbm: -65, p90_dbm: -65 },
    ]);
    const fw = byKey(all.panels['Firmware in the field']![0]!, 'device', 'fw');
    expect(fw).toEqual(
      Object.fromEntries(
        DEVICES.filter((d) => d.fw !== undefined).map((d) => [
          d.id,
          d.id === 'gd-1' ? GD1_UPGRADE.fw : d.fw,
        ]),
      ),
    );
  });

  it('one site and two devices chosen: the filters narrow every panel', async () => {
    const some = await runBoard('orfleet-fleet-health', (name, options) =>
      name === 'site'
        ? ['st-anne']
        : name === 'device'
          ? options.filter((d) => d === 'gd-1' || d === 'rc-1')
          : '$__all',
    );
    expect(some.options['device']).not.toContain('gd-9');
    const states = some.panels['Devices by state per site and kind']![0]!;
    expect(states.map((r) => [r['site'], r['kind'], r['total']])).toEqual([
      ['st-anne', 'gown_dispenser', 1],
      ['st-anne', 'recycler', 1],
    ]);
    expect(
      new Set(some.panels['Longest heartbeat gap per device']![0]!.map((r) => r['device'])),
    ).toEqual(new Set(['gd-1', 'rc-1']));
    expect(some.panels['Firmware in the field']![0]!.map((r) => r['device']).sort()).toEqual([
      'gd-1',
      'rc-1',
    ]);
    expect(some.panels['BLE tag battery, lowest first']![0]!).toEqual([]);
  });
});

describe('Dispensers and cabinets', () => {
  let all: BoardRun;
  beforeAll(async () => {
    all = await runBoard('orfleet-dispensers');
  });

  it('variables list the dispensing devices that reported', () => {
    expect(all.options['site']).toEqual(['st-anne', 'st-luke']);
    expect(all.options['kind']).toEqual([
      'changing_cabinet',
      'gown_dispenser',
      'recycler',
      'shoe_dispenser',
    ]);
    expect(all.options['device']).toEqual(['cab-1', 'gd-1', 'gd-2', 'gd-9', 'rc-1', 'sd-1']);
  });

  it('motor state shows gd-1 stalled from 14:00 to 14:30, at 2400 mA', () => {
    const states = all.panels['Motor state']![0]!.filter(
      (r) => r['device'] === 'gd-1' && r['last'] === 'stalled',
    );
    expect(states.map((r) => r['time'])).toEqual(
      ['14:00', '14:05', '14:10', '14:15', '14:20', '14:25'].map((t) => `2026-03-02T${t}:00Z`),
    );
    const current = all.panels['Motor current']![0]!.filter(
      (r) => r['device'] === 'gd-1' && col(r, 'mean') !== null,
    );
    expect(current.filter((r) => col(r, 'mean') === 2400)).toHaveLength(3);
    expect(current.filter((r) => col(r, 'mean') === 850)).toHaveLength(141);
  });

  it('at 1m resolution current and stock come from the rollup, with the same answers', async () => {
    const rollup = await runBoard('orfleet-dispensers', atResolution(ROLLUP_RP));
    const current = rollup.panels['Motor current']![0]!.filter(
      (r) => r['device'] === 'gd-1' && col(r, 'mean') !== null,
    );
    expect(Object.keys(current[0]!)).toContain('mean_mean_motor_current_ma');
    expect(current.filter((r) => col(r, 'mean') === 2400)).toHaveLength(3);
    expect(current.filter((r) => col(r, 'mean') === 850)).toHaveLength(141);
    const stock = rollup.panels['Stock level']![0]!.filter(
      (r) => r['time'] === '2026-03-02T23:55:00Z',
    );
    expect(Object.keys(stock[0]!)).toContain('last_mean_stock_level');
    expect(Object.fromEntries(stock.map((r) => [r['device'], col(r, 'last')]))).toEqual({
      'cab-1': 60,
      'gd-1': 37,
      'gd-2': 150,
      'gd-9': 150,
      'sd-1': 14,
    });
    // the panels that do not follow $resolution answer as before
    expect(rollup.panels['Faults raised by code']).toEqual(all.panels['Faults raised by code']);
  });

  it('faults raised by code', () => {
    expect(byKey(all.panels['Faults raised by code']![0]!, 'code', 'raised')).toEqual({
      DOOR_STUCK: 1,
      JAM: 2,
      MOTOR_STALL: 1,
    });
  });

  it('cycles per interval add up to the day’s cycles', () => {
    const total: Record<string, number> = {};
    for (const r of all.panels['Cycles per interval']![0]!) {
      total[String(r['device'])] =
        (total[String(r['device'])] ?? 0) + Number(r['non_negative_difference']);
    }
    expect(total).toMatchObject({ 'gd-1': 143, 'sd-1': 286, 'gd-2': 0 });
  });

  it('empty soon: sd-1 first (14 left at 286 a day), then gd-1 (37 left at 143 a day); idle ones left out', () => {
    const rows = all.panels['Empty soon']![0]!;
    const hours = byKey(rows, 'device', 'hours_to_empty');
    expect(Object.keys(hours).sort()).toEqual(['gd-1', 'sd-1']);
    expect(hours['sd-1']).toBeCloseTo((14 / 286) * 24, 9);
    expect(hours['gd-1']).toBeCloseTo((37 / 143) * 24, 9);
    expect(
      Object.fromEntries(
        all.panels['Stock level']![0]!.filter((r) => r['time'] === '2026-03-02T23:55:00Z').map(
          (r) => [r['device'], col(r, 'last')],
        ),
      ),
    ).toEqual({
      'cab-1': 60,
      'gd-1': 37,
      'gd-2': 150,
      'gd-9': 150,
      'sd-1': 14,
    });
  });

  it('doors: gd-1 open in the 08:00 interval, cab-1 with one door open 07:00-07:25', () => {
    const [doors, cabinet] = all.panels['Doors open']!;
    // fill(previous) carries the open door into the next, empty interval
    expect(
      doors!.filter((r) => r['door_open'] === true).map((r) => [r['device'], r['time']]),
    ).toEqual([
      ['gd-1', '2026-03-02T08:00:00Z'],
      ['gd-1', '2026-03-02T08:05:00Z'],
    ]);
    expect(cabinet!.filter((r) => r['device'] === 'cab-1' && r['doors_open'] === 1)).toHaveLength(
      6,
    );
  });

  it('St Luke alone: only gd-9', async () => {
    const luke = await runBoard('orfleet-dispensers', (name) =>
      name === 'site' ? ['st-luke'] : '$__all',
    );
    expect(luke.options['device']).toEqual(['gd-9']);
    expect(luke.panels['Faults raised by code']![0]).toEqual([]);
    expect(new Set(luke.panels['Stock level']![0]!.map((r) => r['device']))).toEqual(
      new Set(['gd-9']),
    );
  });
});

describe('Tickets and SLA', () => {
  let all: BoardRun;
  let report: {
    compliance: {
      code: string;
      severity: string;
      met: number;
      breached: number;
      violated: number;
    }[];
    meanTimeToAcknowledgeMs: number;
    meanTimeToRestoreMs: number;
    remoteResolution: { restored: number; remote: number; rate: number }[];
  };
  beforeAll(async () => {
    all = await runBoard('orfleet-tickets-sla');
    const res = await api.request<typeof report>(
      'GET',
      `/api/v1/reports/sla?from=${RANGE.from.toISOString()}&to=${RANGE.to.toISOString()}`,
    );
    expect(res.status).toBe(200);
    report = res.body;
  });

  it('open tickets by severity', () => {
    expect(all.panels['Open tickets by severity']![0]).toEqual([
      { severity: 'red', open: 2 },
      { severity: 'yellow', open: 3 },
      { severity: 'green', open: 3 },
    ]);
  });

  it('open tickets, next due first, with the time left at the end of the range', () => {
    const rows = all.panels['Open tickets, next due first']![0]!;
    expect(rows).toHaveLength(8);
    expect(rows.map((r) => r['status']).sort()).toEqual([
      'acknowledged',
      'acknowledged',
      'in_progress',
      'new',
      'new',
      'on_hold',
      'resolved',
      'restored',
    ]);
    const dues = rows
      .filter((r) => r['next_due_at'] !== null)
      .map((r) => (r['next_due_at'] as Date).getTime());
    expect(dues).toEqual([...dues].sort((x, y) => x - y));
    for (const r of rows.filter((x) => x['next_due_at'] !== null)) {
      expect(r['due_in_min']).toBe(
        Math.round(((r['next_due_at'] as Date).getTime() - RANGE.to.getTime()) / MINUTE),
      );
    }
  });

  it('compliance agrees with the API SLA report milestone for milestone', () => {
    const board = all.panels['Compliance against the contract']![0]!.map((r) => [
      r['milestone'],
      r['severity'],
      r['met'],
      r['breached'],
      r['violated'],
    ]);
    const api = report.compliance
      .filter((r) => r.met + r.breached + r.violated > 0)
      .map((r) => [r.code, r.severity, r.met, r.breached, r.violated]);
    expect(board).toEqual(api);
    const respondRed = all.panels['Compliance against the contract']![0]!.find(
      (r) => r['milestone'] === 'RESPOND' && r['severity'] === 'red',
    );
    expect(respondRed).toMatchObject({ target: '30 min' });
    const resolveRed = all.panels['Compliance against the contract']![0]!.find(
      (r) => r['milestone'] === 'RESOLVE' && r['severity'] === 'red',
    );
    expect(resolveRed).toMatchObject({ target: '4 h' });
  });

  it('breaches this month by milestone', () => {
    const rows = all.panels['Breaches this month by milestone']![0]!;
    const breaches = Object.fromEntries(
      rows.map((r) => [`${String(r['milestone'])}/${String(r['severity'])}`, r['breaches']]),
    );
    // acknowledged late: C, H; never: D, J. Not engaged in time: A (red, 30 min), F (green, 4 h:
    // its hold does not pause RESPOND), I, D, J (yellow, 2 h). A not restored within 4 h; I's
    // hospital part not delivered within 15 min.
    expect(breaches).toEqual({
      'ACKNOWLEDGE/green': 1,
      'ACKNOWLEDGE/red': 1,
      'ACKNOWLEDGE/yellow': 2,
      'RESPOND/red': 1,
      'RESPOND/yellow': 3,
      'RESPOND/green': 1,
      'RESOLVE/red': 1,
      'PART_DELIVERY/yellow': 1,
    });
    const fromReport = report.compliance.reduce((n, r) => n + r.breached, 0);
    expect(rows.reduce((n, r) => n + Number(r['breaches']), 0)).toBe(fromReport);
  });

  it('MTTA and MTTR agree with the API SLA report', () => {
    const [day] = all.panels['MTTA and MTTR']![0]!;
    expect(Number(day!['time'])).toBe(DAY / 1000);
    expect(Number(day!['mtta_min'])).toBeCloseTo(report.meanTimeToAcknowledgeMs / MINUTE, 9);
    expect(Number(day!['mtta_min'])).toBeCloseTo(87 / 8, 9);
    expect(Number(day!['mttr_min'])).toBeCloseTo(report.meanTimeToRestoreMs / MINUTE, 9);
    expect(Number(day!['mttr_min'])).toBeCloseTo((90 + 38 + 60 + 30) / 4, 9);
  });

  it('remote resolution: B, H and K of B, E, H and K restored without a visit', () => {
    expect(all.panels['Remote resolution rate']![0]).toEqual([
      { restored: 4, remote: 3, rate: 0.75 },
    ]);
    expect(report.remoteResolution).toEqual([expect.objectContaining({ restored: 4, remote: 3 })]);
  });

  it('reservations by tier and backorders', () => {
    expect(
      all.panels['Reservations by tier and backorders']![0]!.map(({ next_eta: _e, ...r }) => r),
    ).toEqual([
      { tier: 'hospital', status: 'reserved', reservations: 1, parts: 1 },
      { tier: 'backorder', status: 'backordered', reservations: 1, parts: 1 },
    ]);
  });

  it('a device retired since keeps its tickets in the contract figures', async () => {
    // sd-1 (ticket B, restored remotely) is replaced and retired after the day
    await api.sql(`UPDATE device SET status = 'retired' WHERE id = 'sd-1'`);
    try {
      const later = await runBoard('orfleet-tickets-sla');
      expect(later.options['device']).toContain('sd-1');
      expect(later.panels['Remote resolution rate']![0]).toEqual([
        { restored: 4, remote: 3, rate: 0.75 },
      ]);
      expect(later.panels['Compliance against the contract']).toEqual(
        all.panels['Compliance against the contract'],
      );
      expect(later.panels['MTTA and MTTR']).toEqual(all.panels['MTTA and MTTR']);
    } finally {
      await api.sql(`UPDATE device SET status = 'active' WHERE id = 'sd-1'`);
    }
  });

  it('St Luke alone: nothing open, its one ticket restored remotely', async () => {
    const luke = await runBoard('orfleet-tickets-sla', (name) =>
      name === 'site' ? ['st-luke'] : '$__all',
    );
    expect(luke.panels['Open tickets by severity']![0]!.map((r) => r['open'])).toEqual([0, 0, 0]);
    expect(luke.panels['Remote resolution rate']![0]).toEqual([
      { restored: 1, remote: 1, rate: 1 },
    ]);
  });
});

describe('Platform', () => {
  let all: BoardRun;
  beforeAll(async () => {
    all = await runBoard('orfleet-platform');
  });

  it('variables list the scraped services and instances', () => {
    expect(all.options['service']).toEqual(['api', 'broker', 'ingest']);
    expect(all.options['instance']).toEqual(Object.values(INSTANCES).sort());
  });

  it('ingest rate is steady across the 12:00 restart (the counter reset is not a drop)', () => {
    const [points, messages] = all.panels['Ingest rate']!;
    const rates = points!.map((r) => Number(r['orfleet_ingest_points_written_total']));
    expect(rates.length).toBeGreaterThan(280);
    for (const r of rates) expect(r).toBeCloseTo(POINTS_PER_MINUTE / 60, 9);
    expect(messages!.every((r) => r['channel'] === 'heartbeat')).toBe(true);
  });

  it('ingest lag mean 0.25 s, spool backlog up to 950 records while InfluxDB was away', () => {
    const lag = all.panels['Ingest lag']![0]!.map((r) =>
      Number(r['orfleet_ingest_lag_seconds_mean']),
    );
    for (const l of lag) expect(l).toBeCloseTo(0.25, 9);
    const spool = all.panels['Spool']![0]!;
    expect(Math.max(...spool.map((r) => Number(r['orfleet_ingest_spool_records'])))).toBe(950);
    expect(
      Math.max(...spool.map((r) => Number(r['orfleet_ingest_spool_oldest_age_seconds']))),
    ).toBe(19 * 60);
  });

  it('invalid messages and refused connections by reason, restart included', () => {
    expect(byKey(all.panels['Invalid messages by reason']![0]!, 'reason', 'invalid')).toEqual({
      PAYLOAD_NOT_JSON: 22,
      TOPIC_INVALID: 10,
    });
    expect(byKey(all.panels['Connections refused by reason']![0]!, 'reason', 'refused')).toEqual({
      bad_password: 2,
      unknown_device: 1,
    });
    const clients = all.panels['Broker connections']![0]!.filter(
      (r) => r['time'] === '2026-03-02T23:55:00Z',
    );
    expect(byKey(clients, 'type', 'orfleet_broker_clients')).toEqual(BROKER_CLIENTS);
  });

  it('rules loop: 10 ms a pass, rc-1 detected 90 s after its last beat', () => {
    const [tick, detection] = all.panels['Rules loop latency']!;
    for (const r of tick!)
      expect(Number(r['orfleet_health_tick_seconds_mean'])).toBeCloseTo(0.01, 9);
    // one observation, in the 18:00 interval; InfluxQL answers 0 / 0 with 0 elsewhere
    const lags = detection!.map((r) => [r['time'], r['orfleet_health_detection_lag_seconds_mean']]);
    expect(lags.filter(([, lag]) => lag !== 0)).toEqual([
      ['2026-03-02T18:00:00Z', DETECTION.lagSeconds],
    ]);
    expect(lags.length).toBeGreaterThan(280);
  });

  it('devices tracked: rc-1 moves from ok to missing when detected', () => {
    const rows = all.panels['Devices tracked by state']![0]!;
    const at = (t: string) =>
      byKey(
        rows.filter((r) => r['time'] === `2026-03-02T${t}:00Z`),
        'state',
        'orfleet_health_devices_tracked',
      );
    expect(at('17:55')).toEqual(trackedAt(17 * 60 + 59));
    expect(at('23:55')).toEqual(trackedAt(1439));
    expect(trackedAt(1439)).toEqual({ ok: 15, pending: 0, missing: 1, unknown: 1 });
  });

  it('one service chosen: only its instance', async () => {
    const broker = await runBoard('orfleet-platform', (name) =>
      name === 'service' ? ['broker'] : '$__all',
    );
    expect(broker.options['instance']).toEqual([INSTANCES.broker]);
    expect(broker.panels['Ingest rate']![0]).toEqual([]);
  });
});
