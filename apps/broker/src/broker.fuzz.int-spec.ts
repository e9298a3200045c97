import { EventEmitter } from 'node:events';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { startTestApi } from '../../api/test/harness';
import type { TestApi } from '../../api/test/harness';
import { startBroker } from './broker';
import type { RunningBroker } from './broker';
import { registerFleet, testBrokerConfig } from '../test/broker-test-kit';

/**
 * Fuzz test of the real broker (aedes + auth/ACL/packet-size guard, PostgreSQL credentials):
 * over 10,000 random and mutated MQTT 3.1.1 inputs on short-lived raw TCP connections while a
 * good device publishes QoS 1 heartbeats to a service subscriber. The broker must not crash, lose
 * or misroute a good message, leak connections, sockets or memory.
 *
 * Deterministic: case i is generated from (seed, i) alone, so a failing run is replayed with
 * `ORFLEET_FUZZ_SEED=<seed>` (the seed is in every failure message). Only timing differs between
 * runs (50 connections run concurrently).
 */

const SEED = parseSeed(process.env['ORFLEET_FUZZ_SEED']) ?? 0x0f1ee7ed;
const LANES = 50; // concurrent fuzz connections
const WARMUP_INPUTS = 500;
// 40 % random bytes, 50 % one mutated packet, 10 % sessions of 8..14 packets: ~11,500 inputs
const CASES = 6_200;
const MIN_INPUTS = 10_000;
// the round takes ~30 s on 2 cores (warm-up ~2 s): these only bound a hang
const FUZZ_BUDGET_MS = 55_000;
const WARMUP_BUDGET_MS = 10_000;
const HEARTBEAT_EVERY_MS = 50;
const MAX_PACKET_BYTES = 65_536;
/**
 * RSS growth allowed over the round, from after a 500-input warm-up (JIT, V8 heap sizing, pg
 * pools, allocator arenas) to after the round and a settle. 64 MiB: the round opens ~6,200
 * connections and sends ~32 MiB; keeping what it sent, or an aedes client (parser, streams,
 * buffers: ≥ 10 KiB) per connection, would exceed it, while V8 and the allocator growing their
 * pools under load stay well below it (observed: +20..35 MiB on a 2-core machine, flat in the
 * second half of the round). The RSS includes the API, PostgreSQL clients and Jest.
 */
const RSS_GROWTH_BOUND = 64 * 1024 * 1024;
/**
 * Growth of live memory (JS heap + Buffer backing stores, after forced GCs, when a GC can be
 * forced) allowed over the round: 16 MiB ≈ 1.4 KiB per input, half of what the round sends
 * (observed: +2 MiB). The sharper leak check; the RSS bound stands without it.
 */
const HEAP_GROWTH_BOUND = 16 * 1024 * 1024;
/**
 * TCP handles allowed above the pre-fuzz baseline once the round is over: the broker's and the
 * API's pg pools (10 each) may keep extra idle connections for 10 s; a leak of server-side
 * sockets would be thousands.
 */
const SOCKET_SLACK = 25;

jest.setTimeout(120_000);

const SITE = 'st-anne';
const GOOD = 'gd-1'; // the good device; the fuzzer never has its secret
const GOOD_TOPIC = `or/${SITE}/gown_dispenser/${GOOD}/heartbeat`;
/** Devices whose real secrets the fuzzer uses (valid CONNECTs, sessions). */
const FUZZ_DEVICES = [
  { id: 'gd-2', kind: 'gown_dispenser', channels: ['heartbeat', 'telemetry', 'fault'] },
  { id: 'bs-1', kind: 'base_station', channels: ['heartbeat', 'telemetry', 'fault', 'sightings'] },
] as const;
/** Topics a service subscribed to `or/#` may legitimately receive during the fuzz. */
const DELIVERABLE =
  /^or\/st-anne\/(gown_dispenser\/gd-2\/(heartbeat|telemetry|fault)|base_station\/bs-1\/(heartbeat|telemetry|fault|sightings))$/;

