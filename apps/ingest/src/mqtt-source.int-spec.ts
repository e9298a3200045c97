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
      if (client.id === 'ingest-test' && packet !== undefined && 'messageId' in packet) {
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
  });

  /** A source whose accept() calls wait for the test: `pending[i]()` commits message i. */
  const startSource = async (maxInflight: number) => {
    const accepted: IncomingMessage[] = [];
    const pending: (() => void)[] = [];
    const source = new MqttSource({
      url: `mqtt://127.0.0.1:${port}`,
      clientId: 'ingest-test',
      username: undefined,
      password: undefined,
      keepaliveS: 30,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      maxInflight,
      now: () => 1_000,
      log: pino({ level: 'silent' }),
      accept: (message) => {
        accepted.push(message);
        return new Promise<void>((resolve) => pending.push(resolve));
      },
    });
    sources.push(source);
    source.setFilters(['t/#']);
    await until('the source connected', () => source.connected);
    await new Promise((resolve) => setTimeout(resolve, 100)); // SUBACK
    return { source, accepted, pending };
  };
  const publish = async (count: number) => {
    const publisher = await connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 });
    publishers.push(publisher);
    for (let i = 1; i <= count; i++) await publisher.publishAsync('t/x', String(i), { qos: 1 });
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
});
