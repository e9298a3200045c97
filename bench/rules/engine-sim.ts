// Layer 1 of bench/rules.bench.ts: the pure HealthEngine in this process on a simulated clock.
// The fleet (bench/rules/fleet.ts) beats and sights at its kinds' intervals; the clock ticks every
// 250 ms as the rule loop does; 1% of the devices die at random times. Exact figures: detection
// latency = the tick that saw a device missing − its deadline; memory = heap growth after a full
// GC per device; CPU = time inside the engine's calls per simulated minute.
// Run as a child of the bench with --expose-gc; the config comes in BENCH_RULES_SIM (JSON), the
// result goes to stdout as one JSON line.
import { HealthEngine, DEFAULT_HEALTH_CONFIG } from '../../apps/api/src/health/health-engine';
import type { HealthDevice } from '../../apps/api/src/health/health-engine';
import { Fleet, Schedule, siteIdOf } from './fleet';
import type { FleetConfig, FleetSink } from './fleet';
import { deadlineOf, expectedUnknown, summarize } from './outcome';
import type { LatencySummary, Outcome } from './outcome';

export interface SimConfig extends FleetConfig {
  readonly tickMs: number;
  readonly correlationMs: number;
  readonly snapshotMs: number;
}

export interface SimResult {
  readonly devices: number;
  readonly simulatedS: number;
  readonly wallMs: number;
  readonly messages: number;
  readonly tagSightings: number;
  /** Detection (first tick seeing the device missing or unknown) − deadline. */
  readonly detectionLatency: LatencySummary;
  /** Ticket decision − deadline (detection + the correlation window). */
  readonly ticketLatency: LatencySummary;
  readonly outcome: Outcome;
  readonly memory: {
    /** Heap growth after a full GC, engine just built (registry loaded), per device. */
    readonly heapBytesPerDeviceBuilt: number;
    /** The same with the engine in steady state at the end (timer wheel, gateways, pending). */
    readonly heapBytesPerDeviceSteady: number;
    readonly heapMiBSteady: number;
    readonly rssMiBDeltaSteady: number;
  };
  readonly cpu: {
    /** Time inside the engine's calls (message, sighting, tick, takeActions, takeSnapshot). */
    readonly engineMsPerSimMinute: number;
    /** The same as a share of one core when the clock runs in real time. */
    readonly engineCorePct: number;
    readonly engineNsPerMessage: number;
    readonly tickP99Ms: number;
    readonly tickMaxMs: number;
    /** The whole simulation (fleet and bookkeeping too), process CPU. */
    readonly processCpuMs: number;
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Memory after a full GC. V8 keeps objects dropped in the running synchronous code alive until it
 * yields (the registry just handed over, the temporaries of a `new Map`), so yield first.
 */
async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  if (gc === undefined) throw new Error('run with --expose-gc');
  await new Promise((resolve) => setTimeout(resolve, 10));
  // twice: the first pass may leave weak references and finalizers for the second
  gc();
  gc();
  return process.memoryUsage();
}

/** A fresh copy of a string, as a database driver gives each row its own. */
const fresh = (text: string) => [...text].join('');

export async function simulate(config: SimConfig): Promise<SimResult> {
  const fleet = new Fleet(config);
  const t0 = 1_767_225_600_000 + 437; // an arbitrary epoch, off the second boundary
  const engineConfig = { ...DEFAULT_HEALTH_CONFIG, correlationMs: config.correlationMs };
  // the simulator's own tables, before the baseline: the heap growth is the engine's alone
  const entries = fleet.ids.map((id, i) => ({ id, rssi_dbm: -50 - (i % 40) }));
  const indexOf = new Map(fleet.ids.map((id, i) => [id, i]));

  const heap0 = await settledMemory();
  // the registry as the rule loop loads it (one row per device, every string its own), dropped
  // once the engine is built
  const registry = (): HealthDevice[] =>
    fleet.ids.map((id, i) => ({
      id: fresh(id),
      kind: fresh(fleet.kinds[i]!) as HealthDevice['kind'],
      siteId: fresh(siteIdOf(fleet.site[i]!)),
      ...(fleet.overrideS[i] === 0 ? {} : { intervalS: fleet.overrideS[i]! }),
    }));
  const engine = new HealthEngine(engineConfig, registry(), t0);
  const heapBuilt = (await settledMemory()).heapUsed - heap0.heapUsed;

  let messageMs = 0;
  let tickTotalMs = 0;
  let messages = 0;
  let tagSightings = 0;
  const batch: { id: string; rssi_dbm: number }[] = [];
  const sink: FleetSink = {
    heartbeat(device, ts) {
      messages++;
      const s = performance.now();
      engine.message(fleet.ids[device]!, ts);
      messageMs += performance.now() - s;
    },
    sightings(station, tags, ts) {
      messages++;
      tagSightings += tags.length;
      batch.length = 0;
      for (const tag of tags) batch.push(entries[tag]!);
      const s = performance.now();
      engine.sighting(fleet.ids[station]!, batch, ts);
      messageMs += performance.now() - s;
    },
  };

  const { tickMs } = config;
  const schedule = new Schedule(fleet.size, tickMs);
  for (const p of fleet.publishers) schedule.add(p, fleet.phaseMs[p]!);
  let maxSpan = 0;
  let maxInterval = 0;
  for (let i = 0; i < fleet.size; i++) {
    maxSpan = Math.max(maxSpan, fleet.spanMs[i]!);
    maxInterval = Math.max(maxInterval, fleet.intervalMs[i]!);
  }
  const endMs =
    config.killStartMs + config.killWindowMs + maxInterval + maxSpan + config.correlationMs + 5_000;

  const detectedAt = new Map<number, number>();
  const ticketAt = new Map<number, number>();
  const falseTickets: string[] = [];
  const opened = { site: 0, platform: 0, other: 0 };
  const siteCovered = new Set<number>();
  let watch = [...fleet.killed].sort((a, b) => fleet.killAt[a]! - fleet.killAt[b]!);
  const ticks: number[] = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const snapshotEvery = Math.round(config.snapshotMs / tickMs);

  for (let step = 0; step * tickMs < endMs; step++) {
    for (const p of schedule.take(step) ?? []) {
      const due = schedule.due[p]!;
      if (fleet.fire(p, due, t0 + due, sink)) schedule.add(p, due + fleet.intervalMs[p]!);
    }
    const nowRel = (step + 1) * tickMs;
    const now = t0 + nowRel;
    const s = performance.now();
    engine.tick(now);
    const actions = engine.takeActions();
    if ((step + 1) % snapshotEvery === 0) engine.takeSnapshot();
    const tickTook = performance.now() - s;
    tickTotalMs += tickTook;
    ticks.push(tickTook);
    for (const a of actions) {
      if (a.kind !== 'open') continue;
      if (a.rule === 'missing') {
        const device = indexOf.get(a.deviceId ?? '');
        if (device === undefined || fleet.killAt[device] === Infinity)
          falseTickets.push(a.fingerprint);
        else ticketAt.set(device, a.at);
      } else if (a.rule === 'site') {
        opened.site++;
        for (const id of (a.evidence['devices'] as string[] | undefined) ?? []) {
          siteCovered.add(indexOf.get(id) ?? -1);
        }
      } else if (a.rule === 'platform') opened.platform++;
      else opened.other++;
    }
    // which dead devices does the engine see as gone now (missing, or unknown)?
    const still: number[] = [];
    for (const d of watch) {
      if (fleet.killAt[d]! > nowRel) still.push(d);
      else if (engine.stateOf(fleet.ids[d]!) !== 'ok') detectedAt.set(d, now);
      else still.push(d);
    }
    watch = still;
  }
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);

