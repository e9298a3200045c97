import { MAX_DELAY_MS, MAX_DELAY_TEXT, parseDuration } from './scenario.rules';

/**
 * The simulator's command line (and the few environment variables it falls back to), read once
 * and validated: a bad value stops the start with the list of everything wrong.
 */
export interface SimulatorConfig {
  readonly scenarioFile: string;
  readonly apiUrl: string;
  /** Admin API token; undefined: read from `tokenFile`. */
  readonly token: string | undefined;
  readonly tokenFile: string;
  readonly mqttUrl: string;
  /** Where device secrets are kept between runs. */
  readonly dataDir: string;
  /** Stop by itself after this long (ms), or at this instant (ms since epoch). */
  readonly durationMs: number | undefined;
  readonly untilMs: number | undefined;
  /** Extra scripted faults: `{atMs, command}` (e.g. `--fault "1m motor-stall gd-1"`). */
  readonly faults: readonly { readonly atMs: number; readonly command: string }[];
  readonly progressMs: number;
  /** New MQTT sessions per second (the broker limits connects per address: 100/s). */
  readonly connectPerS: number;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: SimulatorConfig }
  | { readonly ok: false; readonly errors: readonly string[]; readonly help?: true };

export const USAGE = `usage: npm run simulate -- --scenario <file> [options]

  --scenario <file>       scenario (YAML or JSON), e.g. apps/simulator/scenarios/demo-hospital.yaml
  --api-url <url>         orfleet API (default $ORFLEET_API_URL or http://127.0.0.1:3000)
  --token <token>         admin API token (default $ORFLEET_API_TOKEN, else --token-file)
  --token-file <file>     file holding the token (default ./data/admin.token, made by npm run demo)
  --mqtt-url <url>        broker (default $MQTT_URL or mqtt://127.0.0.1:1883)
  --data-dir <dir>        where device secrets are kept (default ./data/simulator)
  --duration <time>       stop after this long: 90s, 10m, 1h30m
  --until <time>          stop at this time: HH:MM (local) or an ISO date-time
  --fault "<at> <cmd>"    inject a fault at a time, e.g. --fault "1m motor-stall st-anne-gd-s1-1"
  --progress <time>       progress line period (default 5s)
  --connect-rate <n>      new device sessions per second (default 50)

While it runs, type a command and Enter: help lists them.`;

const VALUE_OPTIONS = [
  '--scenario',
  '--api-url',
  '--token',
  '--token-file',
  '--mqtt-url',
  '--data-dir',
  '--duration',
  '--until',
  '--fault',
  '--progress',
  '--connect-rate',
] as const;

/** `HH:MM` (the next such local time) or an ISO date-time → ms since epoch. */
export function parseUntil(text: string, now: Date): number | undefined {
  const hhmm = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (hhmm !== null) {
    const at = new Date(now);
    at.setHours(Number(hhmm[1]), Number(hhmm[2]), 0, 0);
    if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1);
    return at.getTime();
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

export function parseCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  now: Date,
): ConfigResult {
  const errors: string[] = [];
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { ok: false, errors: [], help: true };
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (!(VALUE_OPTIONS as readonly string[]).includes(name)) {
      errors.push(`${arg}: unknown option`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      errors.push(`${name}: needs a value`);
      if (value !== undefined) i--;
      continue;
    }
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const one = (name: string): string | undefined => {
    const list = values.get(name);
    if (list !== undefined && list.length > 1 && name !== '--fault')
      errors.push(`${name}: given twice`);
    return list?.[0];
  };
  const scenarioFile = one('--scenario');
  if (scenarioFile === undefined)
    errors.push('--scenario: required (a YAML or JSON scenario file)');
  const duration = one('--duration');
  const durationMs = duration === undefined ? undefined : parseDuration(duration);
  if (duration !== undefined && (durationMs === undefined || durationMs <= 0)) {
    errors.push(`--duration: "${duration}" is not a duration like 90s, 10m or 1h30m`);
  } else if (durationMs !== undefined && durationMs > MAX_DELAY_MS) {
    errors.push(`--duration: "${duration}" is longer than ${MAX_DELAY_TEXT}`);
  }
  const until = one('--until');
  const untilMs = until === undefined ? undefined : parseUntil(until, now);
  if (until !== undefined && untilMs === undefined) {
    errors.push(`--until: "${until}" is neither HH:MM nor an ISO date-time`);
  } else if (untilMs !== undefined && untilMs <= now.getTime()) {
    errors.push(`--until: ${until} is in the past`);
  } else if (untilMs !== undefined && untilMs - now.getTime() > MAX_DELAY_MS) {
    errors.push(`--until: ${until} is more than ${MAX_DELAY_TEXT} ahead`);
  }
  const faults = (values.get('--fault') ?? []).flatMap((spec) => {
    const [at = '', ...rest] = spec.trim().split(/\s+/);
    const atMs = parseDuration(at);
    if (atMs === undefined || rest.length === 0) {
      errors.push(`--fault: "${spec}" is not "<at> <command>", e.g. "1m motor-stall gd-1"`);
      return [];
    }
    if (atMs > MAX_DELAY_MS) {
      errors.push(`--fault: "${spec}" is later than ${MAX_DELAY_TEXT}`);
      return [];
    }
    return [{ atMs, command: rest.join(' ') }];
  });
  const progress = one('--progress') ?? '5s';
  const progressMs = parseDuration(progress);
  if (progressMs === undefined || progressMs < 500) {
    errors.push(`--progress: "${progress}" is not a duration of at least 500ms`);
  }
  const rate = one('--connect-rate') ?? '50';
  const connectPerS = Number(rate);
  if (!Number.isInteger(connectPerS) || connectPerS < 1 || connectPerS > 1_000) {
    errors.push(`--connect-rate: expected 1..1000 sessions per second, got "${rate}"`);
  }
  const urlOption = (name: string, fallback: string, protocols: readonly string[]): string => {
    const value = one(name) ?? fallback;
    try {
      const url = new URL(value);
      if (!protocols.includes(url.protocol)) throw new Error('protocol');
    } catch {
      errors.push(
        `${name}: "${value}" is not a ${protocols.map((p) => `${p}//`).join(' or ')} URL`,
      );
    }
    return value.replace(/\/+$/, '');
  };
  const apiUrl = urlOption('--api-url', env['ORFLEET_API_URL'] || 'http://127.0.0.1:3000', [
    'http:',
    'https:',
  ]);
  const mqttUrl = urlOption('--mqtt-url', env['MQTT_URL'] || 'mqtt://127.0.0.1:1883', [
    'mqtt:',
    'mqtts:',
    'tcp:',
  ]);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      scenarioFile: scenarioFile as string,
      apiUrl,
      token: one('--token') ?? (env['ORFLEET_API_TOKEN'] || undefined),
      tokenFile: one('--token-file') ?? './data/admin.token',
      mqttUrl,
      dataDir: one('--data-dir') ?? './data/simulator',
      durationMs,
      untilMs,
      faults,
      progressMs: progressMs as number,
      connectPerS,
    },
  };
}
