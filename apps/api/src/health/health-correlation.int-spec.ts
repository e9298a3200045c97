import { HealthWorld, until } from '../../test/health-world';
import type { WorldDevice } from '../../test/health-world';

const dispenser = (id: string, siteId: string): WorldDevice => ({
  id,
  kind: 'gown_dispenser',
  siteId,
  intervalS: 2,
  misses: 2,
});
const range = <T>(n: number, f: (i: number) => T): T[] =>
  Array.from({ length: n }, (_, i) => f(i + 1));

// st-anne: a base station hearing 200 wristbands, plus 12 dispensers; st-luke: 25 dispensers.
// A base station speaks every 2 s (missing after 4 s); its tags every 4 s (missing after 8 s),
// so, as in the field (10 s × 3 against 60 s × 5), the station is missed before its tags.
const FLEET: WorldDevice[] = [
  { id: 'bs-1', kind: 'base_station', siteId: 'st-anne', intervalS: 2, misses: 2 },
  ...range(200, (i) => ({
    id: `wb-${i}`,
    kind: 'wristband',
    siteId: 'st-anne',
    intervalS: 4,
    misses: 2,
    heardBy: 'bs-1',
  })),
  ...range(12, (i) => dispenser(`gd-${i}`, 'st-anne')),
  ...range(25, (i) => dispenser(`lk-${i}`, 'st-luke')),
];

/**
 * Correlation with exact ticket counts: a base station and its BLE tags, a site going dark, a
 * restart of the rule loop. Real broker, real API processes, MQTT.js devices.
 */
