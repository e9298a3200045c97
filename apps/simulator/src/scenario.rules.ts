import { PART_CATALOG, isValidId } from '@orfleet/devices';
import { STORE_TIERS, ZONES } from '@orfleet/sla';
import type { StoreTier, Zone } from '@orfleet/sla';
import { parse as parseYaml } from 'yaml';

/**
 * A scenario file describes a hospital fleet to simulate: its sites, how each is equipped (OR
 * suites, positioning areas, IT), its spare-parts stores, and faults to inject at set times.
 * YAML or JSON; every problem is reported at once with its path (`sites[0].suites: …`).
 */

/** Devices installed per OR suite (the suite's changing area and entrances). */
export const SUITE_KINDS = [
  'gown_dispenser',
  'shoe_dispenser',
  'recycler',
  'changing_cabinet',
  'access_gate',
] as const;
export type SuiteKind = (typeof SUITE_KINDS)[number];

export interface ScheduleSpec {
  /** First case of the day starts, local time `HH:MM`. */
  readonly start: string;
  /** No case starts after this, local time `HH:MM`. */
  readonly end: string;
  readonly caseMinutes: number;
  readonly turnoverMinutes: number;
}

export interface SiteSpec {
  readonly id: string;
  readonly name: string;
  readonly zone: Zone;
  readonly timezone: string;
  readonly region: string;
  readonly suites: number;
  readonly roomsPerSuite: number;
  readonly perSuite: Readonly<Record<SuiteKind, number>>;
  readonly areas: number;
  readonly baseStationsPerArea: number;
  readonly beaconsPerStation: number;
  readonly wristbandsPerStation: number;
  readonly servers: number;
  readonly switches: number;
  readonly pdas: number;
  readonly schedule: ScheduleSpec;
}

export interface StoreSpec {
  readonly id: string;
  readonly name: string;
  readonly tier: StoreTier;
  readonly siteId?: string;
  readonly region?: string;
  /** Part number → quantity the store should hold at least (topped up, never reduced). */
  readonly stock: Readonly<Record<string, number>>;
}

export interface ScriptedFault {
  readonly atMs: number;
  /** The same command a person types on the simulator's stdin, e.g. `motor-stall st-anne-gd-s1-1`. */
  readonly command: string;
}

export interface Scenario {
  readonly name: string;
  readonly seed: number;
  /** Install date given to every device registered (`YYYY-MM-DD`). */
  readonly installDate: string;
  readonly sites: readonly SiteSpec[];
  readonly stores: readonly StoreSpec[];
  readonly faults: readonly ScriptedFault[];
}

export type ScenarioResult =
  | { readonly ok: true; readonly scenario: Scenario }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Names a scripted fault may use in `inject:`, and the stdin command each becomes. */
export const INJECT_NAMES = {
  kill: 'kill',
  kill_station: 'kill-station',
  site_down: 'site-down',
  motor_stall: 'motor-stall',
  low_battery: 'low-battery',
  flap: 'flap',
  skew: 'skew',
  garbage: 'garbage',
  revive: 'revive',
} as const;

/** Longest site id: device ids are `{site}-{code}-…` and must stay within 63 characters. */
export const MAX_SITE_ID_LENGTH = 40;

/**
 * Longest delay the simulator can wait for (Node's timers: a longer one fires at once): about
 * 596 h, 24.8 days. Durations, end times and fault times beyond it are refused.
 */
export const MAX_DELAY_MS = 2_147_483_647;
export const MAX_DELAY_TEXT = '596h (about 24 days)';

