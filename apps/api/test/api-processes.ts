import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * The compiled platform in real child processes (`node dist/apps/api/src/main.js`, the broker's
 * `main.js`), as `npm start` runs them: for tests that kill a process outright (SIGKILL, as a
 * power cut or the OOM killer would) and start another.
 */

const root = path.resolve(__dirname, '../../..');

/** The API's rule-loop owner says this once it runs the loop (health-rules.service.ts). */
export const LEADING = /health rules running: (\d+) devices tracked/;

let snapshot: string | undefined;

/**
 * Builds dist/ from the working tree once per test process and runs a private copy of it (under
 * tmp/, so packages still resolve from node_modules): another run rebuilding dist/ meanwhile
 * cannot pull files from under a process this test starts later.
 */
export function compiledPlatform(): string {
  if (snapshot !== undefined) return snapshot;
  const dir = path.join(root, 'tmp', `api-processes-${process.pid}`);
  for (let attempt = 1; ; attempt++) {
    const said = execFileSync(process.execPath, [path.join(root, 'tools/build.cjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    const compiled = Number(/compiled (\d+) files/.exec(said)?.[1] ?? NaN);
    rmSync(dir, { recursive: true, force: true });
    cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
    const copied = readdirSync(path.join(dir, 'dist'), { recursive: true }).filter((f) =>
      String(f).endsWith('.js'),
    ).length;
    if (copied === compiled) break;
    // another build emptied or refilled dist/ while we copied it: build again
    if (attempt === 3) throw new Error(`dist/: ${copied} files copied of ${compiled} compiled`);
  }
  snapshot = path.join(dir, 'dist');
  return snapshot;
}

/** Removes the private copy of dist/ (after every process started from it has exited). */
export function removeCompiledPlatform(): void {
  if (snapshot === undefined) return;
  rmSync(path.dirname(snapshot), { recursive: true, force: true });
  snapshot = undefined;
}

export interface NodeProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** What it printed so far (stdout and stderr, the last 1 MB). */
  output(): string;
  /** Whether it is still running. */
  alive(): boolean;
  /** SIGKILL and wait for the exit: no shutdown at all. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit (SIGKILL after 15 s). */
  stop(): Promise<void>;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function signal(child: ChildProcess, sig: NodeJS.Signals, graceMs?: number): Promise<void> {
  return new Promise((resolve) => {
    if (exited(child)) return resolve();
    const timer =
      graceMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(sig);
  });
}

/**
 * Spawns `node <main>` with exactly `env` (plus PATH) and resolves once its output matches
 * `ready`; fails with that output if it exits first or is not ready within `timeoutMs`.
 */
export async function spawnNode(
  name: string,
  main: string,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<{ process: NodeProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 1_048_576) output = output.slice(-524_288);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // a process that fails mid-test says why in the test output
  child.stderr?.on('data', (chunk: Buffer) =>
    process.stderr.write(`[${name} ${child.pid}] ${chunk.toString()}`),
  );
  const proc: NodeProcess = {
    name,
    pid: child.pid ?? 0,
    child,
    output: () => output,
    alive: () => !exited(child),
    kill: () => signal(child, 'SIGKILL'),
    stop: () => signal(child, 'SIGTERM', 15_000),
  };
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const poll = setInterval(() => {
      const m = ready.exec(output);
      if (m) {
        done();
        resolve(m);
      } else if (exited(child)) {
        done();
        reject(new Error(`${name}: exited (${child.exitCode}) before it was ready:\n${output}`));
      }
    }, 50);
    const timer = setTimeout(() => {
      done();
      child.kill('SIGKILL');
      reject(new Error(`${name}: not ready within ${timeoutMs} ms; output so far:\n${output}`));
    }, timeoutMs);
    const done = () => {
      clearInterval(poll);
      clearTimeout(timer);
    };
  });
  return { process: proc, match };
}

export interface ApiProcess extends NodeProcess {
  readonly url: string;
  /** When this process took the rule loop (epoch ms, from its log line); undefined: it has not. */
  ledAt(): number | undefined;
}

/** The time of the first pino JSON line of `output` that matches `pattern`. */
export function loggedAt(output: string, pattern: RegExp): number | undefined {
  for (const line of output.split('\n')) {
    if (!pattern.test(line)) continue;
    try {
      const { time } = JSON.parse(line) as { time?: unknown };
      if (typeof time === 'number') return time;
    } catch {
      // not a JSON line (start-up output): keep looking
    }
  }
  return undefined;
}

/** The compiled API on an ephemeral port, on `databaseUrl`, with the rules on unless `env` says. */
export async function startApiProcess(
  name: string,
  databaseUrl: string,
  env: Record<string, string>,
): Promise<ApiProcess> {
  const { process: proc, match } = await spawnNode(
    name,
    path.join(compiledPlatform(), 'apps/api/src/main.js'),
    {
      DATABASE_URL: databaseUrl,
      ORFLEET_API_PORT: '0',
      // info: the rule loop's "running" and "listening" lines are what the tests watch
      ORFLEET_LOG_LEVEL: 'info',
      ORFLEET_SCHEDULER_ENABLED: 'false',
      ORFLEET_HEALTH_ENABLED: 'true',
      ...env,
    },
    /listening on (http:\/\/[\d.]+:\d+)/,
  );
  return { ...proc, url: match[1] as string, ledAt: () => loggedAt(proc.output(), LEADING) };
}

/** The process's `orfleet_health_leader` gauge on its /metrics (1: it owns the rule loop). */
export async function leaderGauge(api: ApiProcess): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const match = /^orfleet_health_leader (\d+)$/m.exec(text);
  if (match === null) throw new Error(`${api.name}: no orfleet_health_leader on /metrics`);
  return Number(match[1]);
}

export interface BrokerProcess extends NodeProcess {
  readonly mqttPort: number;
}

/** The compiled broker on `databaseUrl` (device and service credentials), MQTT on `port` (0: any). */
export async function startBrokerProcess(
  databaseUrl: string,
  port = 0,
  env: Record<string, string> = {},
): Promise<BrokerProcess> {
  const { process: proc, match } = await spawnNode(
    'broker',
    path.join(compiledPlatform(), 'apps/broker/src/main.js'),
    {
      DATABASE_URL: databaseUrl,
      ORFLEET_BROKER_PORT: String(port),
      ORFLEET_BROKER_WS_PORT: 'off',
      ORFLEET_BROKER_OPS_PORT: '0',
      ORFLEET_LOG_LEVEL: 'warn',
      // the same devices reconnect again and again across restarts: no connect bans
      ORFLEET_BROKER_CONNECT_RATE_PER_CLIENT: '1000',
      ORFLEET_BROKER_CONNECT_BURST_PER_CLIENT: '1000',
      ORFLEET_BROKER_FLAP_MAX_CONNECTS: '1000',
      ...env,
    },
    /MQTT on [^:]+:(\d+)/,
  );
  return { ...proc, mqttPort: Number(match[1]) };
}
