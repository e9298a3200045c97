import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

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

/** Resolves with the first match of `pattern` in the child's stdout; rejects if it exits first. */
function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: not ready after 20 s; output so far:\n${seen}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        cleanup();
        resolve(match);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`${what}: exited with ${code} before it was ready:\n${seen}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

export interface RedisServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A private Debian `redis-server` on a loopback port, no persistence, in a temp dir. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitForOutput(child, /Ready to accept connections/, 'redis-server');
  return {
    url: `redis://127.0.0.1:${port}`,
    close: async () => {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BrokerProcess {
  readonly mqttPort: number;
  readonly opsPort: number;
  readonly child: ChildProcess;
  close(): Promise<void>;
}

/** Compiles the platform as `npm start` does (dist/), once per test process. */
let built = false;
function build(): void {
  if (built) return;
  execFileSync(process.execPath, [path.join(root, 'tools/build.cjs')], {
    cwd: root,
    stdio: 'ignore',
  });
  built = true;
}

/** The compiled broker in its own process (`node dist/apps/broker/src/main.js`), ephemeral ports. */
export async function startBrokerProcess(env: Record<string, string>): Promise<BrokerProcess> {
  build();
  const child = spawn(process.execPath, [path.join(root, 'dist/apps/broker/src/main.js')], {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      ORFLEET_BROKER_PORT: '0',
      ORFLEET_BROKER_WS_PORT: 'off',
      ORFLEET_BROKER_OPS_PORT: '0',
      ORFLEET_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // a broker that dies mid-test says why in the test output
  child.stderr?.on('data', (chunk: Buffer) =>
    process.stderr.write(`[broker ${child.pid}] ${chunk.toString()}`),
  );
  const match = await waitForOutput(
    child,
    /MQTT on [^:]+:(\d+).*health and metrics on http:\/\/[^:]+:(\d+)/,
    'broker',
  );
  return {
    mqttPort: Number(match[1]),
    opsPort: Number(match[2]),
    child,
    close: () => stop(child),
  };
}

export interface IngestProcess {
  readonly opsPort: number;
  readonly child: ChildProcess;
  /** SIGTERM and wait. */
  close(): Promise<void>;
  /** SIGKILL: no shutdown at all, as a power cut or the OOM killer would. */
  kill(): Promise<void>;
}

/** The compiled ingest in its own process (`node dist/apps/ingest/src/main.js`). */
export async function startIngestProcess(env: Record<string, string>): Promise<IngestProcess> {
  build();
  const child = spawn(process.execPath, [path.join(root, 'dist/apps/ingest/src/main.js')], {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      ORFLEET_INGEST_OPS_PORT: '0',
      ORFLEET_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) =>
    process.stderr.write(`[ingest ${child.pid}] ${chunk.toString()}`),
  );
  const match = await waitForOutput(child, /health and metrics on http:\/\/[^:]+:(\d+)/, 'ingest');
  return {
    opsPort: Number(match[1]),
    child,
    close: () => stop(child),
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

export interface MosquittoServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Debian's mosquitto 2.0.11, configured as docs/deploy.md says for a lossless ingest: no cap on
 * the queue of an offline or slow clean=false session (its default of 1,000 silently drops
 * QoS 1 messages past it), QoS 0 not queued, sessions kept (no persistent_client_expiration).
 */
export async function startMosquitto(): Promise<MosquittoServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'max_queued_messages 0',
      'max_queued_bytes 0',
      'queue_qos0_messages false',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  // mosquitto logs nothing at this level when it starts: wait for the port instead
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`mosquitto did not listen on ${port} (exit ${child.exitCode})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    close: async () => {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
