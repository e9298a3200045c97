// A private influxd per spec file (temp dir, ephemeral ports) and InfluxQL helpers that talk to
// it with plain fetch, independent of the code under test.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startEmbeddedInfluxd } from '../src/influx/embedded-influxd';
import type { EmbeddedInfluxd } from '../src/influx/embedded-influxd';

export interface TestInfluxd {
  /** The running instance's URL (the same after restart()). */
  readonly url: string;
  readonly port: number;
  /** Stops influxd, data kept. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  start(): Promise<void>;
  /** Stops it and removes its temp dir; safe to call twice and after a failed start. */
  cleanup(): Promise<void>;
}

export async function startTestInfluxd(): Promise<TestInfluxd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-influxd-'));
  let instance: EmbeddedInfluxd | undefined;
  try {
    instance = await startEmbeddedInfluxd({ dir, cqRunInterval: '1s' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const first = instance;
  return {
    url: first.url,
    port: first.port,
    stop: async () => {
      await instance?.stop();
    },
    start: async () => {
      instance = await startEmbeddedInfluxd({
        dir,
        port: first.port,
        rpcPort: first.rpcPort,
        cqRunInterval: '1s',
      });
    },
    cleanup: async () => {
      await instance?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Series {
  readonly name?: string;
  readonly columns: string[];
  readonly values?: unknown[][];
}

/** Runs one InfluxQL statement; throws on any error so a test cannot pass on a failed query. */
export async function influxQuery(url: string, q: string, db?: string): Promise<Series[]> {
  const response = await fetch(`${url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q, ...(db ? { db } : {}) }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${q}: HTTP ${response.status} ${text}`);
  const result = (JSON.parse(text) as { results: { error?: string; series?: Series[] }[] })
    .results[0];
  if (result?.error) throw new Error(`${q}: ${result.error}`);
  return result?.series ?? [];
}

/** COUNT of one field in one measurement of `db`.`rp`; 0 when there is none. */
export async function countField(
  url: string,
  db: string,
  rp: string,
  measurement: string,
  field: string,
): Promise<number> {
  const series = await influxQuery(
    url,
    `SELECT count("${field}") FROM "${db}"."${rp}"."${measurement}"`,
  );
  return Number(series[0]?.values?.[0]?.[1] ?? 0);
}

/**
 * Polls `probe` until it returns a value (not undefined); fails with `what` after `timeoutMs`.
 * For effects InfluxDB produces on its own schedule (continuous queries), never a fixed sleep.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await delay(200);
  }
}