const DURATION = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** `90s`, `1m`, `1m30s`, `2h`, `500ms`, or a bare number of seconds → milliseconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number')
    return Number.isFinite(text) && text >= 0 ? text * 1_000 : undefined;
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1_000;
  const m = DURATION.exec(trimmed);
  if (m === null || trimmed === '') return undefined;
  const [, h = '0', min = '0', s = '0', ms = '0'] = m;
  return ((Number(h) * 60 + Number(min)) * 60 + Number(s)) * 1_000 + Number(ms);
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM` → minutes after midnight. */
export function minutesOfDay(text: string): number | undefined {
  const m = HHMM.exec(text);
  return m === null ? undefined : Number(m[1]) * 60 + Number(m[2]);
}

/** Reads a scenario file's text: `.json` as JSON, anything else as YAML (a superset of JSON). */
export function parseScenarioText(text: string, fileName: string): ScenarioResult {
  let value: unknown;
  try {
    value = fileName.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      ok: false,
      errors: [
        `${fileName}: not valid ${fileName.endsWith('.json') ? 'JSON' : 'YAML'}: ${message}`,
      ],
    };
  }
  return validateScenario(value);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

class Checker {
  readonly errors: string[] = [];

  fail(path: string, message: string): void {
    this.errors.push(`${path}: ${message}`);
  }

  /** Refuses keys the schema does not define: a typo must not be silently ignored. */
  keys(path: string, value: Obj, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.fail(`${path}.${key}`, `unknown field (expected one of ${allowed.join(', ')})`);
      }
    }
  }

  int(path: string, v: unknown, min: number, max: number, fallback?: number): number {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(path, `expected an integer ${min}..${max}, got ${show(v)}`);
      return fallback ?? min;
    }
    return v;
  }

  str(path: string, v: unknown, fallback?: string): string {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || v.trim() === '' || v.length > 200) {
      this.fail(path, `expected a non-empty string (at most 200 characters), got ${show(v)}`);
      return fallback ?? '';
    }
    return v;
  }

  id(path: string, v: unknown, maxLength = 63): string {
    if (typeof v !== 'string' || !isValidId(v) || v.length > maxLength) {
      this.fail(
        path,
        `expected a lowercase id [a-z0-9][a-z0-9-] of 2..${maxLength} characters, got ${show(v)}`,
      );
      return '';
    }
    return v;
  }

  oneOf<T extends string>(path: string, v: unknown, values: readonly T[], fallback?: T): T {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.fail(path, `expected one of ${values.join(', ')}, got ${show(v)}`);
      return fallback ?? (values[0] as T);
    }
    return v as T;
  }

  obj(path: string, v: unknown): Obj | undefined {
    if (v === undefined) return undefined;
    if (!isObj(v)) {
      this.fail(path, `expected an object, got ${show(v)}`);
      return undefined;
    }
    return v;
  }

  list(path: string, v: unknown, required: boolean): unknown[] {
    if (v === undefined && !required) return [];
    if (!Array.isArray(v)) {
      this.fail(path, `expected a list, got ${show(v)}`);
      return [];
    }
    return v;
  }
}

const SITE_KEYS = [
  'id',
  'name',
  'zone',
  'timezone',
  'region',
  'suites',
  'roomsPerSuite',
  'perSuite',
  'areas',
  'baseStationsPerArea',
  'beaconsPerStation',
  'wristbandsPerStation',
  'servers',
  'switches',
  'pdas',
  'schedule',
] as const;

const DEFAULT_PER_SUITE: Readonly<Record<SuiteKind, number>> = {
  gown_dispenser: 2,
  shoe_dispenser: 2,
  recycler: 1,
  changing_cabinet: 2,
  access_gate: 2,
};

const DEFAULT_SCHEDULE: ScheduleSpec = {
  start: '07:30',
  end: '18:00',
  caseMinutes: 90,
  turnoverMinutes: 30,
};

function validTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function checkSchedule(c: Checker, path: string, v: unknown): ScheduleSpec {
  const o = c.obj(path, v);
  if (o === undefined) return DEFAULT_SCHEDULE;
  c.keys(path, o, ['start', 'end', 'caseMinutes', 'turnoverMinutes']);
  const start = c.str(`${path}.start`, o['start'], DEFAULT_SCHEDULE.start);
  const end = c.str(`${path}.end`, o['end'], DEFAULT_SCHEDULE.end);
  const startMin = minutesOfDay(start);
  const endMin = minutesOfDay(end);
  if (startMin === undefined) c.fail(`${path}.start`, `expected HH:MM, got ${show(start)}`);
  if (endMin === undefined) c.fail(`${path}.end`, `expected HH:MM, got ${show(end)}`);
  if (startMin !== undefined && endMin !== undefined && endMin <= startMin) {
    c.fail(`${path}.end`, `must be after start (${start})`);
  }
  return {
    start,
    end,
    caseMinutes: c.int(
      `${path}.caseMinutes`,
      o['caseMinutes'],
      10,
      1_440,
      DEFAULT_SCHEDULE.caseMinutes,
    ),
    turnoverMinutes: c.int(
      `${path}.turnoverMinutes`,
      o['turnoverMinutes'],
      0,
      1_440,
      DEFAULT_SCHEDULE.turnoverMinutes,
    ),
  };
}

function checkSite(c: Checker, path: string, v: unknown): SiteSpec | undefined {
  const o = c.obj(path, v);
  if (o === undefined) {
    c.fail(path, 'expected a site object');
    return undefined;
  }
  c.keys(path, o, SITE_KEYS);
  const id = c.id(`${path}.id`, o['id'], MAX_SITE_ID_LENGTH);
  const timezone = c.str(`${path}.timezone`, o['timezone'], 'UTC');
  if (!validTimezone(timezone))
    c.fail(`${path}.timezone`, `unknown IANA time zone ${show(timezone)}`);
  const perSuiteRaw = c.obj(`${path}.perSuite`, o['perSuite']);
  const perSuite = { ...DEFAULT_PER_SUITE };
  if (perSuiteRaw !== undefined) {
    c.keys(`${path}.perSuite`, perSuiteRaw, SUITE_KINDS);
    for (const kind of SUITE_KINDS) {
      perSuite[kind] = c.int(`${path}.perSuite.${kind}`, perSuiteRaw[kind], 0, 50, 0);
    }
  }
  const count = (key: string, max: number, fallback: number): number =>
    c.int(`${path}.${key}`, o[key], 0, max, fallback);
  return {
    id,
    name: c.str(`${path}.name`, o['name'], id),
    zone: c.oneOf(`${path}.zone`, o['zone'], ZONES),
    timezone,
    region: c.id(`${path}.region`, o['region'] ?? 'east'),
    suites: count('suites', 99, 0),
    roomsPerSuite: c.int(`${path}.roomsPerSuite`, o['roomsPerSuite'], 1, 50, 4),
    perSuite,
    areas: count('areas', 999, 0),
    baseStationsPerArea: count('baseStationsPerArea', 9, 1),
    beaconsPerStation: count('beaconsPerStation', 500, 0),
    wristbandsPerStation: count('wristbandsPerStation', 500, 0),
    servers: count('servers', 999, 0),
    switches: count('switches', 999, 0),
    pdas: count('pdas', 9_999, 0),
    schedule: checkSchedule(c, `${path}.schedule`, o['schedule']),
  };
}

function checkStore(c: Checker, path: string, v: unknown): StoreSpec | undefined {
  const o = c.obj(path, v);
  if (o === undefined) {
    c.fail(path, 'expected a store object');
    return undefined;
  }
  c.keys(path, o, ['id', 'name', 'tier', 'siteId', 'region', 'stock']);
  const id = c.id(`${path}.id`, o['id']);
  const tier = c.oneOf(`${path}.tier`, o['tier'], STORE_TIERS);
  const stockRaw = c.obj(`${path}.stock`, o['stock']) ?? {};
  const stock: Record<string, number> = {};
  for (const [part, qty] of Object.entries(stockRaw)) {
    if (!Object.prototype.hasOwnProperty.call(PART_CATALOG, part)) {
      c.fail(`${path}.stock.${part}`, 'not a part number of the device catalog');
    }
    stock[part] = c.int(`${path}.stock.${part}`, qty, 0, 100_000);
  }
  const store: StoreSpec = { id, name: c.str(`${path}.name`, o['name'], id), tier, stock };
  if (tier === 'hospital') {
    return { ...store, siteId: c.id(`${path}.siteId`, o['siteId']) };
  }
  if (tier === 'regional') return { ...store, region: c.id(`${path}.region`, o['region']) };
  return store;
}

function checkFault(c: Checker, path: string, v: unknown): ScriptedFault | undefined {
  const o = c.obj(path, v);
  if (o === undefined) {
    c.fail(path, 'expected a fault object');
    return undefined;
  }
  c.keys(path, o, ['at', 'inject', 'device', 'station', 'site', 'seconds']);
  const atRaw = o['at'];
  const atMs =
    typeof atRaw === 'string' || typeof atRaw === 'number' ? parseDuration(atRaw) : undefined;
  if (atMs === undefined)
    c.fail(`${path}.at`, `expected a duration like 90s, 1m or 1m30s, got ${show(atRaw)}`);
  else if (atMs > MAX_DELAY_MS)
    c.fail(`${path}.at`, `at most ${MAX_DELAY_TEXT}, got ${show(atRaw)}`);
  const names = Object.keys(INJECT_NAMES) as (keyof typeof INJECT_NAMES)[];
  const inject = c.oneOf(`${path}.inject`, o['inject'], names);
  const targetKey =
    inject === 'kill_station' ? 'station' : inject === 'site_down' ? 'site' : 'device';
  const target = o[targetKey] ?? (inject === 'revive' ? (o['station'] ?? o['site']) : undefined);
  if (typeof target !== 'string' || target === '') {
    c.fail(`${path}.${targetKey}`, `${inject} needs a ${targetKey} id`);
    return undefined;
  }
  let command = `${INJECT_NAMES[inject]} ${target}`;
  if (inject === 'skew') {
    const seconds = o['seconds'];
    if (typeof seconds !== 'number' || !Number.isInteger(seconds)) {
      c.fail(
        `${path}.seconds`,
        `skew needs whole seconds (negative: behind), got ${show(seconds)}`,
      );
    }
    command += ` ${String(seconds)}`;
  }
  return { atMs: atMs ?? 0, command };
}

/** Validates a parsed scenario: every error at once, with its path. */
export function validateScenario(value: unknown): ScenarioResult {
  const c = new Checker();
  if (!isObj(value))
    return { ok: false, errors: ['scenario: expected an object at the top level'] };
  c.keys('scenario', value, ['name', 'seed', 'installDate', 'sites', 'stores', 'faults']);
  const installDate = c.str('installDate', value['installDate'], '2026-01-05');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(installDate))
    c.fail('installDate', `expected YYYY-MM-DD, got ${show(installDate)}`);
  const sitesRaw = c.list('sites', value['sites'], true);
  if (Array.isArray(value['sites']) && sitesRaw.length === 0) c.fail('sites', 'at least one site');
  const sites = sitesRaw
    .map((s, i) => checkSite(c, `sites[${i}]`, s))
    .filter((s): s is SiteSpec => s !== undefined);
  const siteIds = new Set<string>();
  sites.forEach((s, i) => {
    if (siteIds.has(s.id)) c.fail(`sites[${i}].id`, `site ${s.id} appears twice`);
    siteIds.add(s.id);
  });
  const stores = c
    .list('stores', value['stores'], false)
    .map((s, i) => checkStore(c, `stores[${i}]`, s))
    .filter((s): s is StoreSpec => s !== undefined);
  stores.forEach((s, i) => {
    if (s.siteId !== undefined && s.siteId !== '' && !siteIds.has(s.siteId)) {
      c.fail(`stores[${i}].siteId`, `site ${s.siteId} is not in this scenario`);
    }
  });
  const faults = c
    .list('faults', value['faults'], false)
    .map((f, i) => checkFault(c, `faults[${i}]`, f))
    .filter((f): f is ScriptedFault => f !== undefined)
    .sort((a, b) => a.atMs - b.atMs);
  const scenario: Scenario = {
    name: c.str('name', value['name'], 'scenario'),
    seed: c.int('seed', value['seed'], 0, 4_294_967_295, 1),
    installDate,
    sites,
    stores,
    faults,
  };
  return c.errors.length > 0 ? { ok: false, errors: c.errors } : { ok: true, scenario };
}
