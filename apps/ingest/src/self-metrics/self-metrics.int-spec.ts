import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import { startTestApi } from '../../../api/test/harness';
import type { TestApi } from '../../../api/test/harness';
import { startBroker } from '../../../broker/src/broker';
import type { RunningBroker } from '../../../broker/src/broker';
import { registerFleet, testBrokerConfig } from '../../../broker/test/broker-test-kit';
import { freePort } from '../../../broker/test/processes';
import { startIngest } from '../ingest';
import type { RunningIngest } from '../ingest';
import { eventually, influxQuery, startTestInfluxd } from '../../test/influxd';
import type { TestInfluxd } from '../../test/influxd';
import {
  connectDevice,
  ingestDirs,
  serviceMqttEnv,
  testIngestConfig,
  until,
} from '../../test/ingest-test-kit';

// what a service with a histogram, a labelled counter, a NaN gauge and one broken line serves
const EXPOSITION = [
  '# HELP orfleet_health_tick_seconds Duration of one rules tick',
  '# TYPE orfleet_health_tick_seconds histogram',
  'orfleet_health_tick_seconds_bucket{le="0.01"} 3',
  'orfleet_health_tick_seconds_bucket{le="+Inf"} 4',
  'orfleet_health_tick_seconds_sum 0.125',
  'orfleet_health_tick_seconds_count 4',
  '# TYPE orfleet_tickets_opened_total counter',
  'orfleet_tickets_opened_total{severity="red",source="health rules"} 2',
  '# TYPE orfleet_health_devices_tracked gauge',
  'orfleet_health_devices_tracked Nan',
  'this line is not prometheus text',
  '',
].join('\n');

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

/**
 * The ingest scraping the platform's `/metrics` into a real influxd 1.6.7 (measurement
 * `orfleet_self`): a real broker, a stand-in API serving known text, the ingest itself, and two
 * endpoints that fail (one never answers, one refuses connections) — while a device's messages
 * keep reaching InfluxDB.
 */
