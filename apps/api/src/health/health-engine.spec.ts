import fc from 'fast-check';
import { DEFAULT_HEALTH_CONFIG, HealthEngine } from './health-engine';
import type {
  HealthAction,
  HealthDevice,
  HealthEngineConfig,
  MaintenanceLookup,
  RestoredHealth,
} from './health-engine';

const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);
const S = 1_000;

/** A fleet, a manual clock, and the actions the engine took, tick by tick. */
function harness(
  devices: readonly HealthDevice[],
  options: {
    config?: Partial<HealthEngineConfig>;
    maintenance?: MaintenanceLookup;
    startedAt?: number;
  } = {},
) {
  const engine = new HealthEngine(
    { ...DEFAULT_HEALTH_CONFIG, ...options.config },
    devices,
    options.startedAt ?? T0,
    new Map(),
    options.maintenance,
  );
  let now = options.startedAt ?? T0;
  const actions: HealthAction[] = [];
  return {
    engine,
    actions,
    get now() {
      return now;
    },
    /** Advances the clock in 250 ms ticks; `beat` says who sends a heartbeat at each second. */
    run(ms: number, beat: (id: string, t: number) => boolean = () => false) {
      const end = now + ms;
      while (now < end) {
        now += 250;
        if (now % 1_000 === 0) {
          for (const d of devices) if (beat(d.id, now)) engine.message(d.id, now);
        }
        engine.tick(now);
        actions.push(...engine.takeActions());
      }
    },
    opened: () =>
      actions.filter((a): a is Extract<HealthAction, { kind: 'open' }> => a.kind === 'open'),
  };
}

const dispensers = (n: number, site = 'st-anne'): HealthDevice[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `gd-${i + 1}`,
    kind: 'gown_dispenser',
    siteId: site,
  }));
/** Every device beats every `interval` seconds at its own phase, except the `dead` ones after `from`. */
const beating =
  (intervalS: number, dead: ReadonlySet<string> = new Set(), from = 0) =>
  (id: string, t: number) => {
    if (dead.has(id) && t >= from) return false;
    const phase = Number(id.replace(/\D/g, '')) % intervalS;
    return Math.floor(t / 1_000) % intervalS === phase;
  };