describe('broker under fuzzing (real aedes, raw TCP, PostgreSQL)', () => {
  let t: TestApi;
  let broker: RunningBroker;
  const secret: Record<string, string> = {};
  const clients: MqttClient[] = [];
  const sockets = new Set<Socket>();
  const gc = forcedGc();
  /** The last cases started, for failure messages. */
  const recent: string[] = [];
  const context = () =>
    `[seed 0x${SEED.toString(16)}: replay with ORFLEET_FUZZ_SEED=0x${SEED.toString(16)}; ` +
    `last cases: ${recent.slice(-8).join(', ')}]`;
  const must = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`${what} ${context()}`);
  };
  /** Polls until done() holds; the failure text if it did not within ms. */
  const waitFor = async (
    what: string,
    done: () => boolean | Promise<boolean>,
    ms: number,
  ): Promise<string | undefined> => {
    const deadline = Date.now() + ms;
    while (!(await done())) {
      if (Date.now() > deadline) return `timed out after ${ms} ms waiting for ${what}`;
      await sleep(50);
    }
    return undefined;
  };
  /** A step that must finish within ms (a hung broker fails with what was awaited). */
  const within = async <T>(what: string, ms: number, step: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${ms} ms waiting for ${what} ${context()}`)),
        ms,
      );
    });
    try {
      return await Promise.race([step, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  beforeAll(async () => {
    t = await startTestApi();
    Object.assign(
      secret,
      await registerFleet(t, SITE, [
        [GOOD, 'gown_dispenser'],
        ['gd-2', 'gown_dispenser'],
        ['bs-1', 'base_station'],
      ]),
    );
    broker = await startBroker(
      testBrokerConfig(t, {
        ORFLEET_BROKER_MAX_PACKET_BYTES: String(MAX_PACKET_BYTES),
        // the connection guard-rails (rates, flapping bans) would stop most inputs before the
        // parser, authentication and ACLs, which are what is fuzzed here
        ORFLEET_BROKER_FLAP_MAX_CONNECTS: '100000',
        ORFLEET_BROKER_CONNECT_RATE_PER_IP: '1000000',
        ORFLEET_BROKER_CONNECT_BURST_PER_IP: '1000000',
      }),
    );
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
    await broker?.close();
    await t?.close();
  });

  const connect = async (clientId: string, username: string, password: string) => {
    const client = await connectAsync(`mqtt://127.0.0.1:${broker.mqttPort}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      clientId,
      username,
      password,
    });
    clients.push(client);
    return client;
  };
  const ops = (path: string) =>
    fetch(`http://127.0.0.1:${broker.opsPort}${path}`, { signal: AbortSignal.timeout(5_000) });
  const connectedClients = async () => sumGauge(await (await ops('/metrics')).text());
  /** Device id → state of the retained presence events, as a new subscriber gets them. */
  const retainedPresence = async () => {
    const watcher = await connect(
      'svc:test-device-service:presence-check',
      'svc:test-device-service',
      t.tokens['device-service'],
    );
    const states: Record<string, string> = {};
    watcher.on('message', (topic, payload) => {
      const event = JSON.parse(payload.toString()) as { state?: string };
      states[topic.split('/').pop() ?? topic] = String(event.state);
    });
    await watcher.subscribeAsync('orfleet/presence/+', { qos: 1 });
    await sleep(500);
    await watcher.endAsync();
    return states;
  };

  /** Runs cases [from, to) of a stream on LANES concurrent connections; returns what was sent. */
  const fuzz = async (
    seed: number,
    from: number,
    to: number,
    deadline: number,
    stopAtInputs = Infinity,
  ) => {
    const stats = newStats();
    let next = from;
    const lane = async () => {
      while (next < to && stats.inputs < stopAtInputs && Date.now() < deadline) {
        const c = makeCase(seed, next++, secret);
        recent.push(`#${c.index}:${c.category}`);
        if (recent.length > 64) recent.splice(0, 32);
        await runCase(broker.mqttPort, c, stats, sockets);
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    must(Date.now() <= deadline, `fuzz cases ${from}..${to - 1} did not finish in time`);
    return stats;
  };

  it('survives 10,000+ random and mutated inputs while a good device keeps working', async () => {
    const started = Date.now();
    // the good device and the service that must receive every one of its heartbeats
    const ingest = await connect(
      'svc:test-device-service:ingest-fuzz',
      'svc:test-device-service',
      t.tokens['device-service'],
    );
    const received = new Set<number>();
    let duplicates = 0;
    let maxLatencyMs = 0;
    const misrouted: string[] = [];
    ingest.on('message', (topic, payload) => {
      if (topic === GOOD_TOPIC) {
        const beat = parseBeat(payload);
        if (beat !== undefined) {
          if (received.has(beat.seq)) duplicates++;
          received.add(beat.seq);
          maxLatencyMs = Math.max(maxLatencyMs, Date.now() - beat.at);
          return;
        }
      }
      // anything else must come from a fuzz device with valid credentials, on its own topics
      if (!DELIVERABLE.test(topic) && misrouted.length < 20) {
        misrouted.push(`${JSON.stringify(topic)} ${JSON.stringify(payload.subarray(0, 40))}`);
      }
    });
    await ingest.subscribeAsync('or/#', { qos: 1 });
    const gd = await connect(GOOD, GOOD, secret[GOOD] ?? '');
    const goodEvents: string[] = [];
    for (const client of [gd, ingest]) {
      const name = client === gd ? GOOD : 'ingest';
      for (const event of ['close', 'offline', 'disconnect', 'error'] as const) {
        client.on(event, (arg?: unknown) => goodEvents.push(`${name}:${event} ${String(arg)}`));
      }
    }
    let sent = 0;
    let acked = 0;
    const publishErrors: string[] = [];
    const beat = () => {
      const seq = sent++;
      gd.publishAsync(GOOD_TOPIC, JSON.stringify({ seq, at: Date.now(), good: true }), {
        qos: 1,
      }).then(
        () => acked++,
        (error: unknown) => publishErrors.push(`seq ${seq}: ${String(error)}`),
      );
    };
    const heartbeats = setInterval(beat, HEARTBEAT_EVERY_MS);
    try {
      const first = await waitFor(
        'the first heartbeat at the service',
        () => received.size > 0,
        5_000,
      );
      must(first === undefined, String(first));
      const baselineClients = await connectedClients();
      must(
        baselineClients === 2,
        `expected 2 connected clients before fuzzing, metrics say ${baselineClients}`,
      );

      // warm-up: JIT, V8 heap sizing, pg pool connections, credential cache
      const warmup = await fuzz(
        SEED ^ 0x5a5a5a5a,
        0,
        1_000,
        Date.now() + WARMUP_BUDGET_MS,
        WARMUP_INPUTS,
      );
      await settle(gc);
      const before = memory();
      const socketsBefore = tcpHandles();

      const fuzzStarted = Date.now();
      const deadline = fuzzStarted + FUZZ_BUDGET_MS;
      const half = Math.floor(CASES / 2);
      const firstHalf = await fuzz(SEED, 0, half, deadline);
      await settle(gc);
      const middle = memory();
      const second = await fuzz(SEED, half, CASES, deadline);
      const fuzzMs = Date.now() - fuzzStarted;
      const stats = addStats(firstHalf, second);

      // the tail: every heartbeat sent must be acknowledged and delivered
      clearInterval(heartbeats);
      const problems: string[] = [];
      const report = (problem: string | undefined) => {
        if (problem !== undefined) problems.push(problem);
      };
      const check = (ok: boolean, problem: string) => report(ok ? undefined : problem);
      report(
        await waitFor(
          `all heartbeats acknowledged and received`,
          () => (acked === sent && received.size === sent) || publishErrors.length > 0,
          10_000,
        ),
      );
      report(
        await waitFor(
          `connected clients (orfleet_broker_clients) back to the baseline of ${baselineClients}`,
          async () => (await connectedClients()) === baselineClients,
          10_000,
        ).then(async (p) => p && `${p}: now ${await connectedClients()}`),
      );
      report(
        await waitFor(
          `TCP handles back within ${SOCKET_SLACK} of the ${socketsBefore} before fuzzing`,
          () => sockets.size === 0 && tcpHandles() <= socketsBefore + SOCKET_SLACK,
          10_000,
        ).then((p) => p && `${p}: now ${tcpHandles()}, fuzz sockets open ${sockets.size}`),
      );
      await settle(gc);
      const after = memory();
      // no fuzz connection is open any more: the retained presence must say so
      const presence = await within('the retained presence events', 10_000, retainedPresence());
      for (const [device, state] of Object.entries(presence)) {
        const expected = device === GOOD ? 'online' : 'offline';
        check(
          state === expected,
          `retained presence of ${device} is "${state}", expected "${expected}" (all presence: ` +
            `${JSON.stringify(presence)})`,
        );
      }

      const counters = (await (await ops('/metrics')).text())
        .split('\n')
        .filter((l) => /^orfleet_broker_\w+_total/.test(l))
        .map((l) => l.replace(/^orfleet_broker_/, ''))
        .join(', ');
      const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
      console.log(
        [
          `fuzz seed 0x${SEED.toString(16)}: ${stats.inputs} inputs (${mib(stats.bytes)}) in ${fuzzMs} ms ` +
            `(+${warmup.inputs} warm-up; whole test ${Date.now() - started} ms)`,
          `  random byte strings ${stats.random}, mutated packets ${stats.mutated}, ` +
            `session packets ${stats.session} over ${stats.sessions} sessions ` +
            `(${stats.sessionsRefused} not accepted)`,
          `  connections ${stats.connections}: closed by the broker ${stats.closedByBroker}, ` +
            `by the fuzzer ${stats.closedByUs}, socket errors ${stats.socketErrors}, ` +
            `CONNACK codes ${JSON.stringify(stats.connacks)}`,
          `  RSS ${mib(before.rss)} → ${mib(middle.rss)} → ${mib(after.rss)}; live (heap + buffers) ` +
            `${mib(before.heap)} → ${mib(middle.heap)} → ${mib(after.heap)} (forced GC: ${gc !== undefined})`,
          `  TCP handles ${socketsBefore} → ${tcpHandles()}; broker counters: ${counters}`,
          `  heartbeats sent ${sent}, acked ${acked}, received ${received.size} ` +
            `(duplicates ${duplicates}), max latency ${maxLatencyMs} ms`,
        ].join('\n'),
      );

      check(stats.inputs >= MIN_INPUTS, `only ${stats.inputs} inputs were sent`);
      check(
        publishErrors.length === 0,
        `good device publishes failed: ${publishErrors.join('; ')}`,
      );
      check(
        received.size === sent,
        `service received ${received.size} of ${sent} heartbeats of the good device`,
      );
      check(goodEvents.length === 0, `good clients were disturbed: ${goodEvents.join('; ')}`);
      check(gd.connected && ingest.connected, 'good device or service no longer connected');
      check(
        misrouted.length === 0,
        `service received messages on topics nobody may publish: ${misrouted.join('; ')}`,
      );
      check(
        stats.finNotClosed === 0,
        `${stats.finNotClosed} connections stayed open 3 s after the fuzzer's FIN`,
      );
      check(
        after.rss - before.rss < RSS_GROWTH_BOUND,
        `RSS grew by ${mib(after.rss - before.rss)} (${mib(before.rss)} → ${mib(after.rss)}), ` +
          `bound ${mib(RSS_GROWTH_BOUND)}`,
      );
      if (gc !== undefined) {
        check(
          after.heap - before.heap < HEAP_GROWTH_BOUND,
          `live memory (heap + buffers) grew by ${mib(after.heap - before.heap)} (${mib(before.heap)} → ` +
            `${mib(after.heap)}), bound ${mib(HEAP_GROWTH_BOUND)}`,
        );
      }
      must(problems.length === 0, `\n  - ${problems.join('\n  - ')}\n`);
    } finally {
      clearInterval(heartbeats);
    }
  });

  it('is still ready, reports parsable metrics and serves a fresh device afterwards', async () => {
    expect((await ops('/healthz')).status).toBe(200);
    const ready = await ops('/readyz');
    must(ready.status === 200, `/readyz answered ${ready.status}: ${await ready.text()}`);
    const metrics = await (await ops('/metrics')).text();
    const bad = metrics
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .filter(
        // the values Prometheus parses (Go's ParseFloat: NaN and Inf in any case)
        (line) =>
          !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? ([-+]?[0-9.eE+-]+|[-+]?inf|nan)$/i.test(line),
      );
    must(bad.length === 0, `unparsable metrics lines: ${bad.slice(0, 5).join(' | ')}`);
    expect(metrics).toMatch(/orfleet_broker_oversize_packets_total [1-9]/);
    expect(metrics).toMatch(
      /orfleet_broker_connections_refused_total\{reason="BAD_SECRET"\} [1-9]/,
    );

    const ingest = await within(
      'a fresh service connection',
      10_000,
      connect(
        'svc:test-device-service:ingest-after',
        'svc:test-device-service',
        t.tokens['device-service'],
      ),
    );
    await within(
      'the SUBACK of a fresh service',
      5_000,
      ingest.subscribeAsync('or/st-anne/gown_dispenser/gd-2/telemetry', { qos: 1 }),
    );
    // (the fuzz left retained messages on this topic: wait for this very one)
    const got = new Promise<string>((resolve) =>
      ingest.on('message', (_topic, payload, packet) => {
        if (!packet.retain) resolve(payload.toString());
      }),
    );
    const gd = await within(
      'a fresh gd-2 connection',
      10_000,
      connect('gd-2:after', 'gd-2', secret['gd-2'] ?? ''),
    );
    await within(
      'the PUBACK of a fresh device',
      5_000,
      gd.publishAsync('or/st-anne/gown_dispenser/gd-2/telemetry', '{"after":"fuzz"}', { qos: 1 }),
    );
    expect(await within('the fresh device telemetry at the service', 5_000, got)).toBe(
      '{"after":"fuzz"}',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Running a case

type Category = 'random' | 'mutated' | 'session';

interface FuzzCase {
  readonly index: number;
  readonly category: Category;
  /** Written as soon as the connection is up (several chunks: fragmentation). */
  readonly first: readonly Buffer[];
  /** Written one by one after a successful CONNACK (sessions only). */
  readonly afterConnack: readonly Buffer[];
  /** How long to wait for the broker after writing, before closing. */
  readonly lingerMs: number;
  /** 'end' sends a FIN and waits for the broker to close; 'destroy' resets the connection. */
  readonly ending: 'end' | 'destroy';
}

interface Stats {
  inputs: number;
  bytes: number;
  random: number;
  mutated: number;
  session: number;
  sessions: number;
  sessionsRefused: number;
  connections: number;
  closedByBroker: number;
  closedByUs: number;
  socketErrors: number;
  finNotClosed: number;
  connacks: Record<string, number>;
}

const newStats = (): Stats => ({
  inputs: 0,
  bytes: 0,
  random: 0,
  mutated: 0,
  session: 0,
  sessions: 0,
  sessionsRefused: 0,
  connections: 0,
  closedByBroker: 0,
  closedByUs: 0,
  socketErrors: 0,
  finNotClosed: 0,
  connacks: {},
});

function addStats(a: Stats, b: Stats): Stats {
  const connacks = { ...a.connacks };
  for (const [code, n] of Object.entries(b.connacks)) connacks[code] = (connacks[code] ?? 0) + n;
  return {
    inputs: a.inputs + b.inputs,
    bytes: a.bytes + b.bytes,
    random: a.random + b.random,
    mutated: a.mutated + b.mutated,
    session: a.session + b.session,
    sessions: a.sessions + b.sessions,
    sessionsRefused: a.sessionsRefused + b.sessionsRefused,
    connections: a.connections + b.connections,
    closedByBroker: a.closedByBroker + b.closedByBroker,
    closedByUs: a.closedByUs + b.closedByUs,
    socketErrors: a.socketErrors + b.socketErrors,
    finNotClosed: a.finNotClosed + b.finNotClosed,
    connacks,
  };
}

/** One connection: write the case, wait for the broker a little, close. Never rejects. */
async function runCase(port: number, c: FuzzCase, stats: Stats, open: Set<Socket>) {
  const socket = createConnection({ port, host: '127.0.0.1' });
  open.add(socket);
  stats.connections++;
  let closed = false;
  let connack: Buffer = Buffer.alloc(0);
  const changes = new EventEmitter(); // 'tick' on connect, data and close
  socket.setNoDelay(true);
  socket.on('error', () => stats.socketErrors++);
  socket.on('connect', () => changes.emit('tick'));
  socket.on('data', (chunk: Buffer) => {
    if (connack.length < 4) connack = Buffer.concat([connack, chunk]).subarray(0, 4);
    changes.emit('tick');
  });
  socket.on('close', () => {
    closed = true;
    open.delete(socket);
    changes.emit('tick');
  });
  /** Resolves once done() holds or the socket closed, or after ms. */
  const until = (ms: number, done: () => boolean) =>
    new Promise<void>((resolve) => {
      if (done() || closed) return resolve();
      const check = () => {
        if (!done() && !closed) return;
        clearTimeout(timer);
        changes.off('tick', check);
        resolve();
      };
      const timer = setTimeout(() => {
        changes.off('tick', check);
        resolve();
      }, ms);
      changes.on('tick', check);
    });
  const writable = () => !closed && !socket.destroyed && socket.writable;
  const countConnack = () => {
    const code = connack.length >= 4 && connack[0] === 0x20 ? String(connack[3]) : 'none';
    stats.connacks[code] = (stats.connacks[code] ?? 0) + 1;
    return code;
  };

  try {
    await until(2_000, () => !socket.connecting);
    if (closed || socket.connecting) return;
    if (c.category === 'session') {
      stats.sessions++;
      for (const chunk of c.first) socket.write(chunk, () => undefined);
      await until(2_000, () => connack.length >= 4);
      if (countConnack() !== '0') {
        stats.sessionsRefused++;
        return;
      }
      let i = 0;
      for (const packet of c.afterConnack) {
        if (!writable()) break;
        socket.write(packet, () => undefined);
        stats.inputs++;
        stats.bytes += packet.length;
        stats.session++;
        if (++i % 4 === 0) await new Promise((r) => setImmediate(r));
      }
    } else {
      if (!writable()) return;
      for (const chunk of c.first) {
        socket.write(chunk, () => undefined);
        stats.bytes += chunk.length;
      }
      stats.inputs++;
      stats[c.category]++;
    }
    await until(c.lingerMs, () => false);
    if (c.category !== 'session' && connack.length >= 4) countConnack();
  } finally {
    if (closed) {
      stats.closedByBroker++;
    } else {
      stats.closedByUs++;
      if (c.ending === 'end') {
        socket.end();
        await until(3_000, () => false);
        if (!closed) stats.finNotClosed++;
      }
      socket.destroy();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Generating cases

/** mulberry32: a small, fast, seedable PRNG. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let x = this.state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }
}

function makeCase(seed: number, index: number, secret: Record<string, string>): FuzzCase {
  const r = new Rng((seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
  r.next();
  const slot = index % 20;
  const category: Category = slot < 8 ? 'random' : slot < 18 ? 'mutated' : 'session';
  const ending = r.chance(0.2) ? 'end' : 'destroy';
  if (category === 'random') {
    const bytes = r.bytes(r.int(1, 2_000));
    // a CONNECT type byte now and then gets the parser past the first byte
    if (r.chance(0.25)) bytes[0] = 0x10;
    return {
      index,
      category,
      first: fragment(r, bytes),
      afterConnack: [],
      lingerMs: r.int(0, 40),
      ending,
    };
  }
  if (category === 'mutated') {
    const packet = mutate(r, templatePacket(r, secret));
    // non-CONNECT packets: sometimes behind a CONNECT, valid or not, in the same write
    const prefix =
      packet[0] !== undefined && packet[0] >> 4 === 1
        ? []
        : r.pick([[], [validConnect(r, secret)], [invalidConnect(r, secret)]]);
    return {
      index,
      category,
      first: fragment(r, Buffer.concat([...prefix, packet])),
      afterConnack: [],
      lingerMs: r.int(0, 60),
      ending,
    };
  }
  const device = r.pick(FUZZ_DEVICES);
  const packets: Buffer[] = [];
  for (let n = r.int(8, 14); n > 0; n--) {
    let packet = sessionPacket(r, device);
    if (r.chance(0.2)) packet = mutate(r, packet);
    packets.push(packet);
  }
  return {
    index,
    category,
    first: [validConnect(r, secret, device.id, true)],
    afterConnack: packets,
    lingerMs: r.int(20, 100),
    ending,
  };
}

/** Splits a buffer into 1-3 chunks, so packets also arrive fragmented. */
function fragment(r: Rng, buf: Buffer): Buffer[] {
  if (buf.length < 2 || r.chance(0.6)) return [buf];
  const cut = r.int(1, buf.length - 1);
  return [buf.subarray(0, cut), buf.subarray(cut)];
}

// --- MQTT 3.1.1 by hand: fixed header + remaining length + fields

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}
const packet = (first: number, body: Buffer) =>
  Buffer.concat([Buffer.from([first]), varint(body.length), body]);
const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([u16(b.length), b]);
};

interface ConnectFields {
  protocol?: string;
  level?: number;
  flags?: number; // overrides the computed flags
  keepalive?: number;
  clean?: boolean;
  clientId: string | Buffer;
  username?: string | Buffer;
  password?: string | Buffer;
  will?: { topic: string | Buffer; payload: Buffer; qos: number; retain: boolean };
}

function connect(f: ConnectFields): Buffer {
  let flags = f.clean === false ? 0 : 0x02;
  if (f.username !== undefined) flags |= 0x80;
  if (f.password !== undefined) flags |= 0x40;
  if (f.will !== undefined) flags |= 0x04 | ((f.will.qos & 3) << 3) | (f.will.retain ? 0x20 : 0);
  const payload = [str(f.clientId)];
  if (f.will !== undefined) payload.push(str(f.will.topic), str(f.will.payload));
  if (f.username !== undefined) payload.push(str(f.username));
  if (f.password !== undefined) payload.push(str(f.password));
  const body = Buffer.concat([
    str(f.protocol ?? 'MQTT'),
    Buffer.from([f.level ?? 4, f.flags ?? flags]),
    u16(f.keepalive ?? 60),
    ...payload,
  ]);
  return packet(0x10, body);
}

function publish(
  topic: string | Buffer,
  payload: Buffer,
  qos: number,
  retain = false,
  dup = false,
) {
  const first = 0x30 | (dup ? 0x08 : 0) | ((qos & 3) << 1) | (retain ? 1 : 0);
  const id = qos > 0 ? [u16(1 + (payload.length % 65_535))] : [];
  return packet(first, Buffer.concat([str(topic), ...id, payload]));
}

function subscribe(id: number, filters: readonly { topic: string | Buffer; qos: number }[]) {
  const body = [u16(id), ...filters.flatMap((f) => [str(f.topic), Buffer.from([f.qos])])];
  return packet(0x82, Buffer.concat(body));
}

function unsubscribe(id: number, filters: readonly (string | Buffer)[]) {
  return packet(0xa2, Buffer.concat([u16(id), ...filters.map((f) => str(f))]));
}

// --- field generators

const INVALID_UTF8 = [
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate
  Buffer.from([0xe2, 0x82]), // truncated sequence
  Buffer.from([0xc0, 0xaf]), // overlong '/'
  Buffer.from([0x00]), // U+0000, forbidden in MQTT strings
];

function weirdString(r: Rng, base: string): string | Buffer {
  switch (r.int(0, 7)) {
    case 0:
      return '';
    case 1:
      return Buffer.concat([Buffer.from(base), r.pick(INVALID_UTF8)]);
    case 2:
      return `${base}\u0000`;
    case 3:
      return base.repeat(r.int(50, 2_000)).slice(0, 60_000);
    case 4:
      return r.bytes(r.int(1, 64));
    case 5:
      return `${base}:${r.int(0, 1e6)}`;
    case 6:
      return `${base}\u{1F4A9}\uFEFF`;
    default:
      return base;
  }
}

function deepTopic(r: Rng, prefix: string): string {
  return `${prefix}/${Array.from({ length: r.int(101, 1_500) }, () => r.pick(['a', '', 'x1'])).join('/')}`;
}

/** A publish topic for a device: mostly its own, sometimes anything but. */
function publishTopic(r: Rng, device: (typeof FUZZ_DEVICES)[number]): string | Buffer {
  const own = `or/${SITE}/${device.kind}/${device.id}`;
  switch (r.int(0, 15)) {
    case 0:
      return `${own}/+`;
    case 1:
      return r.pick(['#', '+', `${own}/#`, 'or/+/+/+/heartbeat', `${own}/heart#beat`]);
    case 2:
      return GOOD_TOPIC; // another device's: refused, and must never reach the service
    case 3:
      return r.pick(['$SYS/broker/x', `orfleet/presence/${device.id}`, `${own}/cmd/reboot`]);
    case 4:
      return '';
    case 5:
      return deepTopic(r, own);
    case 6:
      return Buffer.concat([Buffer.from(`${own}/`), r.pick(INVALID_UTF8)]);
    case 7:
      return `${own}/${r.pick(['sightings', 'status', 'HEARTBEAT', '', ' heartbeat'])}`;
    case 8:
      return `/${own}/heartbeat`;
    default:
      return `${own}/${r.pick(device.channels)}`;
  }
}

function filterFor(r: Rng, device: (typeof FUZZ_DEVICES)[number]): string | Buffer {
  const cmd = `or/${SITE}/${device.kind}/${device.id}/cmd`;
  return r.pick<string | Buffer>([
    `${cmd}/#`,
    `${cmd}/reboot`,
    `${cmd}/+`,
    '#',
    '+/+/#',
    `$share/g/${cmd}/#`,
    '$SYS/#',
    'or/#',
    GOOD_TOPIC,
    'a/#/b',
    'a+/b',
    '',
    deepTopic(r, cmd),
    Buffer.concat([Buffer.from(`${cmd}/`), r.pick(INVALID_UTF8)]),
    `orfleet/presence/${GOOD}`,
  ]);
}

function randomPayload(r: Rng): Buffer {
  switch (r.int(0, 9)) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return r.bytes(r.int(1, 512));
    case 2: // garbage JSON
      return Buffer.from(
        Array.from({ length: r.int(1, 400) }, () =>
          r.pick([
            '{',
            '}',
            '[',
            ']',
            '"',
            ':',
            ',',
            'null',
            'true',
            '1e309',
            '-0',
            '\\u',
            'é',
            ' ',
          ]),
        ).join(''),
      );
    case 3: // deep nesting
      return Buffer.from('['.repeat(r.int(100, 20_000)));
    case 4: // huge-ish, under the packet limit with any topic below ~5 KB
      return r.bytes(r.int(20_000, 60_000));
    case 5:
      return Buffer.from(
        `{"seq":${r.int(-5, 1e9)},"at":1e309,"good":"\ud800","x":${'9'.repeat(400)}}`,
      );
    case 6:
      return Buffer.concat([Buffer.from('{"a":"'), r.pick(INVALID_UTF8), Buffer.from('"}')]);
    case 7: // just over the limit: the guard closes the connection
      return r.chance(0.3)
        ? r.bytes(r.int(MAX_PACKET_BYTES, MAX_PACKET_BYTES + 5_000))
        : r.bytes(8);
    default:
      return Buffer.from(
        JSON.stringify({ battery: r.int(0, 100), level: r.next(), t: Date.now() }),
      );
  }
}

/** A CONNECT with real credentials; `accepted`: one the broker accepts (no keepalive 0, a valid will). */
function validConnect(
  r: Rng,
  secret: Record<string, string>,
  id?: string,
  accepted = false,
): Buffer {
  const device = id === undefined ? r.pick(FUZZ_DEVICES) : FUZZ_DEVICES.find((d) => d.id === id);
  if (device === undefined) throw new Error(`no fuzz device ${id}`);
  return connect({
    // a small set of client ids: session take-overs happen, session state stays bounded
    clientId: r.chance(0.5) ? device.id : `${device.id}:fz${r.int(0, 7)}`,
    username: device.id,
    password: secret[device.id] ?? '',
    keepalive: accepted ? r.pick([10, 60, 600]) : r.pick([0, 10, 60, 600]),
    clean: r.chance(0.8),
    ...(r.chance(0.2)
      ? {
          will: {
            topic: accepted
              ? `or/${SITE}/${device.kind}/${device.id}/${r.pick(device.channels)}`
              : publishTopic(r, r.pick(FUZZ_DEVICES)),
            payload: Buffer.from('{"will":true}'),
            qos: r.int(0, 1),
            retain: r.chance(0.3),
          },
        }
      : {}),
  });
}

function invalidConnect(r: Rng, secret: Record<string, string>): Buffer {
  const device = r.pick(FUZZ_DEVICES).id;
  return r.pick([
    () => connect({ clientId: device, username: device, password: 'dev_wrong' }),
    () => connect({ clientId: 'gd-404', username: 'gd-404', password: 'dev_x' }),
    () => connect({ clientId: device, username: device }),
    () => connect({ clientId: 'gd-2', username: 'bs-1', password: secret['bs-1'] ?? '' }),
    () => connect({ clientId: 'svc:ingest', username: 'svc:ingest', password: 'orf_nope' }),
    () => connect({ clientId: device, password: secret[device] ?? '' }),
  ])();
}

/** A valid-ish packet of any type, before byte-level mutation. */
function templatePacket(r: Rng, secret: Record<string, string>): Buffer {
  const device = r.pick(FUZZ_DEVICES);
  switch (r.int(0, 13)) {
    case 0:
    case 1:
      return validConnect(r, secret);
    case 2:
      return invalidConnect(r, secret);
    case 3:
    case 4: // CONNECT with fuzzed fields
      return connect({
        protocol: r.pick(['MQTT', 'MQTT', 'MQIsdp', 'MQTX', '', 'mqtt']),
        level: r.pick([4, 4, 3, 5, 0, 255]),
        ...(r.chance(0.3) ? { flags: r.int(0, 255) } : {}),
        keepalive: r.pick([0, 1, 5, 601, 65_535]),
        clean: r.chance(0.7),
        clientId: weirdString(r, device.id),
        ...(r.chance(0.9) ? { username: weirdString(r, r.pick([device.id, 'svc:x'])) } : {}),
        ...(r.chance(0.8)
          ? { password: r.chance(0.5) ? (secret[device.id] ?? '') : weirdString(r, 'dev_') }
          : {}),
        ...(r.chance(0.2)
          ? {
              will: {
                topic: publishTopic(r, device),
                payload: randomPayload(r).subarray(0, 2_000),
                qos: r.int(0, 3),
                retain: r.chance(0.5),
              },
            }
          : {}),
      });
    case 5:
    case 6:
    case 7:
      return publish(
        publishTopic(r, device),
        randomPayload(r),
        r.int(0, 3),
        r.chance(0.2),
        r.chance(0.1),
      );
    case 8:
    case 9:
      return subscribe(
        r.int(0, 65_535),
        Array.from({ length: r.int(0, 4) }, () => ({
          topic: filterFor(r, device),
          qos: r.int(0, 3),
        })),
      );
    case 10:
      return unsubscribe(r.int(0, 65_535), [filterFor(r, device)]);
    case 11:
      return r.pick([Buffer.from([0xc0, 0]), Buffer.from([0xe0, 0])]); // PINGREQ, DISCONNECT
    case 12: // acks for unknown ids, server-only packets, reserved types
      return packet(
        r.pick([0x40, 0x50, 0x62, 0x70, 0x20, 0x90, 0xb0, 0xd0, 0x00, 0xf0]),
        u16(r.int(0, 65_535)),
      );
    default:
      return packet(r.int(0, 255), r.bytes(r.int(0, 64)));
  }
}

/** A packet of an authenticated device's session: mostly valid publishes, the rest anything. */
function sessionPacket(r: Rng, device: (typeof FUZZ_DEVICES)[number]): Buffer {
  switch (r.int(0, 9)) {
    case 0:
      return subscribe(r.int(1, 65_535), [{ topic: filterFor(r, device), qos: r.int(0, 2) }]);
    case 1:
      return unsubscribe(r.int(1, 65_535), [filterFor(r, device)]);
    case 2:
      return Buffer.from([0xc0, 0]); // PINGREQ
    case 3:
      return publish(publishTopic(r, device), randomPayload(r), r.int(0, 2), r.chance(0.2));
    case 4:
      return packet(r.pick([0x40, 0x50, 0x62, 0x70]), u16(r.int(0, 65_535))); // stray acks
    default: {
      const own = `or/${SITE}/${device.kind}/${device.id}/${r.pick(device.channels)}`;
      return publish(own, randomPayload(r), r.int(0, 1), r.chance(0.1));
    }
  }
}

/** 1-3 byte-level mutations of an encoded packet. */
function mutate(r: Rng, input: Buffer): Buffer {
  let buf = Buffer.from(input);
  for (let n = r.int(1, 3); n > 0; n--) {
    const at = r.int(0, Math.max(0, buf.length - 1));
    switch (r.int(0, 9)) {
      case 0: // bit flips
        for (let k = r.int(1, 8); k > 0 && buf.length > 0; k--) {
          const i = r.int(0, buf.length - 1);
          buf[i] = (buf[i] as number) ^ (1 << r.int(0, 7));
        }
        break;
      case 1: // interesting byte values
        if (buf.length > 0) buf[at] = r.pick([0x00, 0xff, 0x7f, 0x80, 0x2f, 0x23, 0x2b]);
        break;
      case 2: // truncation
        buf = buf.subarray(0, r.int(0, Math.max(0, buf.length - 1)));
        break;
      case 3: // duplicated bytes
        buf = Buffer.concat([
          buf.subarray(0, at),
          buf.subarray(at, at + r.int(1, 64)),
          buf.subarray(at),
        ]);
        break;
      case 4: // removed bytes
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + r.int(1, 16))]);
        break;
      case 5: // inserted random bytes
        buf = Buffer.concat([buf.subarray(0, at), r.bytes(r.int(1, 32)), buf.subarray(at)]);
        break;
      case 6: // huge or malformed announced length, body unchanged
        buf = Buffer.concat([
          Buffer.from([buf[0] ?? 0x30]),
          r.pick([
            varint(268_435_455),
            varint(MAX_PACKET_BYTES + 1),
            varint(2_097_152),
            Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), // five length bytes
            Buffer.from([0x80, 0x80, 0x80, 0x80]), // never-ending length
          ]),
          bodyOf(buf),
        ]);
        break;
      case 7: // announced length off by a little
        buf = Buffer.concat([
          Buffer.from([buf[0] ?? 0x30]),
          varint(Math.max(0, bodyOf(buf).length + r.int(-8, 8))),
          bodyOf(buf),
        ]);
        break;
      case 8: // another type/flags byte
        if (buf.length > 0) buf[0] = r.int(0, 255);
        break;
      default: // zero-length fields: a 2-byte length prefix set to 0
        if (buf.length > 4) {
          const i = r.int(2, buf.length - 2);
          buf[i] = 0;
          buf[i + 1] = 0;
        }
    }
  }
  return buf;
}

/** The bytes after the fixed header (as far as it can be read). */
function bodyOf(buf: Buffer): Buffer {
  let i = 1;
  while (i < buf.length && i < 5 && ((buf[i] as number) & 0x80) !== 0) i++;
  return buf.subarray(Math.min(buf.length, i + 1));
}

// ---------------------------------------------------------------------------------------------
// Helpers

function parseSeed(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`ORFLEET_FUZZ_SEED: expected an integer, got ${raw}`);
  return n >>> 0;
}