describe('platform self-metrics (real broker, influxd 1.6.7)', () => {
  let t: TestApi;
  let broker: RunningBroker;
  let influx: TestInfluxd;
  let ingest: RunningIngest;
  let device: MqttClient | undefined;
  const dirs = ingestDirs();
  const hanging: ServerResponse[] = [];
  const textServer = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(EXPOSITION),
  );
  // accepts the request and never answers: the scrape must time out, not wait
  const silentServer = createServer((_req, res) => void hanging.push(res));
  let textPort = 0;
  let silentPort = 0;
  let refusedPort = 0;
  let opsPort = 0;
  let secret = '';

  beforeAll(async () => {
    t = await startTestApi();
    secret = (await registerFleet(t, 'st-anne', [['gd-1', 'gown_dispenser']]))['gd-1'] ?? '';
    broker = await startBroker(testBrokerConfig(t));
    influx = await startTestInfluxd();
    textPort = await listen(textServer);
    silentPort = await listen(silentServer);
    refusedPort = await freePort();
    opsPort = await freePort();
    ingest = await startIngest(
      testIngestConfig({
        ...serviceMqttEnv(t.tokens, broker.mqttPort),
        INFLUX_URL: influx.url,
        ORFLEET_INGEST_DATA_DIR: dirs.dir,
        ORFLEET_INGEST_OPS_PORT: String(opsPort),
        ORFLEET_INGEST_SELF_METRICS_INTERVAL_S: '1',
        ORFLEET_INGEST_SELF_METRICS_TARGETS: [
          `broker=http://127.0.0.1:${broker.opsPort}/metrics`,
          `api=http://127.0.0.1:${textPort}/metrics`,
          `ingest=http://127.0.0.1:${opsPort}/metrics`,
          `api=http://127.0.0.1:${silentPort}/metrics`,
          `broker=http://127.0.0.1:${refusedPort}/metrics`,
        ].join(','),
      }),
    );
    await until('the ingest subscribed', () => ingest.source.subscribed);
  });
  afterAll(async () => {
    await device?.endAsync(true).catch(() => undefined);
    await ingest?.close();
    for (const res of hanging) res.destroy();
    await new Promise((resolve) => textServer.close(resolve));
    silentServer.closeAllConnections();
    await new Promise((resolve) => silentServer.close(resolve));
    await broker?.close();
    await influx?.cleanup();
    await t?.close();
    dirs.remove();
  });

  const rows = async (q: string) => {
    const series = await influxQuery(influx.url, q, 'orfleet');
    return series.flatMap((s) =>
      (s.values ?? []).map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]]))),
    );
  };
  /** The scraper's own counters: a wait that times out says what the scrapes and writes did. */
  const explained = async <T>(waiting: Promise<T>): Promise<T> =>
    waiting.catch(async (error: unknown) => {
      const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      const counters = text
        .split('\n')
        .filter((l) => l.startsWith('orfleet_ingest_self_metrics_') && !l.endsWith(' 0'));
      throw new Error(`${String(error)}; scraper counters: ${counters.join('; ')}`);
    });
  const firstRow = async (q: string) =>
    explained(eventually(`a row for ${q}`, async () => (await rows(q))[0], 45_000));
  const scrapes = async (service: string, outcome: string) => {
    const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) =>
        l.startsWith(
          `orfleet_ingest_self_metrics_scrapes_total{service="${service}",outcome="${outcome}"}`,
        ),
      );
    return Number(line?.split(' ')[1] ?? 0);
  };

  it('writes histograms, counters and labels as orfleet_self rows tagged service and instance', async () => {
    const instance = `127.0.0.1:${textPort}`;
    const where = `WHERE "service" = 'api' AND "instance" = '${instance}'`;
    const bucket = await firstRow(
      `SELECT "orfleet_health_tick_seconds_bucket" FROM "orfleet"."raw"."orfleet_self" ${where} AND "le" = '+Inf' LIMIT 1`,
    );
    expect(bucket['orfleet_health_tick_seconds_bucket']).toBe(4);
    const sums = await firstRow(
      `SELECT "orfleet_health_tick_seconds_sum", "orfleet_health_tick_seconds_count" FROM "orfleet"."raw"."orfleet_self" ${where} LIMIT 1`,
    );
    expect(sums).toMatchObject({
      orfleet_health_tick_seconds_sum: 0.125,
      orfleet_health_tick_seconds_count: 4,
    });
    const tickets = await firstRow(
      `SELECT "orfleet_tickets_opened_total" FROM "orfleet"."raw"."orfleet_self" ${where} AND "severity" = 'red' AND "source" = 'health rules' LIMIT 1`,
    );
    expect(tickets['orfleet_tickets_opened_total']).toBe(2);

    // the NaN gauge is not stored; the broken line is counted, the rest of that scrape kept
    const keys = await influxQuery(influx.url, 'SHOW FIELD KEYS FROM "orfleet_self"', 'orfleet');
    const fields = (keys[0]?.values ?? []).map((v) => String(v[0]));
    expect(fields).not.toContain('orfleet_health_devices_tracked');
    expect(fields).toEqual(expect.arrayContaining(['orfleet_tickets_opened_total']));
    await until(
      'the unreadable line counted',
      async () => (await scrapes('api', 'unreadable-lines')) > 0,
    );
  });

  it('writes the real broker and the ingest itself, with their own metric names', async () => {
    const brokerRow = await firstRow(
      `SELECT "orfleet_broker_clients" FROM "orfleet"."raw"."orfleet_self" WHERE "service" = 'broker' AND "instance" = '127.0.0.1:${broker.opsPort}' LIMIT 1`,
    );
    expect(typeof brokerRow['orfleet_broker_clients']).toBe('number');
    const tags = await influxQuery(
      influx.url,
      'SHOW TAG VALUES FROM "orfleet_self" WITH KEY = "service"',
      'orfleet',
    );
    expect((tags[0]?.values ?? []).map((v) => v[1])).toEqual(['api', 'broker', 'ingest']);
    // the scraper's own counters travel the same way: the ingest counted its scrapes of the broker
    const own = await firstRow(
      `SELECT "orfleet_ingest_self_metrics_scrapes_total" FROM "orfleet"."raw"."orfleet_self" WHERE "service" = 'ingest' AND "instance" = '127.0.0.1:${opsPort}' AND "exported_service" = 'broker' AND "outcome" = 'ok' LIMIT 1`,
    );
    expect(own['orfleet_ingest_self_metrics_scrapes_total']).toBeGreaterThan(0);
  });

  it('counts a silent and a refusing endpoint while device messages keep reaching InfluxDB', async () => {
    await until(
      'a timed-out scrape counted',
      async () => (await scrapes('api', 'timeout')) > 0,
      45_000,
    );
    await until(
      'a refused scrape counted',
      async () => (await scrapes('broker', 'network')) > 0,
      45_000,
    );
    device = await connectDevice(broker.mqttPort, 'gd-1', secret);
    const ts = Date.now() - 1_000;
    await device.publishAsync(
      'or/st-anne/gown_dispenser/gd-1/heartbeat',
      JSON.stringify({ ts, seq: 1, fw: '2.3.1' }),
      { qos: 1 },
    );
    const beat = await firstRow(
      `SELECT "beat" FROM "orfleet"."raw"."heartbeat" WHERE "device" = 'gd-1' LIMIT 1`,
    );
    expect(beat['beat']).toBe(1);
    expect(Date.parse(String(beat['time']))).toBe(ts);
    // and the scraping went on after the failures
    const before = await scrapes('broker', 'ok');
    await explained(
      until(
        'another scrape after the failures',
        async () => (await scrapes('broker', 'ok')) > before,
        45_000,
      ),
    );
  });
});
