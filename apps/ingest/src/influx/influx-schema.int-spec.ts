import { InfluxHttp } from './influx-http';
import { backfillRollup, pingInflux, setupInfluxSchema } from './influx-schema';
import { rollupQueryStatement, DEFAULT_SCHEMA_TARGET } from './influx-schema.rules';
import { eventually, influxQuery, startTestInfluxd } from '../../test/influxd';
import type { TestInfluxd } from '../../test/influxd';

const silent = { info: () => undefined, warn: () => undefined };
/** As InfluxQL prints whole-second times: 2026-03-01T12:00:00Z. */
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe('setupInfluxSchema (real influxd 1.6.7)', () => {
  let influxd: TestInfluxd;
  let http: InfluxHttp;

  beforeAll(async () => {
    influxd = await startTestInfluxd();
    http = new InfluxHttp({ url: influxd.url });
  });
  afterAll(async () => {
    await influxd?.cleanup();
  });

  const retentionPolicies = async (db: string) =>
    (await influxQuery(influxd.url, `SHOW RETENTION POLICIES ON "${db}"`))[0]?.values?.map(
      ([name, duration, , , isDefault]) => ({ name, duration, default: isDefault }),
    );
  const continuousQueries = async (db: string) =>
    (await influxQuery(influxd.url, 'SHOW CONTINUOUS QUERIES'))
      .find((s) => s.name === db)
      ?.values?.map(([name]) => name) ?? [];

  it('pings: reachable, version 1.x', async () => {
    await expect(pingInflux(http)).resolves.toMatchObject({
      ok: true,
      version: { major: 1, raw: expect.stringMatching(/^1\.6\./) },
    });
  });

  it('creates the database, raw (default) and rollup_1m, and the CQ; a second run changes nothing', async () => {
    const first = await setupInfluxSchema(http, { database: 'orfleet' }, silent);
    expect(first.version.major).toBe(1);
    expect(first.retentionPolicy).toBe('raw');
    expect(first.applied).toEqual([
      'CREATE DATABASE "orfleet" WITH DURATION 30d REPLICATION 1 NAME "raw"',
      'CREATE RETENTION POLICY "rollup_1m" ON "orfleet" DURATION 400d REPLICATION 1',
      rollupQueryStatement({ database: 'orfleet', ...DEFAULT_SCHEMA_TARGET }),
    ]);
    expect(await retentionPolicies('orfleet')).toEqual([
      { name: 'raw', duration: '720h0m0s', default: true },
      { name: 'rollup_1m', duration: '9600h0m0s', default: false },
    ]);
    expect(await continuousQueries('orfleet')).toEqual(['cq_rollup_1m']);

    const second = await setupInfluxSchema(http, { database: 'orfleet' }, silent);
    expect(second.applied).toEqual([]);
  });

  it('alters a retention period that changed, then is idempotent again', async () => {
    await setupInfluxSchema(http, { database: 'alter' }, silent);
    const changed = await setupInfluxSchema(
      http,
      { database: 'alter', rawRetention: '14d', rollupRetention: '52w' },
      silent,
    );
    expect(changed.applied).toEqual([
      'ALTER RETENTION POLICY "raw" ON "alter" DURATION 14d',
      'ALTER RETENTION POLICY "rollup_1m" ON "alter" DURATION 52w',
    ]);
    expect(await retentionPolicies('alter')).toEqual([
      { name: 'raw', duration: '336h0m0s', default: true },
      { name: 'rollup_1m', duration: '8736h0m0s', default: false },
    ]);
    const again = await setupInfluxSchema(
      http,
      { database: 'alter', rawRetention: '14d', rollupRetention: '52w' },
      silent,
    );
    expect(again.applied).toEqual([]);
  });

  it('adopts a database someone else created (autogen default) without touching autogen', async () => {
    await influxQuery(influxd.url, 'CREATE DATABASE "adopted"');
    const result = await setupInfluxSchema(http, { database: 'adopted' }, silent);
    expect(result.applied[0]).toBe(
      'CREATE RETENTION POLICY "raw" ON "adopted" DURATION 30d REPLICATION 1 DEFAULT',
    );
    expect(await retentionPolicies('adopted')).toEqual([
      { name: 'autogen', duration: '0s', default: false },
      { name: 'raw', duration: '720h0m0s', default: true },
      { name: 'rollup_1m', duration: '9600h0m0s', default: false },
    ]);
    expect((await setupInfluxSchema(http, { database: 'adopted' }, silent)).applied).toEqual([]);
  });

  it('replaces the CQ when its window changes', async () => {
    await setupInfluxSchema(http, { database: 'window' }, silent);
    const changed = await setupInfluxSchema(http, { database: 'window', rollupFor: '1h' }, silent);
    expect(changed.applied).toEqual([
      'DROP CONTINUOUS QUERY "cq_rollup_1m" ON "window"',
      rollupQueryStatement({ database: 'window', ...DEFAULT_SCHEMA_TARGET, rollupFor: '1h' }),
    ]);
    expect(await continuousQueries('window')).toEqual(['cq_rollup_1m']);
  });

  it('rejects unusable options before touching the server', async () => {
    await expect(
      setupInfluxSchema(http, { database: 'x', rawRetention: '30 days' }, silent),
    ).rejects.toMatchObject({ code: 'INFLUX_OPTIONS_INVALID' });
  });

  it('says INFLUX_UNREACHABLE when nothing listens', async () => {
    const nowhere = new InfluxHttp({ url: 'http://127.0.0.1:9' });
    await expect(setupInfluxSchema(nowhere, { database: 'x' }, silent)).rejects.toMatchObject({
      code: 'INFLUX_UNREACHABLE',
    });
    await expect(pingInflux(nowhere)).resolves.toMatchObject({ ok: false });
  });

  // The CQ runs on influxd's schedule: with RESAMPLE EVERY 1s (the default is 1m) the rollup of
  // the last minute appears within seconds; the production CQ differs only in the EVERY value.
  it('rolls raw points up into 1-minute means in rollup_1m', async () => {
    // InfluxDB's RESAMPLE window starts FOR − 1 interval before the run: with FOR 2m a point of
    // the last full minute written in the current minute's last second is never rolled up (a
    // rare failure of this test). FOR 5m covers that minute for the next 3 minutes.
    await setupInfluxSchema(http, { database: 'cq', rollupEvery: '1s', rollupFor: '5m' }, silent);
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 60_000; // the last full minute
    const lines = [1, 2, 3, 6].map((v, i) => `temp,device=d1 v=${v} ${minute + i * 10_000}`);
    const write = await fetch(`${influxd.url}/write?db=cq&rp=raw&precision=ms`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(write.status).toBe(204);

    const row = await eventually('the CQ to write the rollup of the last minute', async () => {
      const series = await influxQuery(
        influxd.url,
        `SELECT "mean_v", "device" FROM "cq"."rollup_1m"."temp" WHERE time = ${minute}ms`,
      );
      return series[0]?.values?.[0];
    });
    expect(row).toEqual([rfc3339(minute), 3, 'd1']);
  });

  it('backfills rollups for an old range on demand', async () => {
    await setupInfluxSchema(http, { database: 'backfill' }, silent);
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3_600_000; // 3 h ago: beyond FOR
    const lines = [10, 20].map((v, i) => `temp,device=d2 v=${v} ${start + i * 1_000}`);
    await fetch(`${influxd.url}/write?db=backfill&rp=raw&precision=ms`, {
      method: 'POST',
      body: lines.join('\n'),
    });

    await backfillRollup(http, 'backfill', new Date(start), new Date(start + 60_000));
    const series = await influxQuery(
      influxd.url,
      'SELECT "mean_v" FROM "backfill"."rollup_1m"."temp"',
    );
    expect(series[0]?.values).toEqual([[rfc3339(start), 15]]);
  });
});