describe('HealthEngine: missing devices', () => {
  it('opens one red ticket with the unit reserved after the deadline and the correlation window', () => {
    const fleet = dispensers(20);
    const h = harness(fleet);
    const dead = new Set(['gd-3']);
    h.run(60 * S, beating(30));
    const stopAt = h.now;
    h.run(200 * S, beating(30, dead, stopAt));
    const opened = h.opened();
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      rule: 'missing',
      fingerprint: 'missing:gd-3',
      severity: 'red',
      deviceId: 'gd-3',
      siteId: 'st-anne',
      category: 'device-unusable',
      parts: [{ partNumber: 'PSU-DEV-24V', qty: 1 }],
    });
    // missing when now > lastSeen + 30 s × 3; the ticket a correlation window (60 s) later
    const lastSeen = Date.parse(String(opened[0]?.evidence['lastSeenAt']));
    expect(opened[0]?.at).toBeGreaterThanOrEqual(lastSeen + 90 * S + 60 * S);
    expect(opened[0]?.at).toBeLessThanOrEqual(lastSeen + 90 * S + 60 * S + 2 * S);
    expect(h.engine.stateOf('gd-3')).toBe('missing');
    expect(h.engine.stateOf('gd-4')).toBe('ok');
  });

  it('notes recovery when the device is heard again, and opens the same fingerprint when it drops again', () => {
    const h = harness(dispensers(20));
    h.run(60 * S, beating(30));
    h.run(200 * S, beating(30, new Set(['gd-3']), h.now));
    h.run(40 * S, beating(30)); // back
    const recovered = h.actions.filter((a) => a.kind === 'recovered');
    expect(recovered).toEqual([
      expect.objectContaining({ fingerprint: 'missing:gd-3', deviceId: 'gd-3' }),
    ]);
    expect(h.engine.stateOf('gd-3')).toBe('ok');
    h.run(200 * S, beating(30, new Set(['gd-3']), h.now));
    // the service folds a second open of the fingerprint into the same ticket (flap count)
    expect(h.opened().map((o) => o.fingerprint)).toEqual(['missing:gd-3', 'missing:gd-3']);
  });

  it('rides out a blip: heard again within the correlation window, nothing is opened', () => {
    const h = harness(dispensers(20));
    h.run(60 * S, beating(30));
    const from = h.now;
    h.run(100 * S, beating(30, new Set(['gd-3']), from)); // past its deadline, still pending
    expect(h.engine.stateOf('gd-3')).toBe('missing');
    h.run(60 * S, beating(30));
    expect(h.opened()).toEqual([]);
    expect(h.actions.filter((a) => a.kind === 'recovered')).toEqual([]);
  });

  it('declares nobody missing before a full span after the start (warm-up), whatever was seen before', () => {
    const h = harness(dispensers(20));
    // nothing heard at all from gd-1 since the start: missing only after 90 s + the window
    h.run(140 * S, beating(30, new Set(['gd-1']), 0));
    expect(h.opened()).toEqual([]);
    h.run(30 * S, beating(30, new Set(['gd-1']), 0));
    expect(h.opened().map((o) => o.fingerprint)).toEqual(['missing:gd-1']);
  });

  it('detects a missing device within 1 s of its deadline, whatever the phases (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 29_999 }),
        fc.integer({ min: 0, max: 59_000 }),
        (phase, stopAfter) => {
          const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, dispensers(1), T0);
          let lastBeat = T0;
          for (let t = T0 + phase; t <= T0 + 60_000 + stopAfter; t += 30_000) {
            engine.message('gd-1', t);
            lastBeat = t;
          }
          const deadline = Math.max(lastBeat + 90_000, T0 + 90_000);
          let detectedAt: number | undefined;
          for (let t = T0 + 250; t <= deadline + 5_000 && detectedAt === undefined; t += 250) {
            engine.tick(t);
            if (engine.stateOf('gd-1') === 'missing') detectedAt = t;
          }
          expect(detectedAt).toBeDefined();
          expect((detectedAt ?? 0) - deadline).toBeGreaterThan(0);
          expect((detectedAt ?? 0) - deadline).toBeLessThanOrEqual(1_250);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('HealthEngine: correlation', () => {
  it('makes 40% of a site falling silent together one red site ticket, no device tickets', () => {
    const fleet = dispensers(25);
    const h = harness(fleet);
    h.run(60 * S, beating(30));
    const dead = new Set(fleet.slice(0, 10).map((d) => d.id));
    h.run(300 * S, beating(30, dead, h.now));
    const opened = h.opened();
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      rule: 'site',
      fingerprint: 'site:st-anne',
      severity: 'red',
      siteId: 'st-anne',
      category: 'site-network-or-power',
    });
    expect(opened[0]?.deviceId).toBeUndefined();
    expect([...(opened[0]?.evidence['devices'] as string[])].sort()).toEqual([...dead].sort());
    // they come back: the site ticket recovers once the last of them is heard
    h.run(40 * S, beating(30));
    expect(h.actions.filter((a) => a.kind === 'recovered').map((a) => a.fingerprint)).toEqual([
      'site:st-anne',
    ]);
  });

  it('keeps separate device tickets below the site threshold (at least 10 devices)', () => {
    const fleet = dispensers(25);
    const h = harness(fleet);
    h.run(60 * S, beating(30));
    const dead = new Set(fleet.slice(0, 7).map((d) => d.id)); // 28%: under 30% and under 10
    h.run(300 * S, beating(30, dead, h.now));
    expect(h.opened().map((o) => o.rule)).toEqual(Array(7).fill('missing'));
  });

  it('makes the whole fleet falling quiet one platform ticket, and nothing after it recovers', () => {
    const fleet = dispensers(20);
    const h = harness(fleet);
    h.run(60 * S, beating(30));
    const all = new Set(fleet.map((d) => d.id));
    const from = h.now;
    h.run(120 * S, beating(30, all, from)); // the broker is down for two minutes
    expect(h.opened()).toEqual([
      expect.objectContaining({ rule: 'platform', fingerprint: 'platform', severity: 'red' }),
    ]);
    expect(h.engine.platformQuiet).toBe(true);
    h.run(300 * S, beating(30)); // data flows again
    expect(h.opened()).toHaveLength(1);
    expect(h.actions.filter((a) => a.kind === 'recovered').map((a) => a.fingerprint)).toEqual([
      'platform',
    ]);
    expect(fleet.every((d) => h.engine.stateOf(d.id) === 'ok')).toBe(true);
  });

  it('lists BLE tags behind a missing base station as unknown on its ticket, with no tickets of their own', () => {
    const tags: HealthDevice[] = Array.from({ length: 200 }, (_, i) => ({
      id: `wb-${i + 1}`,
      kind: 'wristband',
      siteId: 'st-anne',
    }));
    const stations: HealthDevice[] = [
      { id: 'bs-1', kind: 'base_station', siteId: 'st-anne' },
      { id: 'bs-2', kind: 'base_station', siteId: 'st-anne' },
    ];
    const others = dispensers(40);
    const fleet = [...stations, ...tags, ...others];
    const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, fleet, T0);
    const actions: HealthAction[] = [];
    let bs1Alive = true;
    for (let t = T0 + 1_000; t <= T0 + 900_000; t += 1_000) {
      if (t === T0 + 120_000) bs1Alive = false;
      if ((t / 1_000) % 10 === 0) {
        // bs-1 hears all 200 tags; bs-2 hears none of them
        if (bs1Alive)
          engine.sighting(
            'bs-1',
            tags.map((tag) => ({ id: tag.id, rssi_dbm: -60 })),
            t,
          );
        engine.sighting('bs-2', [], t);
      }
      for (const d of others) if (beating(30)(d.id, t)) engine.message(d.id, t);
      engine.tick(t);
      actions.push(...engine.takeActions());
    }
    const opened = actions.filter((a) => a.kind === 'open');
    expect(opened.map((o) => o.fingerprint)).toEqual(['missing:bs-1']);
    expect(tags.every((tag) => engine.stateOf(tag.id) === 'unknown')).toBe(true);
    const annotated = actions.filter(
      (a) => a.kind === 'annotate' && a.fingerprint === 'missing:bs-1',
    );
    const listed = annotated.flatMap((a) =>
      a.kind === 'annotate' ? (a.evidence['unknownDevices'] as string[]) : [],
    );
    expect(new Set(listed)).toEqual(new Set(tags.map((t) => t.id)));
  });

  it('still tickets a BLE tag that vanished while its base station is alive (green)', () => {
    const fleet: HealthDevice[] = [
      { id: 'bs-1', kind: 'base_station', siteId: 'st-anne' },
      { id: 'bc-1', kind: 'beacon', siteId: 'st-anne' },
      ...dispensers(20),
    ];
    const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, fleet, T0);
    const actions: HealthAction[] = [];
    for (let t = T0 + 1_000; t <= T0 + 900_000; t += 1_000) {
      if ((t / 1_000) % 10 === 0)
        engine.sighting('bs-1', t < T0 + 60_000 ? [{ id: 'bc-1' }] : [], t);
      for (let i = 1; i <= 20; i++) if (beating(30)(`gd-${i}`, t)) engine.message(`gd-${i}`, t);
      engine.tick(t);
      actions.push(...engine.takeActions());
    }
    expect(actions.filter((a) => a.kind === 'open')).toEqual([
      expect.objectContaining({
        fingerprint: 'missing:bc-1',
        severity: 'green',
        parts: [{ partNumber: 'BCN-UNIT-01', qty: 1 }],
      }),
    ]);
  });

  it('suppresses a ticket inside a maintenance window and says which window', () => {
    const h = harness(dispensers(20), {
      maintenance: (deviceId) => (deviceId === 'gd-3' ? 'mw-7' : undefined),
    });
    h.run(60 * S, beating(30));
    h.run(200 * S, beating(30, new Set(['gd-3']), h.now));
    expect(h.opened()).toEqual([]);
    expect(h.actions.filter((a) => a.kind === 'suppressed')).toEqual([
      expect.objectContaining({
        windowId: 'mw-7',
        rule: 'missing',
        fingerprint: 'missing:gd-3',
        deviceId: 'gd-3',
      }),
    ]);
  });
});

