import { HealthWorld, until } from '../../test/health-world';
import type { TestApi } from '../../test/harness';

// gd-1 and gd-4 start with a long own span (30 s × 3), the rest 2 s × 2; devices beat every
// 250 ms
const LONG = new Set(['gd-1', 'gd-4']);
const FLEET = Array.from({ length: 12 }, (_, i) => ({
  id: `gd-${i + 1}`,
  kind: 'gown_dispenser',
  siteId: 'st-anne',
  intervalS: LONG.has(`gd-${i + 1}`) ? 30 : 2,
  misses: LONG.has(`gd-${i + 1}`) ? 3 : 2,
}));

const CORRELATION_MS = 7_000; // health-world's window

/**
 * Heartbeat overrides PATCHed through the registry API (one API process) reach the rule loop
 * (another process on the same database) at its registry refresh, and move a running device's
 * deadline: shorter, a silent device is ticketed long before its old deadline; longer, not before
 * its new one.
 */
describe('health rules honour heartbeat overrides PATCHed through the API', () => {
  let world: HealthWorld;
  let t: TestApi;

  beforeAll(async () => {
    world = await HealthWorld.start(FLEET, {
      rulesEnv: { ORFLEET_HEALTH_REGISTRY_REFRESH_MS: '300' },
    });
    t = world.registry;
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  const ticketOf = async (deviceId: string) => {
    const rows = await t.sql<{ created_at: Date; description: string }>(
      `SELECT created_at, description FROM ticket WHERE source = 'health-rule' AND device_id = $1`,
      [deviceId],
    );
    return rows.map((r) => ({
      createdAt: r.created_at.getTime(),
      evidence: JSON.parse(r.description.slice(r.description.indexOf('{'))) as {
        lastSeenAt: string;
        intervalS: number;
        missedBeats: number;
      },
    }));
  };
  const patch = async (id: string, body: Record<string, unknown>) => {
    const res = await t.request<{ missingAfterS: number }>('PATCH', `/api/v1/devices/${id}`, {
      body,
    });
    expect(res.status).toBe(200);
    return res.body;
  };

  it('a shorter span applies at the next refresh; a longer one holds the ticket back to its new deadline', async () => {
    // gd-2 first: the refresh that brings gd-1's change (its ticket proves it) brings gd-2's too
    expect(await patch('gd-2', { heartbeatIntervalS: 5, missesBeforeMissing: 3 })).toMatchObject({
      missingAfterS: 15,
    });
    expect(await patch('gd-1', { heartbeatIntervalS: 2, missesBeforeMissing: 2 })).toMatchObject({
      missingAfterS: 4,
    });

    const gd1StoppedAt = Date.now();
    world.stopped.add('gd-1');
    // under its old span (90 s) it could not be ticketed before 97 s after the stop
    await until(
      'a ticket for gd-1 on its new 4 s span',
      async () => (await ticketOf('gd-1')).length === 1,
      60_000,
    );
    const [gd1] = await ticketOf('gd-1');
    expect(gd1?.evidence.intervalS).toBe(2);
    expect((gd1?.createdAt ?? 0) - gd1StoppedAt).toBeLessThan(90_000);
    expect(
      (gd1?.createdAt ?? 0) - Date.parse(gd1?.evidence.lastSeenAt ?? ''),
    ).toBeGreaterThanOrEqual(4_000 + CORRELATION_MS);

    world.stopped.add('gd-2');
    await until(
      'a ticket for gd-2 on its new 15 s span',
      async () => (await ticketOf('gd-2')).length === 1,
      90_000,
    );
    const [gd2] = await ticketOf('gd-2');
    // its old span (4 s) would have ticketed it ~11 s after its last beat
    expect(gd2?.evidence.intervalS).toBe(5);
    expect(
      (gd2?.createdAt ?? 0) - Date.parse(gd2?.evidence.lastSeenAt ?? ''),
    ).toBeGreaterThanOrEqual(15_000 + CORRELATION_MS);
    expect(gd2?.evidence.missedBeats).toBeGreaterThanOrEqual(4); // (15 s + 7 s) / 5 s

    // nobody else was touched
    const others = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM ticket WHERE source = 'health-rule' AND device_id NOT IN ('gd-1', 'gd-2')`,
    );
    expect(others[0]?.n).toBe(0);
    world.stopped.clear();
  }, 150_000);

  it('a change that commits late (stamped before the newest change the loop has read) still applies', async () => {
    const marker = await t.request<{ updatedAt: string }>('PATCH', '/api/v1/devices/gd-5', {
      body: { room: 'OR-5' },
    });
    expect(marker.status).toBe(200);
    // let a few refreshes (every 300 ms) move the loop's watermark to gd-5's change
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // as a long transaction would leave it: committed now, stamped 10 s before that watermark
    await t.sql(
      `UPDATE device SET heartbeat_interval_s = 2, misses_before_missing = 2, updated_at = $1
        WHERE id = 'gd-4'`,
      [new Date(Date.parse(marker.body.updatedAt) - 10_000)],
    );
    const stoppedAt = Date.now();
    world.stopped.add('gd-4');
    // on its old span (90 s) no ticket before 97 s after the stop
    await until(
      'a ticket for gd-4 on its late-committed 4 s span',
      async () => (await ticketOf('gd-4')).length === 1,
      60_000,
    );
    const [gd4] = await ticketOf('gd-4');
    expect(gd4?.evidence.intervalS).toBe(2);
    expect((gd4?.createdAt ?? 0) - stoppedAt).toBeLessThan(90_000);
    world.stopped.clear();
  }, 90_000);
});
