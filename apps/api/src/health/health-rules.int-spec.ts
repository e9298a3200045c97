import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { startBroker } from '../../../broker/src/broker';
import type { RunningBroker } from '../../../broker/src/broker';
import { registerFleet, testBrokerConfig } from '../../../broker/test/broker-test-kit';
import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { seedHospitalStock } from '../tickets/ticket-test-kit';

const FLEET = Array.from({ length: 12 }, (_, i) => `gd-${i + 1}`);

interface TicketRow {
  id: string;
  severity: string;
  fingerprint: string;
  device_id: string | null;
  status: string;
  occurrences: number;
  category: string;
}

/**
 * The health rules for real: devices (MQTT.js) → our broker (aedes, registry on PostgreSQL) →
 * the rule loop in an API process → tickets. Intervals are shortened per device (1 s, 2 misses)
 * and the correlation window to 4 s, so the scenarios take seconds, not minutes.
 */
describe('health rules (real broker, API, PostgreSQL, MQTT.js devices)', () => {
  let registry: TestApi;
  let t: TestApi;
  let broker: RunningBroker;
  const secret: Record<string, string> = {};
  const devices = new Map<string, MqttClient>();
  const stopped = new Set<string>();
  let beat: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    registry = await startTestApi();
    Object.assign(
      secret,
      await registerFleet(
        registry,
        'st-anne',
        FLEET.map((id) => [id, 'gown_dispenser'] as const),
      ),
    );
    await registry.sql(`UPDATE device SET heartbeat_interval_s = 1, misses_before_missing = 2`);
    await seedHospitalStock(registry, 'st-anne', 'PSU-DEV-24V', 5);
    await seedHospitalStock(registry, 'st-anne', 'MOTOR-DSP-24V', 0);
    await registry.sql(
      `INSERT INTO store (id, name, tier, region, created_by) VALUES ('r-east', 'Regional east', 'regional', 'east', 'test')`,
    );
    await registry.sql(
      `INSERT INTO stock (part_number, store_id, on_hand, reserved) VALUES ('MOTOR-DSP-24V', 'r-east', 3, 0)`,
    );
    broker = await startBroker(
      testBrokerConfig(registry, { ORFLEET_BROKER_FLOOD_LIMITS: 'default=100000' }),
    );
    for (const id of FLEET) {
      devices.set(
        id,
        await connectAsync(`mqtt://127.0.0.1:${broker.mqttPort}`, {
          protocolVersion: 4,
          clientId: id,
          username: id,
          password: secret[id],
          reconnectPeriod: 500,
        }),
      );
    }
    // every device beats every 250 ms (interval 1 s) unless the test stopped it
    beat = setInterval(() => {
      for (const [id, client] of devices) {
        if (stopped.has(id) || !client.connected) continue;
        client.publish(
          `or/st-anne/gown_dispenser/${id}/heartbeat`,
          JSON.stringify({ ts: Date.now() }),
          { qos: 0 },
        );
      }
    }, 250);
    // the rule loop runs in a second API process on the same database
    t = await startTestApi({
      databaseUrl: registry.databaseUrl,
      env: {
        ORFLEET_HEALTH_ENABLED: 'true',
        ORFLEET_HEALTH_MQTT_URL: `mqtt://127.0.0.1:${broker.mqttPort}`,
        ORFLEET_HEALTH_CORRELATION_MS: '4000',
        ORFLEET_HEALTH_TICK_MS: '100',
        ORFLEET_HEALTH_SNAPSHOT_MS: '300',
      },
    });
    await until('the rules to hear the fleet', async () => {
      const rows = await t.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM device_health WHERE last_seen_at IS NOT NULL`,
      );
      return rows[0]?.n === FLEET.length;
    });
  });
  afterAll(async () => {
    clearInterval(beat);
    await Promise.all([...devices.values()].map((c) => c.endAsync(true).catch(() => undefined)));
    await t?.close();
    await broker?.close();
    await registry?.close();
  });

  const until = async (what: string, probe: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const healthTickets = () =>
    t.sql<TicketRow>(
      `SELECT id, severity, fingerprint, device_id, status, occurrences, category FROM ticket
        WHERE source = 'health-rule' ORDER BY created_at`,
    );
  const detail = async (id: string) =>
    (
      await t.request<{
        milestones: { code: string; dueAt: string | null; startedAt: string | null }[];
        reservations: { partNumber: string; storeId: string; tier: string; status: string }[];
        events: { type: string; payload: Record<string, unknown> }[];
      }>('GET', `/api/v1/tickets/${id}`)
    ).body;

  it('one dispenser stops: exactly one red ticket with contract due times and the unit reserved; recovery noted; a flap folds into it', async () => {
    stopped.add('gd-3');
    await until('a ticket for gd-3', async () => (await healthTickets()).length === 1);
    const [ticket] = await healthTickets();
    expect(ticket).toMatchObject({
      severity: 'red',
      fingerprint: 'missing:gd-3',
      device_id: 'gd-3',
      category: 'device-unusable',
      occurrences: 1,
    });
    const body = await detail(ticket?.id ?? '');
    const respond = body.milestones.find((m) => m.code === 'RESPOND');
    const resolve = body.milestones.find((m) => m.code === 'RESOLVE');
    // contract: red respond 30 min, resolve 4 h (24x7 for red)
    expect(Date.parse(respond?.dueAt ?? '') - Date.parse(respond?.startedAt ?? '')).toBe(
      30 * 60_000,
    );
    expect(Date.parse(resolve?.dueAt ?? '') - Date.parse(resolve?.startedAt ?? '')).toBe(
      4 * 3_600_000,
    );
    expect(body.reservations).toEqual([
      expect.objectContaining({
        partNumber: 'PSU-DEV-24V',
        storeId: 'h-st-anne',
        tier: 'hospital',
      }),
    ]);

    stopped.delete('gd-3');
    await until('the recovery note', async () =>
      (await detail(ticket?.id ?? '')).events.some(
        (e) => e.type === 'note' && String(e.payload['text']).startsWith('recovery observed'),
      ),
    );
    expect((await healthTickets())[0]?.status).not.toMatch(/resolved|closed/);

    stopped.add('gd-3');
    await until('the flap counted', async () => (await healthTickets())[0]?.occurrences === 2);
    stopped.delete('gd-3');
    expect(await healthTickets()).toHaveLength(1);
  }, 60_000);

  it('MOTOR_STALL: a red ticket with the motor reserved, from the regional store when the hospital has none', async () => {
    const gd = devices.get('gd-5') as MqttClient;
    await gd.publishAsync(
      'or/st-anne/gown_dispenser/gd-5/fault',
      JSON.stringify({ ts: Date.now(), code: 'MOTOR_STALL', state: 'raised', detail: 'jammed' }),
      { qos: 1 },
    );
    await until('the fault ticket', async () =>
      (await healthTickets()).some((x) => x.fingerprint === 'fault:gd-5:MOTOR_STALL'),
    );
    const ticket = (await healthTickets()).find((x) => x.fingerprint === 'fault:gd-5:MOTOR_STALL');
    expect(ticket).toMatchObject({ severity: 'red', device_id: 'gd-5', category: 'fault' });
    expect((await detail(ticket?.id ?? '')).reservations).toEqual([
      expect.objectContaining({ partNumber: 'MOTOR-DSP-24V', storeId: 'r-east', tier: 'regional' }),
    ]);
  });

  it('1,000 identical faults in a burst: one open ticket counting 1,000', async () => {
    const gd = devices.get('gd-7') as MqttClient;
    const payload = JSON.stringify({ ts: Date.now(), code: 'JAM', state: 'raised' });
    await Promise.all(
      Array.from({ length: 1_000 }, () =>
        gd.publishAsync('or/st-anne/gown_dispenser/gd-7/fault', payload, { qos: 1 }),
      ),
    );
    await until(
      '1,000 occurrences',
      async () =>
        (await healthTickets()).find((x) => x.fingerprint === 'fault:gd-7:JAM')?.occurrences ===
        1_000,
      60_000,
    );
    expect((await healthTickets()).filter((x) => x.fingerprint === 'fault:gd-7:JAM')).toHaveLength(
      1,
    );
  }, 90_000);

  it('a maintenance window suppresses the ticket, and its audit shows it', async () => {
    const created = await t.request<{ id: string }>('POST', '/api/v1/maintenance-windows', {
      body: {
        deviceId: 'gd-9',
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        reason: 'firmware upgrade',
      },
    });
    expect(created.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the loop reloads windows on change
    stopped.add('gd-9');
    await until('the suppression recorded', async () => {
      const res = await t.request<{ suppressed: { fingerprint: string; rule: string }[] }>(
        'GET',
        `/api/v1/maintenance-windows/${created.body.id}`,
      );
      return res.body.suppressed.some(
        (s) => s.fingerprint === 'missing:gd-9' && s.rule === 'missing',
      );
    });
    expect((await healthTickets()).filter((x) => x.device_id === 'gd-9')).toEqual([]);
    stopped.delete('gd-9');
  });

  it('the broker stops: one platform ticket, no device tickets, and nothing opened after it recovers', async () => {
    const before = (await healthTickets()).length;
    const port = broker.mqttPort;
    await broker.close();
    await until('the platform ticket', async () =>
      (await healthTickets()).some((x) => x.fingerprint === 'platform'),
    );
    await new Promise((resolve) => setTimeout(resolve, 8_000)); // the outage goes on
    broker = await startBroker(
      testBrokerConfig(registry, {
        ORFLEET_BROKER_PORT: String(port),
        ORFLEET_BROKER_FLOOD_LIMITS: 'default=100000',
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 12_000)); // devices and rules reconnect; deadlines pass
    const after = await healthTickets();
    expect(after.slice(before).map((x) => x.fingerprint)).toEqual(['platform']);
  }, 90_000);
});