describe('HealthEngine: faults and telemetry', () => {
  const h = () => harness(dispensers(3));

  it('opens a fault at once at the catalog severity with its part; clearing is reported', () => {
    const x = h();
    x.engine.fault('gd-1', 'MOTOR_STALL', 'raised', T0 + 5, { detail: 'jammed' });
    x.engine.fault('gd-1', 'MOTOR_STALL', 'cleared', T0 + 9, {});
    expect(x.engine.takeActions()).toEqual([
      expect.objectContaining({
        kind: 'open',
        rule: 'fault',
        fingerprint: 'fault:gd-1:MOTOR_STALL',
        severity: 'red',
        parts: [{ partNumber: 'MOTOR-DSP-24V', qty: 1 }],
        at: T0 + 5,
      }),
      {
        kind: 'cleared',
        fingerprint: 'fault:gd-1:MOTOR_STALL',
        deviceId: 'gd-1',
        code: 'MOTOR_STALL',
        at: T0 + 9,
      },
    ]);
  });

  it('turns an empty stock into a notice, not a ticket, once until refilled', () => {
    const x = h();
    x.engine.fault('gd-1', 'STOCK_EMPTY', 'raised', T0, {});
    x.engine.telemetry('gd-2', { stock_level: 0 }, T0);
    x.engine.telemetry('gd-2', { stock_level: 0 }, T0 + 1);
    x.engine.telemetry('gd-2', { stock_level: 40 }, T0 + 2);
    x.engine.telemetry('gd-2', { stock_level: 0 }, T0 + 3);
    expect(
      x.engine.takeActions().map((a) => [a.kind, 'deviceId' in a ? a.deviceId : '', a.at]),
    ).toEqual([
      ['notice', 'gd-1', T0],
      ['notice', 'gd-2', T0],
      ['notice-cleared', 'gd-2', T0 + 2],
      ['notice', 'gd-2', T0 + 3],
    ]);
  });

  type StockEvent = ['fault', 'raised' | 'cleared'] | ['stock', number];
  it.each([
    // every raised STOCK_EMPTY counts; an empty telemetry report only starts a spell
    [
      [
        ['fault', 'raised'],
        ['fault', 'raised'],
        ['stock', 0],
      ],
      ['notice', 'notice'],
    ],
    [
      [
        ['stock', 0],
        ['fault', 'raised'],
        ['stock', 12],
      ],
      ['notice', 'notice', 'notice-cleared'],
    ],
    [
      [
        ['fault', 'raised'],
        ['fault', 'cleared'],
        ['stock', 5],
      ],
      ['notice', 'notice-cleared'],
    ],
    [
      [
        ['stock', 3],
        ['stock', 0],
        ['stock', -1],
        ['stock', 1],
      ],
      ['notice', 'notice-cleared'],
    ],
    [[['stock', 7]], []],
  ] as [StockEvent[], string[]][])('stock events %j → %j', (events, kinds) => {
    const x = h();
    events.forEach(([what, value], i) =>
      what === 'fault'
        ? x.engine.fault('gd-1', 'STOCK_EMPTY', value, T0 + i, {})
        : x.engine.telemetry('gd-1', { stock_level: value }, T0 + i),
    );
    const actions = x.engine.takeActions();
    expect(actions.map((a) => a.kind)).toEqual(kinds);
    expect(actions.filter((a) => a.kind === 'open' || a.kind === 'cleared')).toEqual([]);
  });

  it('clears a notice open from before a start at the first report above empty', () => {
    const x = h();
    x.engine.noticeOpen('gd-1', 'STOCK_EMPTY');
    x.engine.telemetry('gd-1', { stock_level: 0 }, T0); // still empty: nothing new
    x.engine.telemetry('gd-1', { stock_level: 20 }, T0 + 1);
    expect(x.engine.takeActions()).toEqual([
      {
        kind: 'notice-cleared',
        deviceId: 'gd-1',
        siteId: 'st-anne',
        code: 'STOCK_EMPTY',
        at: T0 + 1,
      },
    ]);
  });

  it.each([
    [['ok', 'stalled', 'ok', 'stalled'], 0],
    [['stalled', 'stalled'], 1],
    [['stalled', 'stalled', 'stalled', 'stalled'], 1],
    [['stalled', 'fault', 'ok', 'stalled', 'stalled'], 2],
  ])('motor_state %j → %i motor ticket(s) (2 bad reports in a row)', (states, tickets) => {
    const x = h();
    states.forEach((motor_state, i) => x.engine.telemetry('gd-1', { motor_state }, T0 + i));
    const opened = x.engine.takeActions().filter((a) => a.kind === 'open');
    expect(opened).toHaveLength(tickets);
    for (const o of opened)
      expect(o).toMatchObject({
        rule: 'motor',
        fingerprint: 'fault:gd-1:MOTOR_STALL',
        severity: 'red',
      });
  });

  it('motor_state overcurrent twice: the MOTOR_OVERCURRENT incident, at its catalog severity', () => {
    const x = h();
    x.engine.telemetry('gd-1', { motor_state: 'overcurrent' }, T0);
    x.engine.telemetry('gd-1', { motor_state: 'overcurrent' }, T0 + 1);
    expect(x.engine.takeActions().filter((a) => a.kind === 'open')).toEqual([
      expect.objectContaining({
        rule: 'motor',
        fingerprint: 'fault:gd-1:MOTOR_OVERCURRENT',
        severity: 'yellow',
        parts: [{ partNumber: 'MOTOR-DSP-24V', qty: 1 }],
      }),
    ]);
  });

  it.each([
    ['the fault first', ['fault', 'telemetry', 'telemetry']],
    ['the telemetry first', ['telemetry', 'telemetry', 'fault']],
  ])(
    'a stall reported both ways (%s) is one incident: both opens carry the same fingerprint',
    (_, order) => {
      const x = h();
      order.forEach((channel, i) =>
        channel === 'fault'
          ? x.engine.fault('gd-1', 'MOTOR_STALL', 'raised', T0 + i, { state: 'raised' })
          : x.engine.telemetry('gd-1', { motor_state: 'stalled' }, T0 + i),
      );
      const opened = x.engine.takeActions().filter((a) => a.kind === 'open');
      expect(opened.map((a) => (a as { fingerprint: string }).fingerprint)).toEqual([
        'fault:gd-1:MOTOR_STALL',
        'fault:gd-1:MOTOR_STALL',
      ]);
    },
  );

  it.each([
    [[50, 19], 1],
    [[19, 18, 17], 1],
    [[19, 22, 19], 1], // not re-armed below 25
    [[19, 30, 19], 2],
    [[20, 21], 0],
  ])('battery_pct %j → %i preventive green ticket(s)', (levels, tickets) => {
    const x = h();
    levels.forEach((battery_pct, i) => x.engine.telemetry('gd-1', { battery_pct }, T0 + i));
    const opened = x.engine.takeActions().filter((a) => a.kind === 'open');
    expect(opened).toHaveLength(tickets);
    for (const o of opened)
      expect(o).toMatchObject({ rule: 'battery', severity: 'green', category: 'preventive' });
  });

  it('ignores messages from devices it does not track', () => {
    const x = h();
    x.engine.message('gd-404', T0);
    x.engine.fault('gd-404', 'JAM', 'raised', T0, {});
    expect(x.engine.takeActions()).toEqual([]);
  });
});

