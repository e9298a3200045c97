import { connect as mqttConnect, connectAsync } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { startTestApi } from '../../api/test/harness';
import type { TestApi } from '../../api/test/harness';
import { registerFleet } from '../test/broker-test-kit';
import { startBrokerProcess, startRedis } from '../test/processes';
import type { BrokerProcess, RedisServer } from '../test/processes';

/**
 * Scale-out: two compiled broker processes on one private Debian redis-server (REDIS_URL), the
 * devices and tokens from the real API on a real PostgreSQL, MQTT.js clients over TCP.
 */
describe('broker cluster over Redis (two processes)', () => {
  let t: TestApi;
  let redis: RedisServer;
  let a: BrokerProcess;
  let b: BrokerProcess;
  const secret: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApi();
    Object.assign(
      secret,
      await registerFleet(t, 'st-mary', [
        ['gd-1', 'gown_dispenser'],
        ['gd-2', 'gown_dispenser'],
        ['gd-3', 'gown_dispenser'],
      ]),
    );
    redis = await startRedis();
    const env = {
      DATABASE_URL: t.databaseUrl,
      REDIS_URL: redis.url,
      ORFLEET_BROKER_CONNECT_RATE_PER_CLIENT: '1000',
      ORFLEET_BROKER_CONNECT_BURST_PER_CLIENT: '1000',
    };
    [a, b] = await Promise.all([startBrokerProcess(env), startBrokerProcess(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.close();
    await t?.close();
  });

  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });
  let sessions = 0;
  const connect = async (node: BrokerProcess, options: IClientOptions) => {
    const client = await connectAsync(`mqtt://127.0.0.1:${node.mqttPort}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...options,
    });
    clients.push(client);
    return client;
  };
  const device = (node: BrokerProcess, id: string, extra: IClientOptions = {}) =>
    connect(node, { clientId: id, username: id, password: secret[id], ...extra });
  const service = (node: BrokerProcess) =>
    connect(node, {
      clientId: `svc:test-device-service:${++sessions}`,
      username: 'svc:test-device-service',
      password: t.tokens['device-service'],
    });
  const messages = (client: MqttClient, count: number) =>
    new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const timer = setTimeout(
        () => reject(new Error(`got ${got.length} of ${count} messages: ${got.join(', ')}`)),
        10_000,
      );
      client.on('message', (topic, payload) => {
        got.push(`${topic} ${payload.toString()}`);
        if (got.length === count) {
          clearTimeout(timer);
          resolve(got);
        }
      });
    });

  it('delivers a message published on one process to a subscriber on the other', async () => {
    const ingest = await service(b);
    await ingest.subscribeAsync('or/+/+/+/heartbeat', { qos: 1 });
    const got = messages(ingest, 20);
    const gd = await device(a, 'gd-1');
    for (let seq = 1; seq <= 20; seq++) {
      await gd.publishAsync('or/st-mary/gown_dispenser/gd-1/heartbeat', `{"seq":${seq}}`, {
        qos: 1,
      });
    }
    expect(await got).toEqual(
      Array.from(
        { length: 20 },
        (_, i) => `or/st-mary/gown_dispenser/gd-1/heartbeat {"seq":${i + 1}}`,
      ),
    );
  });

  it('keeps a clean=false session when the device moves to the other process', async () => {
    const cmd = 'or/st-mary/gown_dispenser/gd-2/cmd/reboot';
    const first = await device(a, 'gd-2', { clean: false });
    await first.subscribeAsync('or/st-mary/gown_dispenser/gd-2/cmd/#', { qos: 1 });
    await first.endAsync();

    // while it is away, the platform sends it a command through the other process
    const api = await service(b);
    await api.publishAsync(cmd, '{"reason":"firmware"}', { qos: 1 });

    // listen before the CONNACK: the queued command follows it at once
    const back = mqttConnect(`mqtt://127.0.0.1:${b.mqttPort}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: 'gd-2',
      username: 'gd-2',
      password: secret['gd-2'],
      clean: false,
    });
    clients.push(back);
    const queued = messages(back, 1);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      back.once('connect', resolve);
      back.once('error', reject);
    });
    // the session (and its subscription) lives in Redis: B knows it and sends the queued command
    expect(connack.sessionPresent).toBe(true);
    expect(await queued).toEqual([`${cmd} {"reason":"firmware"}`]);
    // and a command published on A now reaches the device on B through the shared subscription
    const live = messages(back, 1);
    const apiOnA = await service(a);
    await apiOnA.publishAsync(cmd, '{"reason":"again"}', { qos: 1 });
    expect(await live).toEqual([`${cmd} {"reason":"again"}`]);
  });

  it('closes the older session when the same device connects to the other process', async () => {
    const first = await device(a, 'gd-3');
    const kicked = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await device(b, 'gd-3');
    await kicked;
    expect(second.connected).toBe(true);
    expect(first.connected).toBe(false);
  });

  it('reports Redis in readiness', async () => {
    const res = await fetch(`http://127.0.0.1:${a.opsPort}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });
});
