import type { MqttClient } from 'mqtt';
import { startTestApi } from '../../api/test/harness';
import type { TestApi } from '../../api/test/harness';
import { startBroker } from '../../broker/src/broker';
import type { RunningBroker } from '../../broker/src/broker';
import { registerFleet, testBrokerConfig } from '../../broker/test/broker-test-kit';
import { startIngest } from './ingest';
import type { RunningIngest } from './ingest';
import { influxQuery, startTestInfluxd } from '../test/influxd';
import type { TestInfluxd } from '../test/influxd';
import {
  connectDevice,
  ingestDirs,
  serviceMqttEnv,
  testIngestConfig,
  until,
} from '../test/ingest-test-kit';

const DEVICES = 10;
const PER_DEVICE = 1_500; // ~15,000 heartbeats: more than a 1 MiB spool holds

/**
 * Past its disk quota the ingest stops acknowledging, so the broker keeps the messages; once
 * InfluxDB is back it drains the spool, takes the held messages, and nothing is missing.
 */
describe('ingest spool quota (real broker, influxd 1.6.7, PostgreSQL)', () => {
  let t: TestApi;
  let broker: RunningBroker;
  let influx: TestInfluxd;
  let ingest: RunningIngest;
  const dirs = ingestDirs();
  const ids = Array.from({ length: DEVICES }, (_, i) => `gd-${i + 1}`);
  const secret: Record<string, string> = {};
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    t = await startTestApi();
    Object.assign(
      secret,
      await registerFleet(
        t,
        'st-anne',
        ids.map((id) => [id, 'gown_dispenser'] as const),
      ),
    );
    broker = await startBroker(
      testBrokerConfig(t, { ORFLEET_BROKER_FLOOD_LIMITS: 'default=100000' }),
    );
    influx = await startTestInfluxd();
    await influx.stop(); // InfluxDB is down from the start
    ingest = await startIngest(
      testIngestConfig({
        ...serviceMqttEnv(t.tokens, broker.mqttPort),
        INFLUX_URL: influx.url,
        ORFLEET_INGEST_DATA_DIR: dirs.dir,
        ORFLEET_INGEST_SPOOL_QUOTA: '1MiB',
        ORFLEET_INGEST_RETRY_MAX_MS: '1000',
      }),
    );
    await until('the ingest subscribed', () => ingest.source.subscribed);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await ingest?.close();
    await broker?.close();
    await influx?.cleanup();
    await t?.close();
    dirs.remove();
  });

  it('stops acknowledging when the spool is full and catches up without loss once InfluxDB is back', async () => {
    const base = Date.now() - 3_600_000;
    await Promise.all(
      ids.map(async (id) => {
        const client = await connectDevice(broker.mqttPort, id, secret[id]);
        clients.push(client);
        for (let seq = 1; seq <= PER_DEVICE; seq++) {
          await client.publishAsync(
            `or/st-anne/gown_dispenser/${id}/heartbeat`,
            JSON.stringify({ ts: base + seq, seq }),
            {
              qos: 1,
            },
          );
        }
      }),
    );
    // every message reached the broker; the spool filled and the ingest stopped acknowledging
    await until('the spool full', () => ingest.spool.full);
    const acked = ingest.source.acked;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(ingest.source.acked).toBe(acked);
    expect(acked).toBeLessThan(DEVICES * PER_DEVICE);
    expect(ingest.spool.pendingBytes).toBeLessThanOrEqual(1024 * 1024);
    const ready = await fetch(`http://127.0.0.1:${ingest.opsPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { spool: 'full', influx: 'unreachable' } });

    await influx.start();
    // until the ingest's set-up ran again the database does not exist: that counts as 0
    const count = async () => {
      const series = await influxQuery(
        influx.url,
        'SELECT count("beat") FROM "raw"."heartbeat"',
        'orfleet',
      ).catch(() => []);
      return Number(series[0]?.values?.[0]?.[1] ?? 0);
    };
    await until(
      'every heartbeat in InfluxDB',
      async () => (await count()) >= DEVICES * PER_DEVICE,
      120_000,
    ).catch(() => undefined);
    const series = await influxQuery(
      influx.url,
      'SELECT count("seq") FROM "raw"."heartbeat" GROUP BY "device"',
      'orfleet',
    );
    const perDevice = Object.fromEntries(
      series.map((s) => [
        (s as { tags?: Record<string, string> }).tags?.['device'],
        Number(s.values?.[0]?.[1]),
      ]),
    );
    expect(perDevice).toEqual(Object.fromEntries(ids.map((id) => [id, PER_DEVICE])));
    expect(ingest.source.acked).toBe(DEVICES * PER_DEVICE);
    const metrics = await (await fetch(`http://127.0.0.1:${ingest.opsPort}/metrics`)).text();
    expect(metrics).toContain(`orfleet_ingest_acknowledged_total ${DEVICES * PER_DEVICE}`);
    expect(ingest.spool.full).toBe(false);
  }, 240_000);
});
