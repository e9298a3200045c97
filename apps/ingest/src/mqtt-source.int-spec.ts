import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { MqttSource } from './mqtt-source';
import type { IncomingMessage } from './mqtt-source';
import { until } from '../test/ingest-test-kit';

/**
 * Acknowledge-after-durable, without one-at-a-time: against a real aedes over TCP, with an
 * `accept` the test resolves by hand (standing in for the spool's commit).
 */
describe('MqttSource (real aedes over TCP)', () => {
  let broker: Aedes;
  let server: Server;
  let port: number;
  const acks: number[] = [];
  const publishers: MqttClient[] = [];
  const sources: MqttSource[] = [];

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    // the broker's view: which message ids the consumer acknowledged, in order
    broker.on('ack', (packet, client) => {
      if (client.id.startsWith('ingest-test') && packet !== undefined && 'messageId' in packet) {
        acks.push(Number((packet as { payload?: Buffer }).payload?.toString()));
      }
    });
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.endAsync(true)));
    await Promise.all(sources.map((s) => s.close()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    acks.length = 0;
    broker.authorizeSubscribe = (_client, sub, done) => done(null, sub);
  });

  /** A source on the test broker, not yet subscribed to anything. */
  const newSource = (
    clientId: string,
    maxInflight: number,
    accept: (message: IncomingMessage) => Promise<void>,
  ) => {
    const source = new MqttSource({
      url: `mqtt://127.0.0.1:${port}`,
      clientId,
      username: undefined,
      password: undefined,
      keepaliveS: 30,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      maxInflight,
      now: () => 1_000,
      log: pino({ level: 'silent' }),
      accept,
    });
    sources.push(source);
    return source;
  };
  /** A source whose accept() calls wait for the test: `pending[i]()` commits message i. */
  const startSource = async (maxInflight: number, clientId = 'ingest-test') => {
    const accepted: IncomingMessage[] = [];
    const pending: (() => void)[] = [];
    const source = newSource(clientId, maxInflight, (message) => {
      accepted.push(message);
      return new Promise<void>((resolve) => pending.push(resolve));
    });
    source.setFilters(['t/#']);
    await until('the source subscribed', () => source.subscribed);
    return { source, accepted, pending };
  };
  const publish = async (count: number, topic = 't/x') => {
    const publisher = await connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 });
    publishers.push(publisher);
    for (let i = 1; i <= count; i++) await publisher.publishAsync(topic, String(i), { qos: 1 });
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

  it('hands every message on at once, and acknowledges each only once it is accepted, in order', async () => {
    const { source, accepted, pending } = await startSource(100);
    await publish(3);
    // all three are being stored together: no waiting for the first one's commit
    await until('three messages handed over', () => accepted.length === 3);
    expect(accepted.map((m) => [m.topic, m.payload.toString(), m.receivedAt])).toEqual([
      ['t/x', '1', 1_000],
      ['t/x', '2', 1_000],
      ['t/x', '3', 1_000],
    ]);
    await settle();
    expect(acks).toEqual([]); // nothing acknowledged before it is stored

    pending[1]?.(); // the second commits first: its PUBACK waits for the first (MQTT-4.6.0-2)
    await settle();
    expect(acks).toEqual([]);
    pending[0]?.();
    await until('two PUBACKs', () => acks.length === 2);
    expect(acks).toEqual([1, 2]);
    pending[2]?.();
    await until('three PUBACKs', () => acks.length === 3);
    expect(acks).toEqual([1, 2, 3]);
    expect(source.acked).toBe(3);
    await source.close();
  });

  it('stops reading at maxInflight unacknowledged messages and reads on as they are acknowledged', async () => {
    const { source, accepted, pending } = await startSource(2);
    await publish(4);
    await until('two messages handed over', () => accepted.length === 2);
    await settle();
    expect(accepted).toHaveLength(2); // the third waits in the socket
    pending[0]?.();
    await until('the third handed over', () => accepted.length === 3);
    pending[1]?.();
    pending[2]?.();
    await until('the fourth handed over', () => accepted.length === 4);
    pending[3]?.();
    await until('four PUBACKs', () => acks.length === 4);
    expect(acks).toEqual([1, 2, 3, 4]);
    await source.close();
  });
  it('is subscribed only once the broker answered the SUBSCRIBE, not when it connected', async () => {
    const grants: (() => void)[] = [];
    broker.authorizeSubscribe = (_client, sub, done) => grants.push(() => done(null, sub));
    const accepted: IncomingMessage[] = [];
    const source = newSource('ingest-test-suback', 10, (message) => {
      accepted.push(message);
      return Promise.resolve();
    });
    source.setFilters(['s/#']);
    await until('the SUBSCRIBE at the broker', () => grants.length === 1);
    expect(source.connected).toBe(true);
    expect(source.subscribed).toBe(false);
    grants[0]?.();
    await until('the source subscribed', () => source.subscribed);
    await publish(1, 's/x');
    await until('the message handed over', () => accepted.length === 1);
    await source.close();
  });

  it('reports filters the broker refused, and is not subscribed while any is', async () => {
    broker.authorizeSubscribe = (_client, sub, done) =>
      done(null, sub.topic.startsWith('denied/') ? null : sub);
    const source = newSource('ingest-test-refused', 10, () => Promise.resolve());
    source.setFilters(['ok/#', 'denied/#']);
    await until('the refusal known', () => source.refused.length > 0);
    expect(source.refused).toEqual(['denied/#']);
    expect(source.connected).toBe(true);
    expect(source.subscribed).toBe(false);
    // the operator drops the filter the ACL forbids: ready again
    source.setFilters(['ok/#']);
    expect(source.refused).toEqual([]);
    expect(source.subscribed).toBe(true);
    await source.close();
  });

  it('subscribes a filter added while disconnected even when the broker kept the session', async () => {
    const { source, accepted, pending } = await startSource(10, 'ingest-test-resume');
    const clientAtBroker = () =>
      (broker as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[
        'ingest-test-resume'
      ];
    await until('the session at the broker', () => clientAtBroker() !== undefined);
    // the connection drops (the broker keeps the clean=false session); the filter is added before
    // the reconnect, whose CONNACK then says the session is present
    const closed = new Promise<void>((resolve) =>
      source.client.once('close', () => {
        source.setFilters(['t/#', 'u/#']);
        resolve();
      }),
    );
    clientAtBroker()?.close();
    await closed;
    await until('the source subscribed again', () => source.subscribed, 10_000);
    await publish(1, 'u/x');
    await until('the message on the new filter handed over', () => accepted.length === 1);
    expect(accepted[0]?.topic).toBe('u/x');
    pending[0]?.();
    await until('its PUBACK', () => acks.length === 1);
    await source.close();
  });
});