describe('HealthEngine: state for the snapshot and restarts', () => {
  it('reports changed devices once, with last seen and state', () => {
    const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, dispensers(2), T0);
    engine.message('gd-1', T0 + 1_000);
    expect(engine.takeSnapshot()).toEqual([
      { deviceId: 'gd-1', lastSeenAt: T0 + 1_000, state: 'ok', stateSince: T0, missedBeats: 0 },
    ]);
    expect(engine.takeSnapshot()).toEqual([]);
  });

  it('after a restart, waits a full span from the start even for a device last seen long ago', () => {
    const restored = new Map([['gd-1', { lastSeenAt: T0 - 3_600_000, state: 'ok' as const }]]);
    const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, dispensers(1), T0, restored);
    engine.tick(T0 + 89_000);
    expect(engine.stateOf('gd-1')).toBe('ok');
    engine.tick(T0 + 91_000);
    expect(engine.stateOf('gd-1')).toBe('missing');
  });

  it('keeps a device that was missing before the restart missing, without a new ticket', () => {
    const restored = new Map([['gd-1', { lastSeenAt: T0 - 3_600_000, state: 'missing' as const }]]);
    const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, dispensers(1), T0, restored);
    for (let t = T0; t < T0 + 600_000; t += 1_000) engine.tick(t);
    expect(engine.stateOf('gd-1')).toBe('missing');
    expect(engine.takeActions()).toEqual([]);
    engine.message('gd-1', T0 + 600_000);
    expect(engine.takeActions()).toEqual([
      expect.objectContaining({ kind: 'recovered', fingerprint: 'missing:gd-1' }),
    ]);
  });

  it('detects again a device its previous owner left inside the correlation window (no ticket yet): one ticket, a span and a window after the start', () => {
    const config = { ...DEFAULT_HEALTH_CONFIG, correlationMs: 60_000 };
    const previous = new HealthEngine(config, dispensers(1), T0);
    previous.message('gd-1', T0 + 100 * S);
    // deadline at 190 s (30 s × 3), decision due at about 251 s: the owner dies at 200 s
    for (let t = T0 + 100 * S; t <= T0 + 200 * S; t += 250) previous.tick(t);
    expect(previous.takeActions()).toEqual([]);
    const [row] = previous.takeSnapshot();
    expect(row).toMatchObject({ deviceId: 'gd-1', state: 'missing', lastSeenAt: T0 + 100 * S });
    const start = T0 + 210 * S;
    const next = new HealthEngine(
      config,
      dispensers(1),
      start,
      new Map([
        ['gd-1', { lastSeenAt: T0 + 100 * S, state: 'missing' as const, ticketOpen: false }],
      ]),
    );
    const actions: HealthAction[] = [];
    for (let t = start; t <= start + 600 * S; t += 250) {
      next.tick(t);
      actions.push(...next.takeActions());
    }
    const opened = actions.filter((a) => a.kind === 'open');
    expect(opened).toEqual([
      expect.objectContaining({
        fingerprint: 'missing:gd-1',
        evidence: expect.objectContaining({ lastSeenAt: new Date(T0 + 100 * S).toISOString() }),
      }),
    ]);
    // the warm-up (90 s from the start), then the window
    expect(opened[0]?.at).toBeGreaterThanOrEqual(start + 150 * S);
    expect(opened[0]?.at).toBeLessThanOrEqual(start + 150 * S + 1_250);
  });

  it('a site storm still open at the start: its devices rejoin it, the last one heard again notes the recovery on the site ticket, a device going silent meanwhile is listed there', () => {
    const fleet = dispensers(20);
    const down = fleet.slice(0, 12).map((d) => d.id);
    const restored = new Map(
      fleet.map((d, i) => [
        d.id,
        i < 12
          ? {
              lastSeenAt: T0 - 600 * S,
              state: 'missing' as const,
              ticketOpen: true,
              siteTicketOpen: true,
            }
          : { lastSeenAt: T0 - 10 * S, state: 'ok' as const },
      ]),
    );
    const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, fleet, T0, restored);
    const actions: HealthAction[] = [];
    // the 8 devices still up beat every 30 s, but gd-20, silent from the start
    for (let t = T0; t <= T0 + 300 * S; t += 250) {
      if (t % (30 * S) === 0) {
        for (const d of fleet.slice(12, 19)) engine.message(d.id, t);
      }
      engine.tick(t);
      actions.push(...engine.takeActions());
    }
    expect(actions).toEqual([
      expect.objectContaining({
        kind: 'annotate',
        fingerprint: 'site:st-anne',
        evidence: { devices: ['gd-20'] },
      }),
    ]);
    actions.length = 0;
    const back = T0 + 301 * S;
    for (const [i, id] of [...down, 'gd-20'].entries()) engine.message(id, back + i * S);
    engine.tick(back + 20 * S);
    actions.push(...engine.takeActions());
    expect(actions).toEqual([
      expect.objectContaining({
        kind: 'recovered',
        fingerprint: 'site:st-anne',
        siteId: 'st-anne',
      }),
    ]);
    expect(actions[0]?.at).toBe(back + 12 * S);
  });

  it('started during a broker outage (the fleet heard before, nothing since): one platform ticket, no device ticket, a full span for everyone once data flows', () => {
    const fleet = dispensers(20);
    const restored = new Map(
      fleet.map((d) => [d.id, { lastSeenAt: T0 - 60 * S, state: 'ok' as const }]),
    );
    const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, fleet, T0, restored);
    const actions: HealthAction[] = [];
    const run = (from: number, to: number, beat = false) => {
      for (let t = from; t <= to; t += 250) {
        if (beat && t % (30 * S) === 0) for (const d of fleet) engine.message(d.id, t);
        engine.tick(t);
        actions.push(...engine.takeActions());
      }
    };
    run(T0, T0 + 600 * S);
    expect(actions.filter((a) => a.kind === 'open').map((a) => a.fingerprint)).toEqual([
      'platform',
    ]);
    // 3 × the 30 s interval of silence since the start
    expect(actions[0]).toMatchObject({ kind: 'open', rule: 'platform' });
    expect(actions[0]?.at).toBeGreaterThan(T0 + 90 * S);
    expect(actions[0]?.at).toBeLessThanOrEqual(T0 + 91 * S);
    actions.length = 0;
    run(T0 + 600 * S + 250, T0 + 1_200 * S, true);
    expect(actions).toEqual([
      expect.objectContaining({ kind: 'recovered', fingerprint: 'platform' }),
    ]);
  });
});

