import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../apps/broker/test/processes';
import { until } from '../../apps/api/test/until';

const root = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** Variables of the platform's own configuration: the suite sets its own, inherits none. */
const PLATFORM_ENV = /^(ORFLEET_|INFLUX_|MQTT_|INGEST_|DATABASE_URL$|REDIS_URL$)/;

export interface PlatformPorts {
  readonly api: number;
  readonly pg: number;
  readonly mqtt: number;
  readonly brokerOps: number;
  readonly influx: number;
  readonly ingestOps: number;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Processes started under the launcher (services, PostgreSQL, influxd) still alive after it. */
  readonly leftovers: readonly number[];
}

/**
 * orfleet as a user runs it: `node tools/start.cjs` (what `npm start` runs) in a child process,
 * on ephemeral ports and a temp data dir given through the documented environment variables
 * (docs/operations.md). Stopping it is Ctrl-C: SIGINT to the launcher.
 */
export class Platform {
  private child: ChildProcess | undefined;
  private exited: Promise<Exit> | undefined;
  private log = '';
  /** The launcher and the processes seen under it: pid to start time (/proc stat field 22). */
  private readonly recorded = new Map<number, string>();

  private constructor(
    readonly dir: string,
    readonly ports: PlatformPorts,
    readonly env: Readonly<Record<string, string>>,
  ) {}