  const steady = await settledMemory();
  const heapSteady = steady.heapUsed - heap0.heapUsed;
  const rssSteady = steady.rss - heap0.rss;

  const detection: number[] = [];
  const decision: number[] = [];
  let unknown = 0;
  let unknownExpected = 0;
  let unaccounted = 0;
  for (const d of fleet.killed) {
    const deadline = deadlineOf(fleet, d);
    const seen = detectedAt.get(d);
    if (seen !== undefined) detection.push(seen - deadline);
    const ticket = ticketAt.get(d);
    if (ticket !== undefined) decision.push(ticket - deadline);
    else if (engine.stateOf(fleet.ids[d]!) === 'unknown') {
      unknown++;
      if (expectedUnknown(fleet, d)) unknownExpected++;
    } else if (!siteCovered.has(d)) unaccounted++;
  }
  const inSite = fleet.killed.filter((d) => siteCovered.has(d)).length;
  const outcome: Outcome = {
    killed: fleet.killed.length,
    ownTickets: ticketAt.size,
    unknownBehindMissingStation: unknown,
    unknownExpected,
    inSiteTicket: inSite,
    unaccounted,
    falseTickets: falseTickets.length,
    siteTickets: opened.site,
    platformTickets: opened.platform,
    otherTickets: opened.other,
    ticketsMatch:
      ticketAt.size === fleet.killed.length - unknown - inSite &&
      unknown === unknownExpected &&
      falseTickets.length === 0 &&
      opened.platform + opened.other === 0,
  };
  const simulatedS = endMs / 1_000;
  const engineMs = messageMs + tickTotalMs;
  const sortedTicks = Float64Array.from(ticks).sort();
  const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    devices: fleet.size,
    simulatedS,
    wallMs: Math.round(wallMs),
    messages,
    tagSightings,
    detectionLatency: summarize(detection),
    ticketLatency: summarize(decision),
    outcome,
    memory: {
      heapBytesPerDeviceBuilt: Math.round(heapBuilt / fleet.size),
      heapBytesPerDeviceSteady: Math.round(heapSteady / fleet.size),
      heapMiBSteady: round(heapSteady / 1_048_576),
      rssMiBDeltaSteady: round(rssSteady / 1_048_576),
    },
    cpu: {
      engineMsPerSimMinute: round((engineMs / simulatedS) * 60),
      engineCorePct: round((engineMs / (simulatedS * 1_000)) * 100, 2),
      engineNsPerMessage: Math.round((messageMs * 1e6) / Math.max(1, messages)),
      tickP99Ms: round(sortedTicks[Math.floor(sortedTicks.length * 0.99)] ?? NaN, 2),
      tickMaxMs: round(sortedTicks[sortedTicks.length - 1] ?? NaN, 2),
      processCpuMs: Math.round((cpu.user + cpu.system) / 1_000),
    },
  };
}

if (process.env['BENCH_RULES_SIM'] !== undefined) {
  const config = JSON.parse(process.env['BENCH_RULES_SIM']) as SimConfig;
  void simulate(config).then((result) => process.stdout.write(`${JSON.stringify(result)}\n`));
}
