import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { startTestApi } from '../../api/test/harness';
import type { TestApi } from '../../api/test/harness';
import { startBroker } from './broker';
import type { RunningBroker } from './broker';
import { registerFleet, testBrokerConfig } from '../test/broker-test-kit';

/**
 * The broker for real: aedes on ephemeral TCP/WebSocket ports, MQTT.js clients, devices and
 * tokens made through the real API on a real PostgreSQL.
 */
describe('broker (real aedes, MQTT.js, PostgreSQL)', () => {
  let t: TestApi;
  let broker: RunningBroker;
  const secret: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApi();
    Object.assign(
      secret,
      await registerFleet(t, 'st-anne', [
        ['gd-1', 'gown_dispenser'],
        ['gd-2', 'gown_dispenser'],
        ['gd-old', 'gown_dispenser'],
        ['gd-rot', 'gown_dispenser'],
        ['bs-1', 'base_station'],
      ]),
    );
    await t.request('PATCH', '/api/v1/devices/gd-old', { body: { status: 'retired' } });
    broker = await startBroker(
      testBrokerConfig(t, {
        ORFLEET_BROKER_MAX_PACKET_BYTES: '65536',
        ORFLEET_BROKER_CREDENTIAL_TTL_MS: '300',
        ORFLEET_BROKER_KEEPALIVE_MIN_S: '1',
      }),
    );
  });
  afterAll(async () => {
    await broker?.close();
    await t?.close();
  });

  const clients: MqttClient[] = [];
  let sessions = 0;
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  const connect = async (options: IClientOptions, transport: 'mqtt' | 'ws' = 'mqtt') => {
    const url =
      transport === 'mqtt'
        ? `mqtt://127.0.0.1:${broker.mqttPort}`
        : `ws://127.0.0.1:${broker.wsPort}/mqtt`;
    const client = await connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...options,
    });
    clients.push(client);
    return client;
  };
  const device = (id: string, extra: IClientOptions = {}) =>
    connect({ clientId: id, username: id, password: secret[id], ...extra });
  const service = () =>
    connect({
      clientId: `svc:test-device-service:${++sessions}`,
      username: 'svc:test-device-service',
      password: t.tokens['device-service'],
    });
  const refusal = async (options: IClientOptions): Promise<number | undefined> => {
    try {
      await connect(options);
      return undefined;
    } catch (error) {
      return (error as { code?: number }).code;
    }
  };
  const closed = (client: MqttClient, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${client.options.clientId}: connection not closed within ${ms} ms`)),
        ms,
      );
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  const nextMessage = (client: MqttClient) =>
    new Promise<{ topic: string; payload: string }>((resolve) =>
      client.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })),
    );

  it('lets a device publish its heartbeat and a service receive it', async () => {
    const ingest = await service();
    await ingest.subscribeAsync('or/#', { qos: 1 });
    const gd = await device('gd-1');
    const got = nextMessage(ingest);
    await gd.publishAsync('or/st-anne/gown_dispenser/gd-1/heartbeat', '{"seq":1}', { qos: 1 });
    expect(await got).toEqual({
      topic: 'or/st-anne/gown_dispenser/gd-1/heartbeat',
      payload: '{"seq":1}',
    });
  });

  it.each([
    ['a wrong secret', { clientId: 'gd-1', username: 'gd-1', password: 'dev_wrong' }, 4],
    ['an unknown device', { clientId: 'gd-404', username: 'gd-404', password: 'dev_x' }, 4],
    ['no password', { clientId: 'gd-1', username: 'gd-1' }, 4],
    ['a client id that is not the device', { clientId: 'gd-2', username: 'gd-1' }, 2],
    [
      'an unknown service token',
      { clientId: 'svc:ingest', username: 'svc:ingest', password: 'orf_nope' },
      4,
    ],
  ])('refuses %s', async (_label, options, code) => {
    const opts = { ...options } as IClientOptions;
    if (opts.clientId === 'gd-2' && opts.username === 'gd-1') opts.password = secret['gd-1'];
    expect(await refusal(opts)).toBe(code);
  });

  it("refuses a service account taking a device's client id (and so its session)", async () => {
    const options = {
      clientId: 'gd-1',
      username: 'svc:test-device-service',
      password: t.tokens['device-service'],
    };
    expect(await refusal(options)).toBe(2);
  });

  it('refuses a retired device with CONNACK 5 (not authorized)', async () => {
    expect(
      await refusal({ clientId: 'gd-old', username: 'gd-old', password: secret['gd-old'] }),
    ).toBe(5);
  });

  it('accepts a client id "<device>:<suffix>" for a second session of the same device', async () => {
    const gd = await device('gd-2', { clientId: 'gd-2:diag' });
    expect(gd.connected).toBe(true);
  });

  it('refuses a rotated secret once the credential cache entry expires', async () => {
    const old = secret['gd-rot'];
    const rotated = await t.request<{ secret: string }>('POST', '/api/v1/devices/gd-rot/secret');
    await new Promise((r) => setTimeout(r, 400)); // the test's cache TTL is 300 ms
    expect(await refusal({ clientId: 'gd-rot', username: 'gd-rot', password: old })).toBe(4);
    const ok = await connect({
      clientId: 'gd-rot',
      username: 'gd-rot',
      password: rotated.body.secret,
    });
    expect(ok.connected).toBe(true);
  });

  it("closes the connection of a device publishing on another device's topic", async () => {
    const gd = await device('gd-1');
    // its own topic first: what the ACL allowed before must not let another topic through
    await gd.publishAsync('or/st-anne/gown_dispenser/gd-1/heartbeat', '{}', { qos: 1 });
    const gone = closed(gd);
    gd.publish('or/st-anne/gown_dispenser/gd-2/heartbeat', '{}', { qos: 1 });
    await gone;
    const body = await (await fetch(`http://127.0.0.1:${broker.opsPort}/metrics`)).text();
    expect(body).toMatch(
      /orfleet_broker_acl_denied_total\{op="publish",reason="NOT_OWN_TOPIC"\} [1-9]/,
    );
  });

  it('closes the connection of a device publishing at QoS 2 on a topic it used at QoS 1', async () => {
    const gd = await device('gd-1');
    await gd.publishAsync('or/st-anne/gown_dispenser/gd-1/heartbeat', '{}', { qos: 1 });
    const gone = closed(gd);
    gd.publish('or/st-anne/gown_dispenser/gd-1/heartbeat', '{}', { qos: 2 });
    await gone;
    const body = await (await fetch(`http://127.0.0.1:${broker.opsPort}/metrics`)).text();
    expect(body).toMatch(
      /orfleet_broker_acl_denied_total\{op="publish",reason="QOS2_PUBLISH"\} [1-9]/,
    );
  });

  it('refuses # and $share subscriptions (SUBACK 128), grants its own commands', async () => {
    const gd = await device('gd-1');
    const filters = [
      '#',
      '$share/g/or/st-anne/gown_dispenser/gd-1/cmd/#',
      'or/st-anne/gown_dispenser/gd-1/cmd/#',
    ];
    // MQTT.js rejects a SUBACK holding 128; the SUBACK itself rides on the error
    const suback = await gd
      .subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos: 2 as const }])))
      .then(
        () => undefined,
        (error: { packet?: { granted?: number[] } }) => error.packet?.granted,
      );
    // Refused filters get 128. The own-commands filter is stored at QoS 1, but aedes 1.2 echoes
    // the requested QoS in the SUBACK (it copies it before authorizeSubscribe runs).
    expect(suback).toEqual([128, 128, 2]);
  });

  it('delivers a command from a service to the device', async () => {
    const gd = await device('gd-1');
    await gd.subscribeAsync('or/st-anne/gown_dispenser/gd-1/cmd/#', { qos: 1 });
    const api = await service();
    const got = nextMessage(gd);
    await api.publishAsync('or/st-anne/gown_dispenser/gd-1/cmd/reboot', '{}', { qos: 1 });
    expect((await got).topic).toBe('or/st-anne/gown_dispenser/gd-1/cmd/reboot');
  });

  it('closes a connection announcing an oversize packet before its body arrives', async () => {
    const socket = createConnection(broker.mqttPort, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const ended = new Promise<void>((r) => socket.once('close', () => r()));
    // PUBLISH header announcing 10 MiB (remaining length 0x80 0x80 0x80 0x05), no body sent
    socket.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x05]));
    await ended;
    const body = await (await fetch(`http://127.0.0.1:${broker.opsPort}/metrics`)).text();
    expect(body).toMatch(/orfleet_broker_oversize_packets_total [1-9]/);
  });

  it('publishes presence: online on connect, offline on disconnect and on keepalive timeout', async () => {
    const watcher = await service();
    await watcher.subscribeAsync('orfleet/presence/bs-1', { qos: 1 });
    const states: { state: string; reason: string }[] = [];
    watcher.on('message', (_topic, payload) =>
      states.push(JSON.parse(payload.toString()) as { state: string; reason: string }),
    );
    const bs = await device('bs-1');
    await bs.endAsync();
    // a client that stops talking: keepalive 1 s, then silence (MQTT.js would ping, so raw TCP)
    const socket = createConnection(broker.mqttPort, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(connectPacket('bs-1', 'bs-1', secret['bs-1'] ?? '', 1));
    const deadline = Date.now() + 10_000;
    while (states.filter((s) => s.state === 'offline').length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    socket.destroy();
    expect(states.map((s) => `${s.state}:${s.reason}`)).toEqual(
      expect.arrayContaining(['online:connect', 'offline:disconnect', 'offline:keepalive_timeout']),
    );
  });

  it("publishes a vanished device's will and says so in its presence event", async () => {
    const watcher = await service();
    await watcher.subscribeAsync('orfleet/presence/gd-1', { qos: 1 });
    await watcher.subscribeAsync('or/st-anne/gown_dispenser/gd-1/fault', { qos: 1 });
    const willArrived = new Promise<string>((resolve) =>
      watcher.on('message', (topic, payload) => {
        if (topic.endsWith('/fault')) resolve(payload.toString());
      }),
    );
    const offline = new Promise<Record<string, unknown>>((resolve) =>
      watcher.on('message', (_topic, payload, packet) => {
        if (packet.retain) return;
        const body = JSON.parse(payload.toString()) as Record<string, unknown>;
        if (body['state'] === 'offline') resolve(body);
      }),
    );
    const will = {
      topic: 'or/st-anne/gown_dispenser/gd-1/fault',
      payload: Buffer.from('{"lost":true}'),
      qos: 1 as const,
      retain: false,
    };
    const gd = await device('gd-1', { will });
    gd.stream.destroy(); // no DISCONNECT: the connection is lost
    const event = await offline;
    expect(event).toMatchObject({
      device: 'gd-1',
      state: 'offline',
      reason: 'connection_lost',
      will: true,
    });
    expect(await willArrived).toBe('{"lost":true}');

    // a clean DISCONNECT publishes no will, and says so
    const next = new Promise<Record<string, unknown>>((resolve) =>
      watcher.on('message', (_topic, payload, packet) => {
        const body = JSON.parse(payload.toString()) as Record<string, unknown>;
        if (!packet.retain && body['state'] === 'offline' && body['reason'] === 'disconnect')
          resolve(body);
      }),
    );
    const again = await device('gd-1', { will });
    await again.endAsync();
    expect(await next).toMatchObject({ device: 'gd-1', will: false });
  });

  it.each([
    ['0 (disabled)', 0],
    ['above the maximum', 601],
  ])('refuses keepalive %s with CONNACK 2, as Mosquitto does', async (_label, keepalive) => {
    expect(
      await refusal({ clientId: 'gd-2', username: 'gd-2', password: secret['gd-2'], keepalive }),
    ).toBe(2);
    const body = await (await fetch(`http://127.0.0.1:${broker.opsPort}/metrics`)).text();
    expect(body).toMatch(
      /orfleet_broker_connections_refused_total\{reason="KEEPALIVE_OUT_OF_BOUNDS"\} [1-9]/,
    );
  });

  it('does not report a device offline when its own reconnect takes the session over', async () => {
    const watcher = await service();
    await watcher.subscribeAsync('orfleet/presence/gd-2', { qos: 1 });
    const states: string[] = [];
    watcher.on('message', (_topic, payload, packet) => {
      // the retained state of earlier tests arrives first: only live events count here
      if (!packet.retain) states.push((JSON.parse(payload.toString()) as { state: string }).state);
    });
    await device('gd-2');
    await device('gd-2'); // same client id: aedes closes the first session
    await new Promise((r) => setTimeout(r, 300));
    expect(states.at(-1)).toBe('online');
    expect(states.filter((s) => s === 'offline')).toEqual([]);
  });

  it('accepts devices over WebSocket on /mqtt', async () => {
    const gd = await connect(
      { clientId: 'gd-1', username: 'gd-1', password: secret['gd-1'] },
      'ws',
    );
    await gd.publishAsync('or/st-anne/gown_dispenser/gd-1/heartbeat', '{}', { qos: 1 });
    expect(gd.connected).toBe(true);
  });

  describe('guard-rails (a second broker with tight limits)', () => {
    let strict: RunningBroker;
    beforeAll(async () => {
      strict = await startBroker(
        testBrokerConfig(t, {
          ORFLEET_BROKER_WS_PORT: 'off',
          ORFLEET_BROKER_FLAP_MAX_CONNECTS: '3',
          ORFLEET_BROKER_BAN_MS: '1500',
          ORFLEET_BROKER_FLOOD_LIMITS: 'default=5',
          ORFLEET_BROKER_FLOOD_GRACE_MS: '1000',
          ORFLEET_BROKER_OFFLINE_QUEUE_MAX: '5',
          ORFLEET_BROKER_SERVICE_QUEUE_MAX: '10',
        }),
      );
    });
    afterAll(async () => {
      await strict?.close();
    });
    const strictConnect = (id: string) =>
      connectAsync(`mqtt://127.0.0.1:${strict.mqttPort}`, {
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 3_000,
        clientId: id,
        username: id,
        password: secret[id],
      });

    it('bans a flapping device, lists the ban, and lets it back after the ban time', async () => {
      for (let i = 0; i < 3; i++) await (await strictConnect('gd-2')).endAsync();
      await expect(strictConnect('gd-2')).rejects.toThrow(); // 4th connect in the window: flapping
      await expect(strictConnect('gd-2')).rejects.toThrow(); // banned
      const bans = (await (await fetch(`http://127.0.0.1:${strict.opsPort}/bans`)).json()) as {
        key: string;
      }[];
      expect(bans.map((b) => b.key)).toEqual(['client:gd-2']);
      await new Promise((r) => setTimeout(r, 1_600));
      const back = await strictConnect('gd-2');
      expect(back.connected).toBe(true);
      await back.endAsync();
      const body = await (await fetch(`http://127.0.0.1:${strict.opsPort}/metrics`)).text();
      expect(body).toMatch(/orfleet_broker_connections_refused_total\{reason="FLAPPING"\} 1/);
      expect(body).toMatch(/orfleet_broker_connections_refused_total\{reason="BANNED"\} [1-9]/);
    });

    it('keeps at most the bound of messages for an offline session, counting the rest', async () => {
      const session = {
        clean: false,
        clientId: 'gd-1',
        username: 'gd-1',
        password: secret['gd-1'],
      };
      const url = `mqtt://127.0.0.1:${strict.mqttPort}`;
      const first = await connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...session });
      await first.subscribeAsync('or/st-anne/gown_dispenser/gd-1/cmd/#', { qos: 1 });
      await first.endAsync();
      const api = await connectAsync(url, {
        protocolVersion: 4,
        reconnectPeriod: 0,
        clientId: 'svc:test-device-service:api',
        username: 'svc:test-device-service',
        password: t.tokens['device-service'],
      });
      for (let i = 0; i < 8; i++) {
        await api.publishAsync(`or/st-anne/gown_dispenser/gd-1/cmd/c${i}`, '{}', { qos: 1 });
      }
      await api.endAsync();
      const received: string[] = [];
      const back = await connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...session });
      back.on('message', (topic) => received.push(topic.split('/').pop() ?? ''));
      const deadline = Date.now() + 3_000;
      while (received.length < 5 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200)); // nothing more may come
      await back.endAsync();
      expect(received).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
      const body = await (await fetch(`http://127.0.0.1:${strict.opsPort}/metrics`)).text();
      expect(body).toMatch(/orfleet_broker_offline_dropped_total\{session="device"\} 3/);
    });

    it("keeps a service session's queue to the service bound, larger than a device's", async () => {
      // the ingest's session while it restarts: the fleet's data waits in it
      const session = {
        clean: false,
        clientId: 'svc:test-device-service:ingest',
        username: 'svc:test-device-service',
        password: t.tokens['device-service'],
      };
      const url = `mqtt://127.0.0.1:${strict.mqttPort}`;
      const first = await connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...session });
      await first.subscribeAsync('or/st-anne/gown_dispenser/gd-3/cmd/#', { qos: 1 });
      await first.endAsync();
      const api = await connectAsync(url, {
        protocolVersion: 4,
        reconnectPeriod: 0,
        clientId: 'svc:test-device-service:api3',
        username: 'svc:test-device-service',
        password: t.tokens['device-service'],
      });
      // 12: past the device bound of 5, and 2 past the service bound of 10
      for (let i = 0; i < 12; i++) {
        await api.publishAsync(`or/st-anne/gown_dispenser/gd-3/cmd/c${i}`, '{}', { qos: 1 });
      }
      await api.endAsync();
      const received: string[] = [];
      const back = await connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...session });
      back.on('message', (topic) => received.push(topic.split('/').pop() ?? ''));
      const deadline = Date.now() + 3_000;
      while (received.length < 10 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200)); // nothing more may come
      await back.endAsync();
      expect(received).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`));
      const body = await (await fetch(`http://127.0.0.1:${strict.opsPort}/metrics`)).text();
      expect(body).toMatch(/orfleet_broker_offline_dropped_total\{session="service"\} 2/);
      expect(body).toMatch(/orfleet_broker_offline_dropped_total\{session="device"\} 3/);
    });

    it('does not bound the messages of a connected clean=false session (only offline ones)', async () => {
      const url = `mqtt://127.0.0.1:${strict.mqttPort}`;
      const device = await connectAsync(url, {
        protocolVersion: 4,
        reconnectPeriod: 0,
        clean: false,
        clientId: 'gd-2',
        username: 'gd-2',
        password: secret['gd-2'],
      });
      await device.subscribeAsync('or/st-anne/gown_dispenser/gd-2/cmd/#', { qos: 1 });
      const received: string[] = [];
      device.on('message', (topic) => received.push(topic.split('/').pop() ?? ''));
      const api = await connectAsync(url, {
        protocolVersion: 4,
        reconnectPeriod: 0,
        clientId: 'svc:test-device-service:api2',
        username: 'svc:test-device-service',
        password: t.tokens['device-service'],
      });
      const before = await (await fetch(`http://127.0.0.1:${strict.opsPort}/metrics`)).text();
      const dropped = /orfleet_broker_offline_dropped_total\{session="device"\} (\d+)/.exec(
        before,
      )?.[1];
      expect(dropped).toBeDefined();
      // three times the bound of 5, to a client that is there
      for (let i = 0; i < 15; i++) {
        await api.publishAsync(`or/st-anne/gown_dispenser/gd-2/cmd/c${i}`, '{}', { qos: 1 });
      }
      const deadline = Date.now() + 3_000;
      while (received.length < 15 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await api.endAsync();
      await device.endAsync();
      expect(received).toEqual(Array.from({ length: 15 }, (_, i) => `c${i}`));
      const after = await (await fetch(`http://127.0.0.1:${strict.opsPort}/metrics`)).text();
      expect(
        /orfleet_broker_offline_dropped_total\{session="device"\} (\d+)/.exec(after)?.[1],
      ).toBe(dropped);
    });

    it('throttles a flooding device, then disconnects it', async () => {
      const flooder = await strictConnect('bs-1');
      const gone = closed(flooder);
      const started = Date.now();
      for (let i = 0; i < 200; i++)
        flooder.publish('or/st-anne/base_station/bs-1/heartbeat', '{}', { qos: 0 });
      await gone;
      // 5/s with a burst of 10, a grace of 1 s: disconnected after about a second of throttling
      expect(Date.now() - started).toBeGreaterThan(900);
      const body = await (await fetch(`http://127.0.0.1:${strict.opsPort}/metrics`)).text();
      expect(body).toMatch(/orfleet_broker_publishes_throttled_total [1-9]/);
      expect(body).toMatch(/orfleet_broker_flood_disconnects_total 1/);
    });
  });

  describe('TLS (certificates made with openssl for the test)', () => {
    let secure: RunningBroker;
    let pki: Pki;
    beforeAll(async () => {
      pki = makePki(['gd-1']);
      secure = await startBroker(
        testBrokerConfig(t, {
          ORFLEET_BROKER_WS_PORT: 'off',
          ORFLEET_BROKER_TLS_PORT: '0',
          ORFLEET_BROKER_TLS_CERT: pki.serverCert,
          ORFLEET_BROKER_TLS_KEY: pki.serverKey,
          ORFLEET_BROKER_TLS_CA: pki.caCert,
        }),
      );
    });
    afterAll(async () => {
      await secure?.close();
      pki?.remove();
    });
    const tlsConnect = async (options: IClientOptions) => {
      const client = await connectAsync(`mqtts://127.0.0.1:${secure.tlsPort}`, {
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5_000,
        ca: readFileSync(pki.caCert),
        servername: 'localhost',
        ...options,
      });
      clients.push(client);
      return client;
    };
    const tlsRefusal = (options: IClientOptions) =>
      tlsConnect(options).then(
        () => undefined,
        (error: { code?: number }) => error.code,
      );

    it('accepts a device with its password over TLS', async () => {
      const gd = await tlsConnect({ clientId: 'gd-1', username: 'gd-1', password: secret['gd-1'] });
      await gd.publishAsync('or/st-anne/gown_dispenser/gd-1/heartbeat', '{}', { qos: 1 });
      expect(gd.connected).toBe(true);
    });

    it('accepts a device by its client certificate (CN = device id), without a password', async () => {
      const cert = pki.client('gd-1');
      const gd = await tlsConnect({
        clientId: 'gd-1',
        username: 'gd-1',
        key: readFileSync(cert.key),
        cert: readFileSync(cert.cert),
      });
      await gd.publishAsync('or/st-anne/gown_dispenser/gd-1/heartbeat', '{}', { qos: 1 });
      expect(gd.connected).toBe(true);
    });

    it("refuses a certificate's CN used for another device's session", async () => {
      const cert = pki.client('gd-1');
      expect(
        await tlsRefusal({
          clientId: 'gd-2',
          username: 'gd-2',
          key: readFileSync(cert.key),
          cert: readFileSync(cert.cert),
        }),
      ).toBe(2);
    });

    it('ignores a certificate from another CA: a password is needed then', async () => {
      const foreign = makePki(['gd-1']);
      try {
        const cert = foreign.client('gd-1');
        expect(
          await tlsRefusal({
            clientId: 'gd-1',
            username: 'gd-1',
            key: readFileSync(cert.key),
            cert: readFileSync(cert.cert),
          }),
        ).toBe(4);
      } finally {
        foreign.remove();
      }
    });
  });

  it('answers health, readiness and metrics on the operations port', async () => {
    const base = `http://127.0.0.1:${broker.opsPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const body = await (await fetch(`${base}/metrics`)).text();
    expect(body).toMatch(/orfleet_broker_connections_refused_total\{reason="BAD_SECRET"\} [1-9]/);
    expect(body).toMatch(/orfleet_broker_messages_in_total\{channel="heartbeat"\} [1-9]/);
  });
});

interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  client(cn: string): { cert: string; key: string };
  remove(): void;
}

/** A throw-away CA, a server certificate for localhost/127.0.0.1, and client certificates. */
function makePki(clientCns: string[]): Pki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-pki-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const file = (name: string) => path.join(dir, name);
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=orfleet test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  const issue = (name: string, cn: string, extension: string) => {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    writeFileSync(file(`${name}.ext`), extension);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  };
  issue(
    'server',
    'localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  for (const cn of clientCns) issue(`client-${cn}`, cn, 'extendedKeyUsage=clientAuth\n');
  return {
    caCert: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    client: (cn) => ({ cert: file(`client-${cn}.pem`), key: file(`client-${cn}.key`) }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A raw MQTT 3.1.1 CONNECT packet (clean session). */
function connectPacket(
  clientId: string,
  username: string,
  password: string,
  keepaliveS: number,
): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const variable = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, 0b11000010, keepaliveS >> 8, keepaliveS & 0xff]),
  ]);
  const payload = Buffer.concat([str(clientId), str(username), str(password)]);
  const body = Buffer.concat([variable, payload]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}