  /** A platform not yet running: its ports and directories are chosen now and kept for restarts. */
  static async create(tuning: Readonly<Record<string, string>>): Promise<Platform> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-e2e-'));
    chmodSync(dir, 0o755); // the embedded PostgreSQL runs as the postgres user when we are root
    const ports: PlatformPorts = {
      api: await freePort(),
      pg: await freePort(),
      mqtt: await freePort(),
      brokerOps: await freePort(),
      influx: await freePort(),
      ingestOps: await freePort(),
    };
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] =>
          entry[1] !== undefined && !PLATFORM_ENV.test(entry[0]),
      ),
    );
    const env = {
      ...inherited,
      ORFLEET_API_PORT: String(ports.api),
      ORFLEET_PG_PORT: String(ports.pg),
      ORFLEET_PG_DATA_DIR: path.join(dir, 'pg'),
      ORFLEET_BROKER_PORT: String(ports.mqtt),
      ORFLEET_BROKER_WS_PORT: 'off',
      ORFLEET_BROKER_OPS_PORT: String(ports.brokerOps),
      ORFLEET_INGEST_TOKEN_FILE: path.join(dir, 'ingest.token'),
      ORFLEET_INFLUX_PORT: String(ports.influx),
      ORFLEET_INFLUX_DATA_DIR: path.join(dir, 'influx'),
      ORFLEET_INGEST_DATA_DIR: path.join(dir, 'ingest'),
      ORFLEET_INGEST_OPS_PORT: String(ports.ingestOps),
      ORFLEET_LOG_LEVEL: 'warn',
      ...tuning,
    };
    return new Platform(dir, ports, env);
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }
  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.ports.mqtt}`;
  }
  get influxUrl(): string {
    return `http://127.0.0.1:${this.ports.influx}`;
  }
  get influxDir(): string {
    return this.env['ORFLEET_INFLUX_DATA_DIR'] as string;
  }
  get running(): boolean {
    return this.child !== undefined;
  }
  /** Everything the launcher and its services printed, all starts together. */
  get output(): string {
    return this.log;
  }

  /** Starts the launcher and resolves once the API, the broker and the ingest are all ready. */
  async start(timeoutMs = 150_000): Promise<void> {
    if (this.child !== undefined) throw new Error('the platform is already running');
    const child = spawn(process.execPath, [path.join(root, 'tools/start.cjs')], {
      cwd: root,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const add = (chunk: Buffer) => {
      this.log += chunk.toString();
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.child = undefined;
        resolve({ code, signal, leftovers: [] });
      }),
    );
    const ready = async (url: string) => {
      try {
        return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status === 200;
      } catch {
        return false;
      }
    };
    try {
      await until(
        'the API, the broker and the ingest to answer /readyz',
        async () => {
          if (this.child !== child) throw new Error('the launcher exited before it was ready');
          // known while they run, so a failure here leaves no orphan behind dispose()
          this.record(child.pid);
          return (
            (await ready(`${this.apiUrl}/readyz`)) &&
            (await ready(`http://127.0.0.1:${this.ports.brokerOps}/readyz`)) &&
            (await ready(`http://127.0.0.1:${this.ports.ingestOps}/readyz`))
          );
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; launcher output:\n${this.tail()}`, {
        cause: error,
      });
    }
  }

  /**
   * Ctrl-C: SIGINT to the launcher, and its exit (bounded). A hang is reported after the launcher
   * and every process it started are killed and gone, so nothing outlives the failure.
   */
  async stop(timeoutMs = 90_000): Promise<Exit> {
    const child = this.child;
    const exited = this.exited;
    if (child === undefined || exited === undefined) throw new Error('the platform is not running');
    this.record(child.pid);
    const family = descendants(child.pid ?? 0);
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => resolve('hung'), timeoutMs);
    });
    const result = await Promise.race([exited, hung]);
    clearTimeout(timer);
    if (result === 'hung') {
      this.record(child.pid);
      await this.killRecorded();
      throw new Error(`the launcher ignored SIGINT for ${timeoutMs} ms:\n${this.tail()}`);
    }
    return { ...result, leftovers: family.filter(alive) };
  }

  /** `npm run token -- --role <role> --name <name>` against this platform: the token it prints. */
  async token(role: string, name: string): Promise<string> {
    const { stdout } = await run(
      process.execPath,
      [path.join(root, 'dist/apps/api/src/auth/token.cli.js'), '--role', role, '--name', name],
      { cwd: root, env: this.env },
    );
    const token = stdout.trim().split('\n').at(-1) ?? '';
    if (!/^orf_/.test(token)) throw new Error(`npm run token printed no token:\n${stdout}`);
    return token;
  }

  /** The last lines the platform printed, for failure messages. */
  tail(lines = 60): string {
    return this.log.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /**
   * After a failed test: stops whatever still runs (SIGTERM to the launcher, which stops its
   * services; after 30 s SIGKILL to it), then SIGKILLs every process ever seen under it that
   * still runs (a stop that hung, services the launcher left behind) and waits until they are
   * gone, and only then removes the data.
   */
  async dispose(): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined) {
      this.record(child.pid);
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        this.exited?.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 30_000))),
      ]);
      clearTimeout(timer);
      if (late) this.record(child.pid);
    }
    await this.killRecorded();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Adds the launcher and every process now under it to the tree `killRecorded` ends. */
  private record(pid: number | undefined): void {
    if (pid === undefined) return;
    for (const p of [pid, ...descendants(pid)]) {
      const started = startTime(p);
      if (started !== undefined) this.recorded.set(p, started);
    }
  }

  /**
   * SIGKILL to every recorded process still running (the same process: its pid and start time
   * match, so a reused pid is never touched), then waits for the launcher's exit and for each of
   * them to be gone.
   */
  private async killRecorded(): Promise<void> {
    const same = (pid: number) => alive(pid) && startTime(pid) === this.recorded.get(pid);
    const running = [...this.recorded.keys()].filter(same);
    for (const pid of running) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await this.exited;
    await until(
      `processes ${running.join(', ')} to be gone after SIGKILL`,
      () => running.every((pid) => !same(pid)),
      30_000,
    );
    this.recorded.clear();
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** When the process started (clock ticks since boot), to tell it from a later one on its pid. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after "(comm)": state is field 3, starttime field 22
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Every process below `pid` (Linux /proc), deepest last. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: pid (comm) state ppid …; comm may hold spaces and parentheses
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const kid of parents.get(parent) ?? []) {
      found.push(kid);
      walk(kid);
    }
  };
  walk(pid);
  return found;
}
