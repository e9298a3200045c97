// Process helpers of the benches: ephemeral ports, CPU time and memory of a process and
// its children from /proc (proc(5)), the machine's busy time, services spawned and awaited.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';

/** The machine a result was measured on, as every bench's JSON records it under `machine`. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
  /** When the run ended (ISO 8601, UTC). */
  readonly at: string;
}

export function machineInfo(at: Date): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    kernel: os.release(),
    at: at.toISOString(),
  };
}

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Fields of /proc/<pid>/stat after "(comm)": [0] is state (field 3), [1] ppid (field 4). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time (user + system, fields 14 and 15) of a live process so far, in ms; 0 once gone. */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  return f === undefined ? 0 : ((Number(f[11]) + Number(f[12])) * 1_000) / CLK_TCK;
}

/** The live children of a process. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(statFields(Number(entry))?.[1]) === pid)
    .map(Number);
}

/**
 * CPU of a process and its children (PostgreSQL: the postmaster and its backends), ms. A child
 * that exits between readings (a pooled connection closed when idle) keeps its last reading, so
 * the total never goes back.
 */
export class TreeCpu {
  private readonly seen = new Map<number, number>();

  constructor(private readonly root: number) {}

  totalMs(): number {
    for (const pid of [this.root, ...childrenOf(this.root)]) {
      const ms = cpuMs(pid);
      if (ms > 0) this.seen.set(pid, ms);
    }
    let total = 0;
    for (const ms of this.seen.values()) total += ms;
    return total;
  }
}

/** CPU time the whole machine spent busy so far (every core, every process), in ms. */
export function machineBusyMs(): number {
  // "cpu  user nice system idle iowait irq softirq steal ..." (proc(5))
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .slice(0, 200)
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>((s, x) => s + (x ?? 0), 0);
  return (busy * 1_000) / CLK_TCK;
}

/** Resident memory now (VmRSS) and its high-water mark (VmHWM), in KiB. */
export function memoryKb(pid: number): { rssKb: number; hwmKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1]);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

export interface Service {
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last 64 kB it printed (stdout and stderr). */
  output(): string;
  /** Lines printed so far that match (counted as they come, never trimmed). */
  count(pattern: RegExp): number;
  /** SIGTERM, then wait for the exit (SIGKILL after timeoutMs). */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Spawns a process and resolves once `ready(output)` is true; fails with its output if it exits
 * first or is not ready within timeoutMs. `watch` patterns are counted on every line it prints.
 */
export function spawnService(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: (output: string) => Promise<boolean> | boolean,
  options: { timeoutMs?: number; watch?: readonly RegExp[]; stdin?: boolean } = {},
): Promise<Service> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(command, args, {
    env,
    stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const counts = new Map<RegExp, number>((options.watch ?? []).map((p) => [p, 0]));
  let partial = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-65_536);
    if (counts.size === 0) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      for (const [p, n] of counts) if (p.test(line)) counts.set(p, n + 1);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (stopTimeoutMs = 20_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  };
  const service: Service = {
    pid: child.pid!,
    child,
    output: () => output,
    count: (p) => counts.get(p) ?? 0,
    stop,
  };
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + timeoutMs;
    let done = false;
    child.once('exit', (code, signal) => {
      if (done) return;
      done = true;
      reject(new Error(`${name} exited before it was ready (${code ?? signal}):\n${output}`));
    });
    const poll = async (): Promise<void> => {
      while (!done) {
        const ok = await ready(output);
        if (done) return;
        if (ok) {
          done = true;
          return resolve(service);
        }
        if (performance.now() > deadline) {
          done = true;
          await stop();
          return reject(new Error(`${name} not ready within ${timeoutMs} ms; output:\n${output}`));
        }
        await sleep(100);
      }
    };
    void poll();
  });
}

/** GET url; true on a 200 (false on anything else, a refused connection included). */
export async function answers200(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
}