describe('HealthEngine: per-device overrides changed while running', () => {
  // one dispenser beating every second, changed at 60 s after its last beat, silent from then
  it.each([
    // label, override, still ok this long after the last beat, missing this long after it (s)
    ['a shorter interval', { intervalS: 5, misses: 2 }, 9, 11],
    ['fewer misses', { misses: 1 }, 29, 31],
    ['a longer interval', { intervalS: 60 }, 179, 181],
    ['the kind default again', {}, 89, 91],
  ])(
    'counts %s from the same last beat',
    (_label, override: { intervalS?: number; misses?: number }, okS: number, missingS: number) => {
      const device: HealthDevice = { id: 'gd-1', kind: 'gown_dispenser', siteId: 'st-anne' };
      const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, [device], T0);
      // past the warm-up, so only the last beat sets the deadline
      let t = T0;
      for (; t <= T0 + 120 * S; t += S) {
        engine.message('gd-1', t);
        engine.tick(t);
      }
      const lastBeat = t - S;
      engine.upsertDevice({ ...device, ...override });
      for (; t <= lastBeat + okS * S; t += 250) engine.tick(t);
      expect(engine.stateOf('gd-1')).toBe('ok');
      for (; t <= lastBeat + missingS * S; t += 250) engine.tick(t);
      expect(engine.stateOf('gd-1')).toBe('missing');
    },
  );

  it('measures missed beats in the new interval and files one deadline per device', () => {
    const device: HealthDevice = { id: 'gd-1', kind: 'gown_dispenser', siteId: 'st-anne' };
    const engine = new HealthEngine(
      { ...DEFAULT_HEALTH_CONFIG, correlationMs: 1_000 },
      [device],
      T0,
    );
    engine.message('gd-1', T0 + 100 * S);
    // shortened twice, then lengthened: stale wheel entries must not decide anything twice
    engine.upsertDevice({ ...device, intervalS: 10 });
    engine.upsertDevice({ ...device, intervalS: 4 });
    engine.upsertDevice({ ...device, intervalS: 5, misses: 2 });
    const actions: HealthAction[] = [];
    for (let t = T0 + 100 * S; t <= T0 + 400 * S; t += 250) {
      engine.tick(t);
      actions.push(...engine.takeActions());
    }
    const opened = actions.filter((a) => a.kind === 'open');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      fingerprint: 'missing:gd-1',
      evidence: expect.objectContaining({ intervalS: 5, missedBeats: 2 }),
    });
    // span 10 s from the beat at 100 s, then the 1 s correlation window
    expect(opened[0]?.at).toBeGreaterThanOrEqual(T0 + 111 * S);
    expect(opened[0]?.at).toBeLessThanOrEqual(T0 + 113 * S);
  });
});

