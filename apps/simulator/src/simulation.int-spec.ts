import { mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { startBroker } from '../../broker/src/broker';
import type { RunningBroker } from '../../broker/src/broker';
import { testBrokerConfig } from '../../broker/test/broker-test-kit';
import { startTestApi } from '../../api/test/harness';
import type { TestApi } from '../../api/test/harness';
import { until } from '../../api/test/until';
import { validateScenario } from './scenario.rules';
import type { Scenario } from './scenario.rules';
import { Simulation } from './simulation';

/**
 * The simulator against the real thing: the API on PostgreSQL, orfleet's broker on TCP, the
 * health rules in a second API process. A small hospital registers, connects and beats; a motor
 * stall injected on stdin reaches the broker as a MOTOR_STALL fault and becomes a red ticket with
 * the motor reserved from the hospital store; a second run reuses the registry and the secrets.
 */
const result = validateScenario({
  name: 'int-hospital',
  seed: 5,
  sites: [
    {
      id: 'st-int',
      name: 'Integration Hospital',
      zone: 'city',
      timezone: 'UTC',
      region: 'east',
      suites: 1,
      roomsPerSuite: 2,
      perSuite: { gown_dispenser: 2, recycler: 1, access_gate: 1 },
      areas: 1,
      baseStationsPerArea: 2,
      beaconsPerStation: 1,
      wristbandsPerStation: 2,
      servers: 1,
      switches: 1,
    },
  ],
  stores: [{ id: 'st-int-it', tier: 'hospital', siteId: 'st-int', stock: { 'MOTOR-DSP-24V': 1 } }],
});
if (!result.ok) throw new Error(result.errors.join('\n'));
const scenario: Scenario = result.scenario;
const STALLED = 'st-int-gd-s1-1';

let registry: TestApi;
let rules: TestApi | undefined;
let broker: RunningBroker;
let watcher: MqttClient;
let dataDir: string;
let simulation: Simulation | undefined;
const seen: { topic: string; payload: string }[] = [];
const log: string[] = [];

function start(): Promise<Simulation> {
  return Simulation.start({
    scenario,
    apiUrl: registry.url,
    token: registry.tokens.admin,
    mqttUrl: `mqtt://127.0.0.1:${broker.mqttPort}`,
    dataDir,
    progressMs: 1_000,
    connectPerS: 20,
    log: (line) => log.push(line),
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-sim-'));
  registry = await startTestApi();
  broker = await startBroker(
    testBrokerConfig(registry, {
      ORFLEET_BROKER_FLOOD_LIMITS: 'default=1000',
      ORFLEET_BROKER_CREDENTIAL_TTL_MS: '0', // a rotated secret counts at once
    }),
  );
  watcher = await connectAsync(`mqtt://127.0.0.1:${broker.mqttPort}`, {
    protocolVersion: 4,
    clientId: 'svc:test-device-service',
    username: 'svc:test-device-service',
    password: registry.tokens['device-service'],
  });
  watcher.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  await watcher.subscribeAsync(['or/+/+/+/heartbeat', 'or/+/+/+/sightings', 'or/+/+/+/fault'], {
    qos: 1,
  });
});

afterAll(async () => {
  await simulation?.stop();
  await watcher?.endAsync(true);
  await rules?.close();
  await broker?.close();
  await registry?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('registers the fleet, connects it, and its heartbeats and sightings arrive', async () => {
  simulation = await start();
  const fleet = simulation.fleet;
  const devices = await registry.request<{ items: { id: string; parentId: string | null }[] }>(
    'GET',
    '/api/v1/devices?site=st-int&limit=1000',
  );
  expect(devices.body.items.map((d) => d.id).sort()).toEqual(fleet.devices.map((d) => d.id).sort());
  const secrets = path.join(dataDir, 'int-hospital.secrets.json');
  expect(statSync(secrets).mode & 0o777).toBe(0o600);

  const mqtt = fleet.devices.filter((d) => d.heardBy === undefined);
  await until(
    'every MQTT device connected',
    () => simulation!.runner.stats().connected === mqtt.length,
  );
  await until('a heartbeat from every MQTT device', () =>
    mqtt.every((d) => seen.some((m) => m.topic === `or/st-int/${d.kind}/${d.id}/heartbeat`)),
  );
  const tags = fleet.devices.filter((d) => d.heardBy !== undefined);
  await until('every tag in some base station sightings', () =>
    tags.every((t) =>
      seen.some((m) => m.topic.endsWith('/sightings') && m.payload.includes(`"id":"${t.id}"`)),
    ),
  );
  const beat = seen.find((m) => m.topic === `or/st-int/server/st-int-srv-1/heartbeat`);
  expect(JSON.parse(beat!.payload)).toEqual({
    ts: expect.any(Number),
    seq: 1,
    fw: '2.3.1',
    uptime_s: expect.any(Number),
  });
  await until('a progress line counting the fleet', () =>
    log.some((l) =>
      l.includes(`connected ${mqtt.length}/${mqtt.length} of ${fleet.devices.length} devices`),
    ),
  );
});

it('turns an injected motor stall into a MOTOR_STALL fault and a red ticket with the motor reserved', async () => {
  rules = await startTestApi({
    databaseUrl: registry.databaseUrl,
    env: {
      ORFLEET_HEALTH_ENABLED: 'true',
      ORFLEET_HEALTH_MQTT_URL: `mqtt://127.0.0.1:${broker.mqttPort}`,
      ORFLEET_HEALTH_TICK_MS: '100',
      ORFLEET_HEALTH_SNAPSHOT_MS: '300',
    },
  });
  // the rules listen once they have heard the fleet (base stations beat every 10 s)
  await until(
    'the rules to hear the fleet',
    async () =>
      (await registry.sql(`SELECT 1 FROM device_health WHERE last_seen_at IS NOT NULL LIMIT 1`))
        .length === 1,
    90_000,
  );
  expect(simulation!.command('motor-stall nobody')).toBe('unknown device "nobody" in this fleet');
  expect(simulation!.command(`motor-stall ${STALLED}`)).toBe(`motor-stall ${STALLED}`);

  await until('the MOTOR_STALL fault on the broker', () =>
    seen.some(
      (m) =>
        m.topic === `or/st-int/gown_dispenser/${STALLED}/fault` &&
        m.payload.includes('MOTOR_STALL'),
    ),
  );
  const fault = seen.find((m) => m.topic === `or/st-int/gown_dispenser/${STALLED}/fault`);
  expect(JSON.parse(fault!.payload)).toMatchObject({
    code: 'MOTOR_STALL',
    state: 'raised',
    component: 'motor-1',
  });

  let ticketId = '';
  await until('the red ticket', async () => {
    const rows = await registry.sql<{ id: string }>(
      `SELECT id FROM ticket WHERE fingerprint = $1 AND severity = 'red'`,
      [`fault:${STALLED}:MOTOR_STALL`],
    );
    ticketId = rows[0]?.id ?? '';
    return ticketId !== '';
  });
  const ticket = await registry.request<{
    reservations: { partNumber: string; storeId: string; tier: string; status: string }[];
  }>('GET', `/api/v1/tickets/${ticketId}`);
  expect(ticket.body.reservations).toEqual([
    expect.objectContaining({
      partNumber: 'MOTOR-DSP-24V',
      storeId: 'st-int-it',
      tier: 'hospital',
    }),
  ]);
  await until('the simulator to print the new ticket with its part', () =>
    log.some((l) => l.includes('1 × MOTOR-DSP-24V') && l.includes('from st-int-it (hospital)')),
  );
  const noOtherTickets = await registry.sql<{ fingerprint: string }>(
    `SELECT fingerprint FROM ticket WHERE device_id = $1`,
    [STALLED],
  );
  expect(noOtherTickets.map((t) => t.fingerprint)).toEqual([`fault:${STALLED}:MOTOR_STALL`]);
});

it('reuses the registry on a second run, and rotates the secrets it lost', async () => {
  await simulation!.stop();
  simulation = undefined;
  log.length = 0;
  simulation = await start();
  expect(log).toContainEqual(
    expect.stringMatching(
      /0 devices imported, 0 secrets rotated, 14 reused; 0 spare parts received/,
    ),
  );
  await simulation.stop();

  unlinkSync(path.join(dataDir, 'int-hospital.secrets.json'));
  log.length = 0;
  simulation = await start();
  // the 4 suite devices, 2 stations, a server and a switch get new secrets; tags need none
  expect(log).toContainEqual(
    expect.stringMatching(/0 devices imported, 8 secrets rotated, 6 reused/),
  );
  await until(
    'the fleet connected on its new secrets',
    () => simulation!.runner.stats().connected === 8,
  );
});
