import { DEVICE_CATALOG } from '@orfleet/devices';
import { leaderGauge } from '../../test/api-processes';
import type { ApiProcess } from '../../test/api-processes';
import { HealthProcessWorld } from '../../test/health-process-world';
import type { WorldDevice } from '../../test/health-world';
import { until } from '../../test/until';

const INTERVAL_S = 2;
const MISSES = 2;
/** interval × misses: how long a device may be silent, and the warm-up after a start. */
const SPAN_MS = INTERVAL_S * MISSES * 1_000;
/** The correlation window a newly missing device waits before its ticket is decided. */
const WINDOW_MS = 7_000;
/** How long a new leader may take after the old one is SIGKILLed (followers retry every 5 s). */
const FAILOVER_BOUND_MS = 15_000;

const FLEET: WorldDevice[] = Array.from({ length: 8 }, (_, i) => ({
  id: `gd-${i + 1}`,
  kind: 'gown_dispenser',
  siteId: 'st-anne',
  intervalS: INTERVAL_S,
  misses: MISSES,
}));
const IDS = FLEET.map((d) => d.id);
const LABEL = DEVICE_CATALOG.gown_dispenser.label;

const sleepUntil = (what: string, at: number) =>
  until(what, () => Date.now() >= at, at - Date.now() + 5_000);

/** The evidence JSON a health-rule ticket carries in its description. */
const evidenceOf = (description: string): Record<string, unknown> =>
  JSON.parse(
    description.slice(description.indexOf('Evidence:\n') + 'Evidence:\n'.length),
  ) as Record<string, unknown>;

/**
 * Restart safety and fail-over for real: the compiled API in child processes (the rule loop's
 * owner decided by the PostgreSQL advisory lock), SIGKILLed with no shutdown at all and started
 * again; the compiled broker killed and started again on its port two minutes later. Devices
 * (MQTT.js) beat every 500 ms with a 2 s interval and 2 misses (missing 4 s after the last beat);
 * the correlation window is 7 s and the snapshot is written every second. The tests run in order
 * on one world: each starts from the process the previous one left leading.
 */