describe('HealthEngine: counts for the metrics', () => {
  const NONE_SUPPRESSED = {
    maintenance: 0,
    correlated: 0,
    platform_quiet: 0,
    warm_up: 0,
    blip: 0,
  };

  it('counts devices by state and reports each detection lag once, within the tick', () => {
    const fleet = dispensers(20);
    const h = harness([...fleet, { id: 'gd-99', kind: 'gown_dispenser', siteId: 'st-anne' }]);
    h.engine.removeDevice('gd-99', h.now); // retired: not counted
    h.run(60 * S, beating(30));
    expect(h.engine.takeDetectionLags()).toEqual([]);
    h.run(100 * S, beating(30, new Set(['gd-3']), h.now)); // past its deadline, inside the window
    expect(h.engine.countByState()).toEqual({ ok: 19, pending: 1, missing: 0, unknown: 0 });
    const lags = h.engine.takeDetectionLags();
    expect(lags).toHaveLength(1);
    expect(lags[0]).toBeGreaterThan(0);
    expect(lags[0]).toBeLessThanOrEqual(1_250);
    h.run(100 * S, beating(30, new Set(['gd-3']), 0));
    expect(h.engine.countByState()).toEqual({ ok: 19, pending: 0, missing: 1, unknown: 0 });
    expect(h.engine.takeDetectionLags()).toEqual([]);
  });

  it.each([
    [
      'maintenance: a window keeps the ticket back',
      () => {
        const h = harness(dispensers(20), {
          maintenance: (deviceId) => (deviceId === 'gd-3' ? 'mw-7' : undefined),
        });
        h.run(60 * S, beating(30));
        h.run(200 * S, beating(30, new Set(['gd-3']), h.now));
        return h.engine;
      },
      { maintenance: 1 },
    ],
    [
      'correlated: 10 of 25 devices under one site ticket',
      () => {
        const fleet = dispensers(25);
        const h = harness(fleet);
        h.run(60 * S, beating(30));
        h.run(300 * S, beating(30, new Set(fleet.slice(0, 10).map((d) => d.id)), h.now));
        return h.engine;
      },
      { correlated: 10 },
    ],
    [
      'blip: heard again inside the correlation window',
      () => {
        const h = harness(dispensers(20));
        h.run(60 * S, beating(30));
        h.run(100 * S, beating(30, new Set(['gd-3']), h.now));
        h.run(60 * S, beating(30));
        return h.engine;
      },
      { blip: 1 },
    ],
    [
      'platform_quiet: every device past its deadline when data flows again',
      () => {
        const fleet = dispensers(20);
        const h = harness(fleet);
        h.run(60 * S, beating(30));
        h.run(120 * S, beating(30, new Set(fleet.map((d) => d.id)), h.now));
        h.run(60 * S, beating(30));
        return h.engine;
      },
      { platform_quiet: 20 },
    ],
    [
      'warm_up: overdue by the snapshot at the start (a missing one stays missing, not counted)',
      () =>
        new HealthEngine(
          DEFAULT_HEALTH_CONFIG,
          dispensers(3),
          T0,
          new Map([
            ['gd-1', { lastSeenAt: T0 - 3_600_000, state: 'ok' as const }],
            ['gd-2', { lastSeenAt: T0 - 3_600_000, state: 'missing' as const }],
            ['gd-3', { lastSeenAt: T0 - 10_000, state: 'ok' as const }],
          ]),
        ),
      { warm_up: 1 },
    ],
  ])('%s', (_label, run: () => HealthEngine, expected: Partial<typeof NONE_SUPPRESSED>) => {
    expect(run().suppressed).toEqual({ ...NONE_SUPPRESSED, ...expected });
  });
});

