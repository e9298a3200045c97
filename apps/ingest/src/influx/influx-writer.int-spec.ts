import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { InfluxHttp } from './influx-http';
import { setupInfluxSchema } from './influx-schema';
import { InfluxWriter } from './influx-writer';
import type { InfluxWriteMetrics, InfluxWriterOptions, WriteErrorKind } from './influx-writer';
import type { RetryReason } from './influx-write.rules';
import { countField, influxQuery, startTestInfluxd } from '../../test/influxd';
import type { TestInfluxd } from '../../test/influxd';

const DB = 'orfleet';
const silent = { info: () => undefined, warn: () => undefined };

/** Records every hook call; the tests assert on the exact calls. */
function recordingMetrics() {
  const calls = {
    writes: [] as { lines: number; ms: number }[],
    retries: [] as RetryReason[],
    errors: [] as WriteErrorKind[],
  };
  const metrics: InfluxWriteMetrics = {
    onWrite: (lines, ms) => calls.writes.push({ lines, ms }),
    onRetry: (reason) => calls.retries.push(reason),
    onError: (kind) => calls.errors.push(kind),
  };
  return { metrics, calls };
}

/** `n` points of `measurement`, one device each, timestamps in the last minutes (inside raw's 30d). */
function points(measurement: string, n: number, base = Date.now() - 600_000): string[] {
  return Array.from(
    { length: n },
    (_, i) => `${measurement},device=gd-${i % 50} v=${i}.5,seq=${i}i ${base + i}`,
  );
}

