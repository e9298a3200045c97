import { HealthWorld, until } from '../../test/health-world';
import type { TestApi } from '../../test/harness';

const FLEET = Array.from({ length: 12 }, (_, i) => ({
  id: `gd-${i + 1}`,
  kind: 'gown_dispenser',
  siteId: 'st-anne',
  intervalS: 2,
  misses: 2,
}));

/** One sample of a Prometheus text exposition (`name{labels} value`); NaN when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

/**
 * The rule loop's metrics on the API's `/metrics`, for real: the process that owns the loop says
 * so and the other does not; messages, states, detection lags, tickets and suppressions move as
 * devices stop, fault and sit in a maintenance window.
 */
describe('health rule metrics on /metrics (real broker, API, PostgreSQL, MQTT.js devices)', () => {
  let world: HealthWorld;
  let t: TestApi;

  beforeAll(async () => {
    world = await HealthWorld.start(FLEET);
    t = world.registry;
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  const scrape = async (api: TestApi = world.rules as TestApi) => {
    const res = await api.request<string>('GET', '/metrics', { token: null });
    expect(res.status).toBe(200);
    return res.body;
  };

  it('names the owner of the loop, counts what it hears and tracks every device', async () => {
    const first = await scrape();
    expect(sample(first, 'orfleet_health_leader')).toBe(1);
    expect(sample(await scrape(t), 'orfleet_health_leader')).toBe(0);
    expect(sample(await scrape(t), 'orfleet_health_devices_tracked{state="ok"}')).toBe(0);
    await until('all 12 devices ok', async () => {
      const text = await scrape();
      return (
        sample(text, 'orfleet_health_devices_tracked{state="ok"}') === 12 &&
        sample(text, 'orfleet_health_devices_tracked{state="missing"}') === 0
      );
    });
    const heard = sample(first, 'orfleet_health_messages_total{type="heartbeat"}');
    const ticks = sample(first, 'orfleet_health_tick_seconds_count');
    const snapshots = sample(first, 'orfleet_health_snapshot_seconds_count');
    await until('more heartbeats, ticks and snapshots', async () => {
      const text = await scrape();
      return (
        sample(text, 'orfleet_health_messages_total{type="heartbeat"}') >= heard + 12 &&
        sample(text, 'orfleet_health_tick_seconds_count') > ticks &&
        sample(text, 'orfleet_health_snapshot_seconds_count') > snapshots
      );
    });
    // the devices beat every 250 ms; nothing else has been sent yet
    const text = await scrape();
    expect(sample(text, 'orfleet_health_messages_total{type="fault"}')).toBe(0);
    expect(sample(text, 'orfleet_health_tickets_opened_total{rule="missing"}')).toBe(0);
    expect(sample(text, 'orfleet_health_detection_lag_seconds_count')).toBe(0);
  });

  it('a device stops: tracked as missing, one detection lag, one missing ticket', async () => {
    world.stopped.add('gd-3');
    await until('the missing ticket counted', async () => {
      const text = await scrape();
      return sample(text, 'orfleet_health_tickets_opened_total{rule="missing"}') === 1;
    });
    const text = await scrape();
    expect(sample(text, 'orfleet_health_devices_tracked{state="missing"}')).toBe(1);
    expect(sample(text, 'orfleet_health_devices_tracked{state="ok"}')).toBe(11);
    expect(sample(text, 'orfleet_health_detection_lag_seconds_count')).toBe(1);
    // the loop ticks every 100 ms here: seen past the deadline within a few ticks (bounded
    // loosely: a loaded machine delays timers)
    expect(sample(text, 'orfleet_health_detection_lag_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'orfleet_health_detection_lag_seconds_sum')).toBeLessThan(5);
    expect(await world.tickets()).toHaveLength(1);
    world.stopped.delete('gd-3');
    await until(
      'gd-3 ok again',
      async () => sample(await scrape(), 'orfleet_health_devices_tracked{state="missing"}') === 0,
    );
  }, 60_000);

  it('a raised fault: counted as a fault message and a fault ticket', async () => {
    await world
      .client('gd-5')
      .publishAsync(
        'or/st-anne/gown_dispenser/gd-5/fault',
        JSON.stringify({ ts: Date.now(), code: 'JAM', state: 'raised' }),
        { qos: 1 },
      );
    await until('the fault ticket counted', async () => {
      const text = await scrape();
      return sample(text, 'orfleet_health_tickets_opened_total{rule="fault"}') === 1;
    });
    expect(sample(await scrape(), 'orfleet_health_messages_total{type="fault"}')).toBe(1);
  });

  it('a maintenance window: the ticket kept back is counted by reason', async () => {
    const created = await t.request<{ id: string }>('POST', '/api/v1/maintenance-windows', {
      body: {
        deviceId: 'gd-9',
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        reason: 'firmware upgrade',
      },
    });
    expect(created.status).toBe(201);
    // made through the other process: the loop reloads windows every 5 s, well before gd-9's
    // ticket would be decided (2 s × 2 past its last beat, then the 7 s correlation window)
    world.stopped.add('gd-9');
    await until(
      'the suppression counted',
      async () => {
        const text = await scrape();
        return sample(text, 'orfleet_health_suppressed_total{reason="maintenance"}') === 1;
      },
      60_000,
    );
    const text = await scrape();
    expect(sample(text, 'orfleet_health_tickets_opened_total{rule="missing"}')).toBe(1);
    expect((await world.tickets()).filter((x) => x.device_id === 'gd-9')).toEqual([]);
    world.stopped.delete('gd-9');
  }, 90_000);
});