describe('HealthEngine: unknown BLE tags checked again', () => {
  const tags = (n: number): HealthDevice[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `wb-${i + 1}`,
      kind: 'wristband',
      siteId: 'st-anne',
    }));
  const sorted = (actions: HealthAction[], kind: HealthAction['kind']) =>
    actions
      .filter((a) => a.kind === kind)
      .map((a) => ('fingerprint' in a ? a.fingerprint : ''))
      .sort();

  /**
   * bs-1 (sightings every 10 s) hears `heard(t)` of the tags; bs-2 hears none; 40 dispensers
   * beat (62 devices: a site storm needs 19). Returns the engine and its actions with times.
   */
  function run(
    fleetTags: HealthDevice[],
    heard: (t: number) => readonly string[] | undefined,
    untilS: number,
    engine = new HealthEngine(
      DEFAULT_HEALTH_CONFIG,
      [
        { id: 'bs-1', kind: 'base_station', siteId: 'st-anne' },
        { id: 'bs-2', kind: 'base_station', siteId: 'st-anne' },
        ...fleetTags,
        ...dispensers(40),
      ],
      T0,
    ),
  ) {
    const actions: HealthAction[] = [];
    for (let t = T0 + S; t <= T0 + untilS * S; t += S) {
      if ((t / S) % 10 === 0) {
        const ids = heard(t - T0);
        if (ids !== undefined)
          engine.sighting(
            'bs-1',
            ids.map((id) => ({ id })),
            t,
          );
        engine.sighting('bs-2', [], t);
      }
      for (let i = 1; i <= 40; i++) if (beating(30)(`gd-${i}`, t)) engine.message(`gd-${i}`, t);
      engine.tick(t);
      actions.push(...engine.takeActions());
    }
    return { engine, actions };
  }

  it('a base station back without some of its tags: those go missing a full span after it, each with its own ticket; the others are ok', () => {
    const fleet = tags(20);
    const all = fleet.map((t) => t.id);
    const survivors = all.slice(0, 15);
    // bs-1 dies at 120 s with all 20 tags; back at 600 s hearing 15 of them
    const { engine, actions } = run(
      fleet,
      (t) => (t < 120 * S ? all : t < 600 * S ? undefined : survivors),
      1_200,
    );
    expect(sorted(actions, 'open')).toEqual(
      ['missing:bs-1', ...all.slice(15).map((id) => `missing:${id}`)].sort(),
    );
    expect(sorted(actions, 'recovered')).toEqual(['missing:bs-1']);
    for (const open of actions.filter((a) => a.kind === 'open' && a.deviceId !== 'bs-1')) {
      // back at 600 s, a wristband's span is 300 s, then the 60 s correlation window
      expect(open.at).toBeGreaterThanOrEqual(T0 + 960 * S);
      expect(open.at).toBeLessThanOrEqual(T0 + 962 * S);
    }
    expect(survivors.every((id) => engine.stateOf(id) === 'ok')).toBe(true);
    expect(all.slice(15).every((id) => engine.stateOf(id) === 'missing')).toBe(true);
  });

  it('the base station gone again before their new deadline: the tags stay unknown, no ticket of their own', () => {
    const fleet = tags(20);
    const all = fleet.map((t) => t.id);
    // back at 600 s hearing none of them, gone again at 640 s
    const { engine, actions } = run(
      fleet,
      (t) => (t < 120 * S ? all : t >= 600 * S && t < 640 * S ? [] : undefined),
      1_300,
    );
    expect(sorted(actions, 'open')).toEqual(['missing:bs-1', 'missing:bs-1']);
    expect(all.every((id) => engine.stateOf(id) === 'unknown')).toBe(true);
  });

  it('tags restored unknown at a start: unknown while a base station of their site is missing, then checked a full span after it is heard', () => {
    const fleet = tags(5);
    const restored = new Map<string, RestoredHealth>([
      ['bs-1', { lastSeenAt: T0 - 900 * S, state: 'missing', ticketOpen: true }],
      ...fleet.map(
        (t) => [t.id, { lastSeenAt: T0 - 600 * S, state: 'unknown' }] as [string, RestoredHealth],
      ),
    ]);
    const engine = new HealthEngine(
      DEFAULT_HEALTH_CONFIG,
      [
        { id: 'bs-1', kind: 'base_station', siteId: 'st-anne' },
        { id: 'bs-2', kind: 'base_station', siteId: 'st-anne' },
        ...fleet,
        ...dispensers(40),
      ],
      T0,
      restored,
    );
    // bs-1 silent past the warm-up (300 s for a wristband), back at 400 s hearing 3 of the 5
    const { actions } = run(
      fleet,
      (t) => (t < 400 * S ? undefined : ['wb-1', 'wb-2', 'wb-3']),
      900,
      engine,
    );
    expect(sorted(actions, 'open')).toEqual(['missing:wb-4', 'missing:wb-5']);
    for (const open of actions.filter((a) => a.kind === 'open')) {
      expect(open.at).toBeGreaterThanOrEqual(T0 + 760 * S);
    }
    expect(engine.stateOf('wb-1')).toBe('ok');
  });

  it('a tag restored unknown whose site has no base station missing is checked after the warm-up', () => {
    const engine = new HealthEngine(
      DEFAULT_HEALTH_CONFIG,
      [
        { id: 'bs-1', kind: 'base_station', siteId: 'st-anne' },
        { id: 'bs-2', kind: 'base_station', siteId: 'st-anne' },
        ...tags(1),
        ...dispensers(40),
      ],
      T0,
      new Map([['wb-1', { lastSeenAt: T0 - 600 * S, state: 'unknown' as const }]]),
    );
    const restarted = run(tags(1), () => [], 600, engine);
    expect(restarted.actions.filter((a) => a.kind === 'open')).toEqual([
      expect.objectContaining({ fingerprint: 'missing:wb-1', severity: 'green' }),
    ]);
    // warm-up 300 s, then the 60 s window
    expect(restarted.actions.find((a) => a.kind === 'open')?.at).toBeGreaterThanOrEqual(
      T0 + 360 * S,
    );
  });
});