describe('InfluxWriter (real influxd 1.6.7)', () => {
  let influxd: TestInfluxd;
  const writer = (options: Partial<InfluxWriterOptions> = {}) =>
    new InfluxWriter({ url: influxd.url, database: DB, retentionPolicy: 'raw', ...options });
  const count = (measurement: string) => countField(influxd.url, DB, 'raw', measurement, 'v');

  beforeAll(async () => {
    influxd = await startTestInfluxd();
    await setupInfluxSchema(new InfluxHttp({ url: influxd.url }), { database: DB }, silent);
  });
  afterAll(async () => {
    await influxd?.cleanup();
  });

  it('writes a batch of 5,000 lines in one request, all counted back on rp raw', async () => {
    const { metrics, calls } = recordingMetrics();
    const outcome = await writer({ metrics }).write(points('batch', 5_000));

    expect(outcome).toEqual({ kind: 'written', written: 5_000, rejected: [], requests: 1 });
    expect(await count('batch')).toBe(5_000);
    expect(calls.writes).toEqual([{ lines: 5_000, ms: expect.any(Number) }]);
    expect(calls.errors).toEqual([]);
    // nothing went to the default-less autogen or anywhere else
    expect(await influxQuery(influxd.url, `SHOW MEASUREMENTS ON "${DB}"`)).toEqual([
      expect.objectContaining({ values: expect.arrayContaining([['batch']]) }),
    ]);
  });

  it('isolates 3 bad lines among 1,000: 997 written, exactly the 3 returned with their errors', async () => {
    const lines = points('mixed', 1_000);
    const ts = Date.now() - 300_000;
    lines[100] = `mixed,device=gd-x v="text" ${ts}`; // field type conflict: v is a float
    lines[500] = `mixed,device=gd-y v= ${ts + 1}`; // missing field value
    lines[999] = 'no fields at all'; // not line protocol
    const { metrics, calls } = recordingMetrics();

    const outcome = await writer({ metrics }).write(lines);

    expect(outcome).toMatchObject({ kind: 'written', written: 997 });
    if (outcome.kind !== 'written') throw new Error('unreachable');
    expect(outcome.rejected.map((r) => r.line)).toEqual([lines[100], lines[500], lines[999]]);
    expect(outcome.rejected[0]?.error).toMatch(/field type conflict/);
    expect(outcome.rejected[1]?.error).toMatch(/unable to parse/);
    expect(outcome.rejected[2]?.error).toMatch(/unable to parse/);
    expect(outcome.requests).toBeGreaterThan(1);
    expect(outcome.requests).toBeLessThanOrEqual(1 + 2 * 3 * 11);
    expect(await count('mixed')).toBe(997);
    expect(calls.writes).toEqual([{ lines: 997, ms: expect.any(Number) }]);
    expect(calls.errors).toEqual(['rejected-lines']);
  });

  it('rejects points older than the raw retention period (dead letter, not retry)', async () => {
    const old = Date.now() - 40 * 86_400_000;
    const lines = [...points('aged', 3), `aged,device=gd-old v=1 ${old}`];
    const outcome = await writer().write(lines);
    expect(outcome).toMatchObject({
      kind: 'written',
      written: 3,
      rejected: [{ line: lines[3], error: expect.stringMatching(/beyond retention policy/) }],
    });
  });

  it('rejects a backlog entirely beyond the retention period in one request', async () => {
    const lines = points('backlog', 500, Date.now() - 40 * 86_400_000);
    const outcome = await writer().write(lines);
    expect(outcome).toMatchObject({ kind: 'written', written: 0, requests: 1 });
    if (outcome.kind === 'written') expect(outcome.rejected).toHaveLength(500);
  });

  it('overwrites a duplicate point (same measurement, tags, timestamp): count unchanged', async () => {
    const ts = Date.now() - 120_000;
    const w = writer();
    await w.write([`dup,device=gd-1 v=1 ${ts}`, `dup,device=gd-2 v=1 ${ts}`]);
    const again = await w.write([`dup,device=gd-1 v=7 ${ts}`]);

    expect(again).toMatchObject({ kind: 'written', written: 1 });
    expect(await count('dup')).toBe(2);
    const series = await influxQuery(
      influxd.url,
      `SELECT "v" FROM "${DB}"."raw"."dup" WHERE "device" = 'gd-1'`,
    );
    expect(series[0]?.values).toEqual([[expect.any(String), 7]]);
  });

  it('reports a missing database as database-not-found, and writeUntilDone repairs it via setup', async () => {
    const http = new InfluxHttp({ url: influxd.url });
    const { metrics, calls } = recordingMetrics();
    const w = writer({ database: 'fresh', metrics, sleep: () => Promise.resolve() });

    expect(await w.write(points('x', 2))).toEqual({
      kind: 'retry',
      reason: 'database-not-found',
      status: 404,
      message: 'database not found: "fresh"',
    });

    const repairs: string[] = [];
    const outcome = await w.writeUntilDone(points('x', 2), {
      repair: async () => {
        repairs.push('setup');
        await setupInfluxSchema(http, { database: 'fresh' }, silent);
      },
    });
    expect(outcome).toMatchObject({ kind: 'written', written: 2 });
    expect(repairs).toEqual(['setup']);
    expect(calls.retries).toEqual(['database-not-found']);
    expect(calls.errors).toEqual(['database-not-found', 'database-not-found']);
    expect(await countField(influxd.url, 'fresh', 'raw', 'x', 'v')).toBe(2);
  });

  it('reports a missing retention policy (1.x answers 500) as retention-policy-not-found', async () => {
    const outcome = await writer({ retentionPolicy: 'nope' }).write(points('x', 1));
    expect(outcome).toMatchObject({
      kind: 'retry',
      reason: 'retention-policy-not-found',
      status: 500,
    });
  });

  describe('while InfluxDB is down', () => {
    afterEach(async () => {
      // every test leaves it running, even a failed one
      const up = await fetch(`${influxd.url}/ping`).then(
        () => true,
        () => false,
      );
      if (!up) await influxd.start();
    });

    it('returns a retryable outcome instead of throwing; after a restart on the same port and data, everything is there', async () => {
      const w = writer();
      expect(await w.write(points('outage', 100))).toMatchObject({ kind: 'written', written: 100 });

      await influxd.stop();
      const down = await w.write(points('outage', 10, Date.now()));
      expect(down).toMatchObject({ kind: 'retry', reason: 'network' });

      await influxd.start();
      expect(await count('outage')).toBe(100);
      // the same writer (its pooled sockets died with the old process) gets through again
      const after = await w.writeUntilDone(points('outage', 10, Date.now()), {
        repair: () => Promise.reject(new Error('no repair expected')),
      });
      expect(after).toMatchObject({ kind: 'written', written: 10 });
      expect(await count('outage')).toBe(110);
    });

    it('writeUntilDone backs off (full jitter, injected random) until InfluxDB is back', async () => {
      await influxd.stop();
      const sleeps: number[] = [];
      const { metrics, calls } = recordingMetrics();
      const w = writer({
        metrics,
        random: () => 0.5,
        backoff: { baseMs: 100, capMs: 10_000, maxRetryAfterMs: 60_000 },
        sleep: async (ms) => {
          sleeps.push(ms);
          if (sleeps.length === 2) await influxd.start();
        },
      });

      const outcome = await w.writeUntilDone(points('backoff', 20));

      expect(outcome).toMatchObject({ kind: 'written', written: 20 });
      expect(sleeps).toEqual([50, 100]); // 0.5 × 100, 0.5 × 200
      expect(calls.retries).toEqual(['network', 'network']);
      expect(calls.errors).toEqual(['network', 'network']);
      expect(calls.writes).toEqual([{ lines: 20, ms: expect.any(Number) }]);
      expect(await count('backoff')).toBe(20);
    });

    it('writeUntilDone gives the batch back when shutdown aborts the wait', async () => {
      await influxd.stop();
      const shutdown = new AbortController();
      const w = writer({
        sleep: (_ms, signal) => {
          shutdown.abort();
          expect(signal?.aborted).toBe(true);
          return Promise.resolve();
        },
      });
      const outcome = await w.writeUntilDone(points('abort', 5), { signal: shutdown.signal });
      expect(outcome).toMatchObject({ kind: 'retry', reason: 'network' });
    });
  });

  it('times out a request that gets no answer, as a retryable timeout', async () => {
    // a TCP listener that accepts and never answers
    const sockets: Socket[] = [];
    const silentServer = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
    const address = silentServer.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const outcome = await new InfluxWriter({
        url: `http://127.0.0.1:${port}`,
        database: DB,
        retentionPolicy: 'raw',
        timeoutMs: 300,
      }).write(points('t', 1));
      expect(outcome).toMatchObject({ kind: 'retry', reason: 'timeout' });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silentServer.close(resolve));
    }
  });
});