describe('health rules: correlation and restarts (real broker, API, PostgreSQL)', () => {
  let world: HealthWorld;

  beforeAll(async () => {
    world = await HealthWorld.start(FLEET);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });
  afterEach(async () => {
    // whatever a test stopped speaks again before the next one
    world.stopped.clear();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  });

  const health = async (id: string) =>
    (await world.registry.request<{ state: string }>('GET', `/api/v1/devices/${id}/health`)).body
      .state;

  it('a base station with 200 BLE tags stops: exactly one ticket (its own), the tags unknown and listed on it', async () => {
    world.stopped.add('bs-1');
    await until('the base station ticket', async () => (await world.tickets()).length >= 1);
    await until('every tag unknown', async () => {
      const rows = await world.registry.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM device_health WHERE device_id LIKE 'wb-%' AND state = 'unknown'`,
      );
      return rows[0]?.n === 200;
    });
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // past the tags' correlation window
    const tickets = await world.tickets();
    expect(tickets.map((t) => [t.fingerprint, t.severity])).toEqual([['missing:bs-1', 'red']]);
    expect(await health('wb-17')).toBe('unknown');
    const detail = await world.registry.request<{
      events: { type: string; payload: Record<string, unknown> }[];
    }>('GET', `/api/v1/tickets/${tickets[0]?.id ?? ''}`);
    const listed = detail.body.events
      .filter((e) => e.type === 'note')
      .flatMap((e) => String(e.payload['text']).match(/wb-\d+/g) ?? []);
    expect(new Set(listed)).toEqual(new Set(range(200, (i) => `wb-${i}`)));
    // the station comes back without 3 of its tags (they died with it): those are checked again,
    // a full span after it is heard, and each gets its own ticket; the other 197 are ok
    const dead = ['wb-198', 'wb-199', 'wb-200'];
    for (const id of dead) world.stopped.add(id);
    world.stopped.delete('bs-1');
    await until('the tags heard again', async () => (await health('wb-17')) === 'ok');
    await until(
      'the tickets of the tags that died with it',
      async () => (await world.tickets()).length >= 4,
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // every window has closed
    expect((await world.tickets()).map((t) => [t.fingerprint, t.severity]).sort()).toEqual([
      ['missing:bs-1', 'red'],
      ...dead.map((id) => [`missing:${id}`, 'green']),
    ]);
    const states = await world.registry.sql<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM device_health WHERE device_id LIKE 'wb-%' GROUP BY state ORDER BY state`,
    );
    expect(states).toEqual([
      { state: 'missing', n: 3 },
      { state: 'ok', n: 197 },
    ]);
    for (const id of dead) world.stopped.delete(id);
    await until('the last tags heard again', async () => (await health('wb-200')) === 'ok');
  }, 120_000);

  it('40% of a site stops together: one site-level ticket, no device tickets', async () => {
    const before = (await world.tickets()).length;
    const dark = range(10, (i) => dispenser(`lk-${i}`, 'st-luke')).map((d) => d.id);
    for (const id of dark) world.stopped.add(id);
    await until('the site ticket', async () =>
      (await world.tickets()).some((t) => t.fingerprint === 'site:st-luke'),
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // every window has closed
    const opened = (await world.tickets()).slice(before);
    expect(opened.map((t) => [t.fingerprint, t.severity, t.device_id, t.category])).toEqual([
      ['site:st-luke', 'red', null, 'site-network-or-power'],
    ]);
    expect(opened[0]?.title).toMatch(/^Site st-luke: 10 of 25 devices silent together/);
    for (const id of dark) world.stopped.delete(id);
  }, 90_000);

  it('the rule loop restarts with devices beating: no ticket; one dead through the restart: exactly one, not before its deadline from the start', async () => {
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // everyone heard again
    const before = (await world.tickets()).length;
    await world.stopRules();
    world.stopped.add('gd-4'); // dies while no rule loop runs
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const startedAt = Date.now();
    await world.startRules();
    await until('the ticket of gd-4', async () =>
      (await world.tickets()).some((t) => t.fingerprint === 'missing:gd-4'),
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // nothing else comes
    const opened = (await world.tickets()).slice(before);
    expect(opened.map((t) => t.fingerprint)).toEqual(['missing:gd-4']);
    // warm-up: missing only a full span (4 s) after the start, then the correlation window (7 s)
    expect(opened[0]?.created_at.getTime()).toBeGreaterThanOrEqual(startedAt + 4_000 + 7_000);
    world.stopped.delete('gd-4');
  }, 120_000);

  it('a site ticket still open through a restart of the loop: the site heard again is noted on it, no device ticket', async () => {
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // everyone heard again
    const before = (await world.tickets()).length;
    const dark = range(10, (i) => `lk-${i + 10}`);
    for (const id of dark) world.stopped.add(id);
    await until('the silent devices missing under the site ticket', async () => {
      const rows = await world.registry.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM device_health WHERE device_id = ANY($1) AND state = 'missing'`,
        [dark],
      );
      const open = (await world.tickets()).some(
        (t) => t.fingerprint === 'site:st-luke' && t.status === 'new',
      );
      return rows[0]?.n === dark.length && open;
    });
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // the window has closed
    const siteTicket =
      (await world.tickets()).find((t) => t.fingerprint === 'site:st-luke' && t.status === 'new')
        ?.id ?? '';
    const recoveries = async () =>
      (
        await world.registry.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM ticket_event
            WHERE ticket_id = $1 AND type = 'note' AND payload->>'text' LIKE 'recovery observed%'`,
          [siteTicket],
        )
      )[0]?.n ?? 0;
    const notedBefore = await recoveries();
    await world.stopRules(); // the snapshot says missing; the site ticket stays open
    await world.startRules();
    for (const id of dark) world.stopped.delete(id);
    await until(
      'the recovery noted on the site ticket',
      async () => (await recoveries()) > notedBefore,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // nothing else comes
    expect(await recoveries()).toBe(notedBefore + 1);
    // at most the site ticket (when no earlier test opened it), never a device ticket
    const opened = (await world.tickets()).slice(before).map((t) => t.fingerprint);
    expect(opened.filter((f) => f !== 'site:st-luke')).toEqual([]);
  }, 120_000);
});
