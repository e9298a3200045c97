import { readFileSync } from 'node:fs';
import path from 'node:path';
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

/**
 * The ingest for real: devices (MQTT.js) → our broker (aedes on TCP, registry on PostgreSQL) →
 * ingest → a private influxd 1.6.7, queried back with InfluxQL.
 */
describe('ingest (real broker, influxd 1.6.7, PostgreSQL)', () => {
  let t: TestApi;
  let broker: RunningBroker;
  let influx: TestInfluxd;
  let ingest: RunningIngest;
  const dirs = ingestDirs();
  const secret: Record<string, string> = {};
  const devices: MqttClient[] = [];

  beforeAll(async () => {
    t = await startTestApi();
    Object.assign(
      secret,
      await registerFleet(t, 'st-anne', [
        ['gd-1', 'gown_dispenser'],
        ['bs-1', 'base_station'],
      ]),
    );
    broker = await startBroker(testBrokerConfig(t));
    influx = await startTestInfluxd();
    ingest = await startIngest(
      testIngestConfig({
        ...serviceMqttEnv(t.tokens, broker.mqttPort),
        INFLUX_URL: influx.url,
        ORFLEET_INGEST_DATA_DIR: dirs.dir,
      }),
    );
    await until('the ingest subscribed', () => ingest.source.subscribed);
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.endAsync(true).catch(() => undefined)));
    await ingest?.close();
    await broker?.close();
    await influx?.cleanup();
    await t?.close();
    dirs.remove();
  });

  const device = async (id: string) => {
    const client = await connectDevice(broker.mqttPort, id, secret[id]);
    devices.push(client);
    return client;
  };
  // rows as objects; time as ms since the epoch (InfluxDB trims trailing zeros of RFC 3339)
  const rows = async (q: string) => {
    const series = await influxQuery(influx.url, q, 'orfleet');
    return series.flatMap((s) =>
      (s.values ?? []).map((v) =>
        Object.fromEntries(
          s.columns.map((c, i) => [c, c === 'time' ? Date.parse(String(v[i])) : v[i]]),
        ),
      ),
    );
  };

  const deadLetters = () =>
    readFileSync(path.join(dirs.dir, 'dead-letter', 'dead-letter.ndjson'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${ingest.opsPort}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name))
      .join('\n');
  };

  it('writes every channel as the documented points (docs/telemetry-schema.md)', async () => {
    const ts = Date.now() - 60_000;
    const gd = await device('gd-1');
    const bs = await device('bs-1');
    const publish = (client: MqttClient, topic: string, payload: unknown) =>
      client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    await publish(gd, 'or/st-anne/gown_dispenser/gd-1/heartbeat', {
      ts,
      seq: 7,
      fw: '2.3.1',
      battery_pct: 88,
    });
    await publish(gd, 'or/st-anne/gown_dispenser/gd-1/telemetry', {
      ts: ts + 1,
      motor_state: 'ok',
      motor_current_ma: 412.5,
      stock_level: 86,
      door_open: false,
    });
    await publish(gd, 'or/st-anne/gown_dispenser/gd-1/fault', {
      ts: ts + 2,
      code: 'MOTOR_STALL',
      state: 'raised',
      detail: 'jammed',
    });
    await publish(bs, 'or/st-anne/base_station/bs-1/sightings', {
      ts: ts + 3,
      devices: [
        { id: 'wb-7', rssi_dbm: -67, battery_pct: 81 },
        { id: 'bc-2', rssi_dbm: -88 },
      ],
    });
    await until(
      '4 measurements in InfluxDB',
      async () => (await rows('SELECT * FROM "raw"./.*/')).length >= 5,
    );

    expect(await rows('SELECT * FROM "raw"."heartbeat"')).toEqual([
      expect.objectContaining({
        time: ts,
        site: 'st-anne',
        kind: 'gown_dispenser',
        device: 'gd-1',
        seq: 7,
        fw: '2.3.1',
        battery_pct: 88,
        beat: 1,
      }),
    ]);
    expect(await rows('SELECT * FROM "raw"."telemetry"')).toEqual([
      expect.objectContaining({
        time: ts + 1,
        device: 'gd-1',
        motor_state: 'ok',
        motor_current_ma: 412.5,
        stock_level: 86,
        door_open: false,
      }),
    ]);
    expect(await rows('SELECT * FROM "raw"."fault"')).toEqual([
      expect.objectContaining({
        device: 'gd-1',
        code: 'MOTOR_STALL',
        state: 'raised',
        active: true,
        detail: 'jammed',
      }),
    ]);
    const sightings = await rows('SELECT * FROM "raw"."sighting" GROUP BY "device"');
    expect(sightings.map((s) => [s['rssi_dbm'], s['battery_pct'] ?? null]).sort()).toEqual([
      [-67, 81],
      [-88, null],
    ]);
    expect(await metric('orfleet_ingest_messages_total{channel="sightings"}')).toMatch(/ 1$/);
  });

  it('dead-letters invalid payloads with their reason, counts them, and keeps going', async () => {
    const gd = await device('gd-1');
    const ts = Date.now() - 30_000;
    await gd.publishAsync('or/st-anne/gown_dispenser/gd-1/heartbeat', '{"seq":', { qos: 1 });
    await gd.publishAsync(
      'or/st-anne/gown_dispenser/gd-1/telemetry',
      JSON.stringify({ ts, motor_state: 'melted' }),
      {
        qos: 1,
      },
    );
    await gd.publishAsync('or/st-anne/gown_dispenser/gd-1/heartbeat', Buffer.from([0xff, 0xfe]), {
      qos: 1,
    });
    // the stream goes on: a good heartbeat after the bad ones is written
    await gd.publishAsync(
      'or/st-anne/gown_dispenser/gd-1/heartbeat',
      JSON.stringify({ ts, seq: 8 }),
      { qos: 1 },
    );
    await until(
      'the good heartbeat after the bad ones',
      async () => (await rows('SELECT seq FROM "raw"."heartbeat" WHERE seq = 8')).length === 1,
    );
    expect(
      deadLetters().map((d) => [d['reason'], d['topic'], d['payload'], d['payloadEncoding']]),
    ).toEqual([
      ['PAYLOAD_NOT_JSON', 'or/st-anne/gown_dispenser/gd-1/heartbeat', '{"seq":', 'utf8'],
      [
        'FIELD_INVALID',
        'or/st-anne/gown_dispenser/gd-1/telemetry',
        JSON.stringify({ ts, motor_state: 'melted' }),
        'utf8',
      ],
      ['PAYLOAD_NOT_UTF8', 'or/st-anne/gown_dispenser/gd-1/heartbeat', '//4=', 'base64'],
    ]);
    expect(deadLetters()[1]?.['detail']).toMatch(/motor_state/);
    const invalid = await metric('orfleet_ingest_invalid_messages_total');
    expect(invalid).toContain('orfleet_ingest_invalid_messages_total{reason="PAYLOAD_NOT_JSON"} 1');
    expect(invalid).toContain('orfleet_ingest_invalid_messages_total{reason="FIELD_INVALID"} 1');
    expect(invalid).toContain('orfleet_ingest_invalid_messages_total{reason="PAYLOAD_NOT_UTF8"} 1');
  });

  it('says it is ready, with what it checked', async () => {
    const res = await fetch(`http://127.0.0.1:${ingest.opsPort}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { broker: 'subscribed', spool: 'writable', influx: 'reachable' },
    });
  });
});