describe('HealthEngine: registry changes while running', () => {
  /** Everyone beats for 60 s, then the whole fleet is quiet: when the platform ticket opens. */
  function platformOpensAfter(engine: HealthEngine, ids: readonly string[]): number {
    let t = T0;
    for (; t <= T0 + 60 * S; t += S) {
      for (const id of ids) engine.message(id, t);
      engine.tick(t);
    }
    const last = t - S;
    engine.takeActions();
    for (; t <= last + 400 * S; t += 250) {
      engine.tick(t);
      const open = engine.takeActions().find((a) => a.kind === 'open');
      if (open !== undefined) {
        expect(open).toMatchObject({ rule: 'platform' });
        return t - last;
      }
    }
    throw new Error('no platform ticket');
  }

  it('re-applying unchanged devices (the refresh re-reads a minute back) moves no deadline: missing from the last beat + span', () => {
    const devices: HealthDevice[] = [
      { id: 'gd-1', kind: 'gown_dispenser', siteId: 'st-anne' },
      { id: 'gd-2', kind: 'gown_dispenser', siteId: 'st-anne', intervalS: 5, misses: 3 },
    ];
    const spans = new Map([
      ['gd-1', 90 * S],
      ['gd-2', 15 * S],
    ]);
    const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, devices, T0);
    // past the warm-up, beats off the second; every device re-applied every 5 s, as the
    // registry refresh does with whatever was changed in the last minute
    const lastBeat = new Map<string, number>();
    let t = T0;
    for (; t <= T0 + 260 * S; t += 250) {
      for (const d of devices) {
        if (t % S === 0 && t <= T0 + 120 * S) {
          engine.message(d.id, t + 137);
          lastBeat.set(d.id, t + 137);
        }
        if (t % (5 * S) === 0) engine.upsertDevice({ ...d });
      }
      engine.tick(t);
    }
    const rows = engine.takeSnapshot().filter((r) => r.state !== 'ok');
    expect(
      rows.map((r) => [r.deviceId, r.state, r.stateSince - lastBeat.get(r.deviceId)!]),
    ).toEqual(devices.map((d) => [d.id, 'missing', spans.get(d.id)]));
  });

  it('an engine started empty takes the shortest interval from the devices added later', () => {
    const engine = new HealthEngine(DEFAULT_HEALTH_CONFIG, [], T0);
    for (const device of dispensers(20)) engine.upsertDevice(device);
    // 3 × 30 s, not 3 × the 10 s of an empty fleet
    const after = platformOpensAfter(
      engine,
      dispensers(20).map((d) => d.id),
    );
    expect(after).toBeGreaterThan(90 * S);
    expect(after).toBeLessThanOrEqual(91 * S);
  });

  it('recomputes it when the shortest-interval device is retired or an override changes', () => {
    const fleet = dispensers(20);
    const retired = new HealthEngine(
      DEFAULT_HEALTH_CONFIG,
      [...fleet, { id: 'bs-1', kind: 'base_station', siteId: 'st-anne' }],
      T0,
    );
    retired.removeDevice('bs-1', T0);
    expect(
      platformOpensAfter(
        retired,
        fleet.map((d) => d.id),
      ),
    ).toBeGreaterThan(90 * S);
    const slower = new HealthEngine(DEFAULT_HEALTH_CONFIG, fleet, T0);
    for (const device of fleet) slower.upsertDevice({ ...device, intervalS: 60 });
    const after = platformOpensAfter(
      slower,
      fleet.map((d) => d.id),
    );
    expect(after).toBeGreaterThan(180 * S);
    expect(after).toBeLessThanOrEqual(181 * S);
  });

  it('a retired device reactivated counts in its site again', () => {
    const fleet = dispensers(40);
    const h = harness(fleet);
    h.engine.removeDevice('gd-40', T0);
    h.engine.upsertDevice({ id: 'gd-40', kind: 'gown_dispenser', siteId: 'st-anne' });
    h.run(60 * S, beating(30));
    const dead = new Set(fleet.slice(0, 16).map((d) => d.id));
    h.run(300 * S, beating(30, dead, h.now));
    expect(h.opened()).toEqual([
      expect.objectContaining({
        rule: 'site',
        title: expect.stringContaining('16 of 40 devices') as unknown,
      }),
    ]);
  });

  it('a device of a site outage retired while silent: the site ticket notes the recovery when the rest are back', () => {
    const fleet = dispensers(20);
    const h = harness(fleet);
    h.run(60 * S, beating(30));
    const dead = new Set(fleet.slice(0, 12).map((d) => d.id));
    h.run(300 * S, beating(30, dead, h.now));
    expect(h.opened().map((o) => o.fingerprint)).toEqual(['site:st-anne']);
    // all but gd-12 come back; gd-12 is retired instead
    h.run(60 * S, beating(30, new Set(['gd-12']), h.now));
    expect(h.actions.filter((a) => a.kind === 'recovered')).toEqual([]);
    h.engine.removeDevice('gd-12', h.now);
    expect(h.engine.takeActions()).toEqual([
      expect.objectContaining({ kind: 'recovered', fingerprint: 'site:st-anne' }),
    ]);
  });
});

describe('HealthEngine: a base station retired while missing', () => {
  it('the tags left unknown behind it are checked again a full span after: missing, each with its own ticket', () => {
    const tags: HealthDevice[] = Array.from({ length: 3 }, (_, i) => ({
      id: `wb-${i + 1}`,
      kind: 'wristband',
      siteId: 'st-anne',
    }));
    const engine = new HealthEngine(
      DEFAULT_HEALTH_CONFIG,
      [{ id: 'bs-1', kind: 'base_station', siteId: 'st-anne' }, ...tags, ...dispensers(40)],
      T0,
    );
    const actions: HealthAction[] = [];
    let retiredAt = 0;
    for (let t = T0 + S; t <= T0 + 1_200 * S; t += S) {
      if (t < T0 + 120 * S && (t / S) % 10 === 0) {
        engine.sighting(
          'bs-1',
          tags.map((tag) => ({ id: tag.id })),
          t,
        );
      }
      if (t === T0 + 600 * S) {
        expect(tags.every((tag) => engine.stateOf(tag.id) === 'unknown')).toBe(true);
        engine.removeDevice('bs-1', t);
        retiredAt = t;
      }
      for (let i = 1; i <= 40; i++) if (beating(30)(`gd-${i}`, t)) engine.message(`gd-${i}`, t);
      engine.tick(t);
      actions.push(...engine.takeActions());
    }
    const opened = actions.filter((a) => a.kind === 'open');
    expect(opened.map((a) => a.fingerprint).sort()).toEqual([
      'missing:bs-1',
      'missing:wb-1',
      'missing:wb-2',
      'missing:wb-3',
    ]);
    for (const open of opened.filter((a) => a.fingerprint !== 'missing:bs-1')) {
      // a wristband's span (300 s) after the retirement, then the 60 s window
      expect(open.at).toBeGreaterThanOrEqual(retiredAt + 360 * S);
    }
  });
});