describe('health rules across process deaths (compiled API and broker processes, PostgreSQL)', () => {
  let world: HealthProcessWorld;
  let leader: ApiProcess;
  /** Measured figures, printed at the end (docs/health-rules.md quotes them). */
  const figures: Record<string, number> = {};

  beforeAll(async () => {
    world = await HealthProcessWorld.start(FLEET, {
      ORFLEET_HEALTH_CORRELATION_MS: String(WINDOW_MS),
      ORFLEET_HEALTH_SNAPSHOT_MS: '1000',
    });
    const startedAt = Date.now();
    leader = await world.startApi('api-a');
    await until('api-a to take the rule loop', () => leader.ledAt() !== undefined);
    await until(
      'api-a to hear the fleet',
      async () => (await world.heardSince(startedAt, IDS)) === 8,
    );
  }, 120_000);
  afterAll(async () => {
    console.log(`health process figures (ms): ${JSON.stringify(figures)}`);
    await world?.close();
  }, 60_000);

  // whatever a test stopped speaks again (also when it failed half-way)
  afterEach(() => world.stopped.clear());

  /** When the engine of the owner that logged taking the loop at `ledAt` started (its snapshot). */
  const engineStart = async (ledAt: number): Promise<number> => {
    let started: number | undefined;
    await until("the new owner's first snapshot", async () => {
      started = await world.engineStartedAt(ledAt);
      return started !== undefined;
    });
    return started as number;
  };

  const fingerprints = async () => (await world.tickets()).map((t) => t.fingerprint);

  it('SIGKILL with every device beating, then a new process: no ticket at all', async () => {
    await leader.kill();
    // unheard by any rule loop for longer than their span
    await sleepUntil('a span without a rule loop', Date.now() + SPAN_MS + 1_000);
    const startedAt = Date.now();
    leader = await world.startApi('api-b');
    await until('api-b to take the rule loop', () => leader.ledAt() !== undefined);
    await until(
      'api-b to hear the fleet',
      async () => (await world.heardSince(startedAt, IDS)) === 8,
    );
    // a device taken for missing at the start would be ticketed a window later: wait past that
    await sleepUntil(
      'a span and a correlation window past the start',
      (leader.ledAt() ?? startedAt) + SPAN_MS + WINDOW_MS + 3_000,
    );
    expect(await world.tickets()).toEqual([]);
    const states = await world.registry.sql<{ state: string }>(
      `SELECT DISTINCT state FROM device_health`,
    );
    expect(states).toEqual([{ state: 'ok' }]);
  }, 90_000);

  it('one device dead through a SIGKILL and start: exactly one ticket, no earlier than its deadline from the new start, with its evidence', async () => {
    const heardFrom = Date.now();
    await until(
      'gd-2 heard in the snapshot',
      async () => (await world.heardSince(heardFrom, ['gd-2'])) === 1,
    );
    world.stopped.add('gd-2');
    const stoppedAt = Date.now();
    await leader.kill(); // before gd-2's deadline: the old process never saw it missing
    expect(await world.tickets()).toEqual([]);
    // dead longer than its span while no rule loop runs
    await sleepUntil('gd-2 past its deadline', stoppedAt + SPAN_MS + 2_000);
    leader = await world.startApi('api-c');
    await until('api-c to take the rule loop', () => leader.ledAt() !== undefined);
    const ledAt = leader.ledAt() as number;
    await until('the ticket of gd-2', async () => (await world.tickets()).length > 0, 60_000);
    await sleepUntil('nothing else opens', Date.now() + 5_000);

    const tickets = await world.tickets();
    expect(tickets.map((t) => t.fingerprint)).toEqual(['missing:gd-2']);
    const [ticket] = tickets;
    expect(ticket).toMatchObject({
      severity: 'red',
      device_id: 'gd-2',
      site_id: 'st-anne',
      category: 'device-unusable',
      occurrences: 1,
    });
    // warm-up: missing exactly a full span after the engine's start (not at once, though
    // silent for longer), the ticket after the correlation window on top
    const startedAt = await engineStart(ledAt);
    expect(await world.snapshotOf('gd-2')).toEqual({
      state: 'missing',
      since: startedAt + SPAN_MS,
    });
    const openedAt = ticket?.created_at.getTime() ?? 0;
    expect(openedAt).toBeGreaterThanOrEqual(startedAt + SPAN_MS + WINDOW_MS);
    figures['restartOpenedAfterDeadlineAndWindow'] = openedAt - (startedAt + SPAN_MS + WINDOW_MS);

    const evidence = evidenceOf(ticket?.description ?? '');
    const lastSeen = Date.parse(String(evidence['lastSeenAt']));
    // the last beat the killed process snapshotted: after it was seen heard, before the stop
    expect(lastSeen).toBeGreaterThanOrEqual(heardFrom);
    expect(lastSeen).toBeLessThanOrEqual(stoppedAt + 1_000);
    expect(evidence).toEqual({
      lastSeenAt: new Date(lastSeen).toISOString(),
      missedBeats: expect.any(Number),
      intervalS: INTERVAL_S,
      candidateParts: DEVICE_CATALOG.gown_dispenser.missingParts,
    });
    const missed = evidence['missedBeats'] as number;
    // counted at the decision, a moment before the row's creation time
    expect(missed).toBeLessThanOrEqual(Math.floor((openedAt - lastSeen) / (INTERVAL_S * 1_000)));
    expect(missed).toBeGreaterThanOrEqual(
      Math.floor((openedAt - lastSeen) / (INTERVAL_S * 1_000)) - 1,
    );
    expect(ticket?.title).toBe(
      `${LABEL} gd-2 missing: no heartbeat since ${new Date(lastSeen).toISOString()}`,
    );
    world.stopped.delete('gd-2');
  }, 120_000);

  it('two processes: one leader; SIGKILL it and the other takes the loop, a device pending at the kill and one dying after get one ticket each, never a duplicate', async () => {
    const before = await fingerprints();
    const follower = await world.startApi('api-d');
    // the follower tried the lock at its start and retries every 5 s: past one retry, still one
    await sleepUntil('a lock retry of api-d', Date.now() + 6_000);
    expect(await world.lockHolders()).toBe(1);
    expect(leader.ledAt()).toBeDefined();
    expect(follower.ledAt()).toBeUndefined();
    expect([await leaderGauge(leader), await leaderGauge(follower)]).toEqual([1, 0]);

    // gd-5 stops; kill the leader while gd-5 is missing but its ticket not yet decided
    const heardFrom = Date.now();
    await until(
      'gd-5 heard in the snapshot',
      async () => (await world.heardSince(heardFrom, ['gd-5'])) === 1,
    );
    world.stopped.add('gd-5');
    await until(
      'gd-5 past its deadline in the snapshot',
      async () =>
        (
          await world.registry.sql(
            `SELECT 1 FROM device_health WHERE device_id = 'gd-5' AND state = 'missing'`,
          )
        ).length === 1,
    );
    const killedAt = Date.now();
    await leader.kill();
    expect(await fingerprints()).toEqual(before); // decided by nobody yet

    await until(
      'api-d to take the rule loop',
      () => follower.ledAt() !== undefined,
      FAILOVER_BOUND_MS,
    );
    const ledAt = follower.ledAt() as number;
    figures['failover'] = ledAt - killedAt;
    expect(ledAt - killedAt).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
    expect(await world.lockHolders()).toBe(1);
    expect(await leaderGauge(follower)).toBe(1);
    leader = follower;

    // gd-6 dies once api-d has heard it
    await until('api-d to hear gd-6', async () => (await world.heardSince(ledAt, ['gd-6'])) === 1);
    world.stopped.add('gd-6');
    const gd6StoppedAt = Date.now();

    await until(
      'tickets of gd-5 and gd-6',
      async () => (await fingerprints()).length === before.length + 2,
      60_000,
    );
    await sleepUntil('nothing else opens', Date.now() + 5_000);
    const tickets = await world.tickets();
    expect(
      tickets
        .map((t) => t.fingerprint)
        .slice(before.length)
        .sort(),
    ).toEqual(['missing:gd-5', 'missing:gd-6']);
    const gd5 = tickets.find((t) => t.fingerprint === 'missing:gd-5');
    const gd6 = tickets.find((t) => t.fingerprint === 'missing:gd-6');
    expect([gd5?.occurrences, gd6?.occurrences]).toEqual([1, 1]);
    // gd-5, left undecided by the dead owner, is detected again by the new one: a span after
    // its start (the warm-up), then the window
    const startedAt = await engineStart(ledAt);
    expect(await world.snapshotOf('gd-5')).toEqual({
      state: 'missing',
      since: startedAt + SPAN_MS,
    });
    expect(gd5?.created_at.getTime()).toBeGreaterThanOrEqual(startedAt + SPAN_MS + WINDOW_MS);
    // gd-6: missing a span after its last beat (heard by the new owner), ticket a window later
    const gd6LastSeen = Date.parse(String(evidenceOf(gd6?.description ?? '')['lastSeenAt']));
    expect(gd6LastSeen).toBeGreaterThanOrEqual(ledAt);
    expect(gd6LastSeen).toBeLessThanOrEqual(gd6StoppedAt + 1_000);
    expect(await world.snapshotOf('gd-6')).toEqual({
      state: 'missing',
      since: gd6LastSeen + SPAN_MS,
    });
    const gd6OpenedAt = gd6?.created_at.getTime() ?? 0;
    expect(gd6OpenedAt).toBeGreaterThanOrEqual(gd6LastSeen + SPAN_MS + WINDOW_MS);
    figures['failoverOpenedAfterDeadlineAndWindow'] =
      gd6OpenedAt - (gd6LastSeen + SPAN_MS + WINDOW_MS);
    expect(await world.duplicates()).toEqual([]);
    world.stopped.delete('gd-5');
    world.stopped.delete('gd-6');
  }, 150_000);

  it('the broker process dies for 2 minutes, the rules owner too in the middle: one platform ticket, no device ticket, nothing opened after it is back', async () => {
    const restartedHeard = Date.now();
    await until(
      'everyone heard again',
      async () => (await world.heardSince(restartedHeard, IDS)) === 8,
    );
    const before = await world.tickets();
    const killedAt = Date.now();
    await world.killBroker();
    await until('the platform ticket', async () => (await fingerprints()).includes('platform'));
    const platform = (await world.tickets()).find((t) => t.fingerprint === 'platform');
    expect(platform).toMatchObject({ severity: 'red', category: 'platform', device_id: null });
    figures['platformDetection'] = (platform?.created_at.getTime() ?? 0) - killedAt;

    // the owner of the rule loop dies in the outage too: its successor starts with the whole
    // fleet silent, and must see the pipeline down (a second occurrence), not every device missing
    const successor = await world.startApi('api-e');
    await leader.kill();
    await until(
      'api-e to take the rule loop',
      () => successor.ledAt() !== undefined,
      FAILOVER_BOUND_MS,
    );
    leader = successor;
    await until(
      'api-e to find the pipeline down',
      async () =>
        (await world.tickets()).find((t) => t.fingerprint === 'platform')?.occurrences === 2,
    );
    expect(Date.now()).toBeLessThan(killedAt + 120_000); // all of it inside the outage

    await sleepUntil('two minutes of outage', killedAt + 120_000);
    await world.startBroker();
    const backAt = Date.now();
    await until(
      'every device heard through the new broker',
      async () => (await world.heardSince(backAt, IDS)) === 8,
    );
    figures['fleetHeardAfterBrokerBack'] = Date.now() - backAt;
    // a full span and a correlation window after data flows again, and some
    await sleepUntil(
      'a span and a window after the recovery',
      Date.now() + SPAN_MS + WINDOW_MS + 4_000,
    );

    const after = await world.tickets();
    expect(after.map((t) => t.fingerprint)).toEqual([
      ...before.map((t) => t.fingerprint),
      'platform',
    ]);
    expect(after.at(-1)?.occurrences).toBe(2);
    // the earlier tickets saw no new occurrence either
    expect(after.slice(0, before.length).map((t) => t.occurrences)).toEqual(
      before.map((t) => t.occurrences),
    );
    const detail = await world.registry.request<{
      events: { type: string; payload: Record<string, unknown> }[];
    }>('GET', `/api/v1/tickets/${platform?.id ?? ''}`);
    expect(
      detail.body.events.filter(
        (e) => e.type === 'note' && String(e.payload['text']).startsWith('recovery observed'),
      ),
    ).toHaveLength(1);
    expect(await world.duplicates()).toEqual([]);
  }, 240_000);
});
