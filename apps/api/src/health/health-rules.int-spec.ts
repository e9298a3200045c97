import { HealthWorld, until } from '../../test/health-world';
import type { TestApi } from '../../test/harness';
import { seedHospitalStock } from '../tickets/ticket-test-kit';

const FLEET = Array.from({ length: 12 }, (_, i) => ({
  id: `gd-${i + 1}`,
  kind: 'gown_dispenser',
  siteId: 'st-anne',
  intervalS: 2,
  misses: 2,
}));

/**
 * The health rules for real: devices (MQTT.js) → our broker (aedes, registry on PostgreSQL) →
 * the rule loop in a second API process → tickets. Intervals are shortened per device (2 s, 2
 * misses) and the correlation window to 7 s, so the scenarios take seconds, not minutes.
 */
describe('health rules (real broker, API, PostgreSQL, MQTT.js devices)', () => {
  let world: HealthWorld;
  let t: TestApi;

  beforeAll(async () => {
    world = await HealthWorld.start(FLEET, {
      seed: async (registry) => {
        await seedHospitalStock(registry, 'st-anne', 'PSU-DEV-24V', 5);
        await seedHospitalStock(registry, 'st-anne', 'MOTOR-DSP-24V', 0);
        await registry.sql(
          `INSERT INTO store (id, name, tier, region, created_by) VALUES ('r-east', 'Regional east', 'regional', 'east', 'test')`,
        );
        await registry.sql(
          `INSERT INTO stock (part_number, store_id, on_hand, reserved) VALUES ('MOTOR-DSP-24V', 'r-east', 3, 0)`,
        );
      },
    });
    t = world.registry;
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });
  afterEach(() => world.stopped.clear());

  const healthTickets = () => world.tickets();
  const detail = async (id: string) =>
    (
      await t.request<{
        milestones: { code: string; dueAt: string | null; startedAt: string | null }[];
        reservations: { partNumber: string; storeId: string; tier: string; status: string }[];
        events: { type: string; payload: Record<string, unknown> }[];
      }>('GET', `/api/v1/tickets/${id}`)
    ).body;

  it('one dispenser stops: exactly one red ticket with contract due times and the unit reserved; recovery noted; a flap folds into it', async () => {
    world.stopped.add('gd-3');
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

    world.stopped.delete('gd-3');
    await until('the recovery note', async () =>
      (await detail(ticket?.id ?? '')).events.some(
        (e) => e.type === 'note' && String(e.payload['text']).startsWith('recovery observed'),
      ),
    );
    expect((await healthTickets())[0]?.status).not.toMatch(/resolved|closed/);

    world.stopped.add('gd-3');
    await until('the flap counted', async () => (await healthTickets())[0]?.occurrences === 2);
    world.stopped.delete('gd-3');
    expect(await healthTickets()).toHaveLength(1);
  }, 60_000);

  it('a resolved ticket: after the flap cool-down the next outage is a new ticket; within it, the ticket is reopened with a flap count', async () => {
    const mine = async () =>
      (await healthTickets()).filter((x) => x.fingerprint === 'missing:gd-11');
    const recovered = async (id: string) =>
      (await detail(id)).events.some(
        (e) => e.type === 'note' && String(e.payload['text']).startsWith('recovery observed'),
      );
    const resolve = async (id: string) => {
      for (const body of [
        { type: 'acknowledge' },
        { type: 'engage_remote' },
        { type: 'restore', mode: 'remote' },
        { type: 'resolve', text: 'customer confirmed' },
      ]) {
        expect((await t.request('POST', `/api/v1/tickets/${id}/events`, { body })).status).toBe(
          201,
        );
      }
    };

    world.stopped.add('gd-11');
    await until('a ticket for gd-11', async () => (await mine()).length === 1);
    const [first] = await mine();
    world.stopped.delete('gd-11');
    await until('its recovery note', () => recovered(first?.id ?? ''));
    await resolve(first?.id ?? '');
    // resolved longer ago than the cool-down (30 min)
    await t.sql(`UPDATE ticket SET updated_at = now() - interval '31 minutes' WHERE id = $1`, [
      first?.id,
    ]);

    world.stopped.add('gd-11');
    await until('a second ticket', async () => (await mine()).length === 2);
    const [old, fresh] = await mine();
    expect(old).toMatchObject({ id: first?.id, status: 'resolved', occurrences: 1 });
    expect(fresh).toMatchObject({ status: 'new', occurrences: 1, severity: 'red' });
    world.stopped.delete('gd-11');
    await until('the new ticket recovery note', () => recovered(fresh?.id ?? ''));

    await resolve(fresh?.id ?? '');
    world.stopped.add('gd-11');
    await until('the resolved one reopened', async () => (await mine())[1]?.occurrences === 2);
    world.stopped.delete('gd-11');
    const after = await mine();
    expect(after).toHaveLength(2);
    expect(after[1]).toMatchObject({ id: fresh?.id, occurrences: 2 });
    expect(after[1]?.status).not.toMatch(/resolved|closed/);
    expect(after[0]).toMatchObject({ status: 'resolved', occurrences: 1 });
  }, 120_000);

  it('MOTOR_STALL: a red ticket with the motor reserved, from the regional store when the hospital has none', async () => {
    const gd = world.client('gd-5');
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
    const gd = world.client('gd-7');
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
    // made through another API process than the rule loop's: it reloads windows every 5 s
    world.stopped.add('gd-9');
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
    world.stopped.delete('gd-9');
  });

  it('the broker stops: one platform ticket, no device tickets, and nothing opened after it recovers', async () => {
    const before = (await healthTickets()).length;
    const outage = world.restartBroker(12_000); // stopped for 12 s (6 intervals), then back
    await until('the platform ticket', async () =>
      (await healthTickets()).some((x) => x.fingerprint === 'platform'),
    );
    await outage;
    await new Promise((resolve) => setTimeout(resolve, 16_000)); // devices and rules reconnect; deadlines and windows pass
    const after = await healthTickets();
    expect(after.slice(before).map((x) => x.fingerprint)).toEqual(['platform']);
  }, 90_000);
});
