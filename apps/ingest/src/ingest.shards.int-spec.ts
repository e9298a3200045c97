import type { MqttClient } from 'mqtt';
import { startTestApi } from '../../api/test/harness';
import type { TestApi } from '../../api/test/harness';
import { startBroker } from '../../broker/src/broker';
import type { RunningBroker } from '../../broker/src/broker';
import { registerFleet, testBrokerConfig } from '../../broker/test/broker-test-kit';
import { startIngest } from './ingest';
import type { RunningIngest } from './ingest';
import { inShard } from './shard.rules';
import { influxQuery, startTestInfluxd } from '../test/influxd';
import type { TestInfluxd } from '../test/influxd';
import {
  connectDevice,
  ingestDirs,
  serviceMqttEnv,
  testIngestConfig,
  until,
} from '../test/ingest-test-kit';

const SITES = ['st-anne', 'st-mary', 'st-luke', 'st-john', 'st-paul', 'st-mark'];
const PER_DEVICE = 50;

/**
 * aedes has no shared subscriptions: two ingest instances split the fleet by site (INGEST_SHARD
 * 1/2 and 2/2, site list from the API) and between them write every message once.
 */
describe('ingest shards (two instances, real broker, influxd 1.6.7, PostgreSQL)', () => {
  let t: TestApi;
  let broker: RunningBroker;
  let influx: TestInfluxd;
  const ingests: RunningIngest[] = [];
  const dirs = [ingestDirs(), ingestDirs()];
  const secret: Record<string, string> = {};
  const clients: MqttClient[] = [];
  const devices = SITES.map((site, i) => ({ site, id: `gd-${i + 1}` }));

  beforeAll(async () => {
    t = await startTestApi();
    for (const { site, id } of devices) {
      Object.assign(secret, await registerFleet(t, site, [[id, 'gown_dispenser']]));
    }
    broker = await startBroker(testBrokerConfig(t));
    influx = await startTestInfluxd();
    for (const index of [1, 2]) {
      ingests.push(
        await startIngest(
          testIngestConfig({
            ...serviceMqttEnv(t.tokens, broker.mqttPort, `ingest-${index}of2`),
            INGEST_SHARD: `${index}/2`,
            ORFLEET_API_URL: t.url,
            ORFLEET_API_TOKEN: t.tokens['device-service'],
            INFLUX_URL: influx.url,
            ORFLEET_INGEST_DATA_DIR: dirs[index - 1]?.dir ?? '',
          }),
        ),
      );
    }
    await until('both instances subscribed', () => ingests.every((i) => i.source.subscribed));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await Promise.all(ingests.map((i) => i.close()));
    await broker?.close();
    await influx?.cleanup();
    await t?.close();
    for (const d of dirs) d.remove();
  });

  it('splits the fleet by site: every message written once, by the instance owning its site', async () => {
    // the split is not trivial: each shard owns some of the sites
    const owned = [1, 2].map((index) => SITES.filter((s) => inShard(s, { index, count: 2 })));
    expect(owned.map((o) => o.length).every((n) => n > 0)).toBe(true);

    const base = Date.now() - 600_000;
    await Promise.all(
      devices.map(async ({ site, id }) => {
        const client = await connectDevice(broker.mqttPort, id, secret[id]);
        clients.push(client);
        for (let seq = 1; seq <= PER_DEVICE; seq++) {
          await client.publishAsync(
            `or/${site}/gown_dispenser/${id}/heartbeat`,
            JSON.stringify({ ts: base + seq, seq }),
            {
              qos: 1,
            },
          );
        }
      }),
    );
    const total = devices.length * PER_DEVICE;
    await until(
      'every heartbeat written',
      () => ingests.reduce((n, i) => n + i.written(), 0) >= total,
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more may come
    // each instance wrote exactly its own sites' messages: none twice, none missed
    expect(ingests.map((i) => i.written())).toEqual(
      owned.map((sites) => sites.length * PER_DEVICE),
    );
    const series = await influxQuery(
      influx.url,
      'SELECT count("seq") FROM "raw"."heartbeat" GROUP BY "site"',
      'orfleet',
    );
    const perSite = Object.fromEntries(
      series.map((s) => [
        (s as { tags?: Record<string, string> }).tags?.['site'],
        Number(s.values?.[0]?.[1]),
      ]),
    );
    expect(perSite).toEqual(Object.fromEntries(SITES.map((site) => [site, PER_DEVICE])));
  });
});