function parseBeat(payload: Buffer): { seq: number; at: number } | undefined {
  try {
    const beat = JSON.parse(payload.toString()) as { seq?: unknown; at?: unknown; good?: unknown };
    return typeof beat.seq === 'number' && typeof beat.at === 'number' && beat.good === true
      ? { seq: beat.seq, at: beat.at }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Sum of the `orfleet_broker_clients` gauge over its labels. */
function sumGauge(metrics: string): number {
  let sum = 0;
  for (const line of metrics.split('\n')) {
    const match = /^orfleet_broker_clients(\{[^}]*\})? (\S+)$/.exec(line);
    if (match) sum += Number(match[2]);
  }
  return sum;
}

/** TCP sockets and servers open in this process (fuzzer, broker, API, pg pools). */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

/** A way to force a GC: --expose-gc if given, else the V8 flag set at run time (may fail). */
function forcedGc(): (() => void) | undefined {
  const given = (globalThis as { gc?: () => void }).gc;
  if (typeof given === 'function') return given;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
}

async function settle(gc: (() => void) | undefined) {
  await sleep(300);
  gc?.();
  await sleep(50);
  gc?.();
}

function memory() {
  const m = process.memoryUsage();
  // live = JS heap + Buffer backing stores (payloads live outside the JS heap)
  return { rss: m.rss, heap: m.heapUsed + m.arrayBuffers };
}

function sleep(ms: number) {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}
