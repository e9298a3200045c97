// The load generator of bench/rules.bench.ts, in its own process: every MQTT device of the fleet
// (bench/rules/fleet.ts) holds its own MQTT.js session to the broker as itself (its id and secret:
// the broker's ACL lets a device publish only its own topics), publishes QoS 1 heartbeats at its
// interval, and each base station its `sightings` batches. The devices of a site connect from
// their own loopback address (127.0.x.y), as a hospital sits behind its own NAT address.
// Killed devices stop at their kill time; a killed MQTT device closes its connection.
// Config: BENCH_RULES_LOADGEN (JSON). Talks JSON lines on stdout; reads commands on stdin
// (`report`: the kills as they happened, with each killed device's last message `ts`).
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { MqttClient } from 'mqtt';
import { buildTopic } from '@orfleet/devices';
import { Fleet, Schedule, deviceSecret, siteIdOf } from './fleet';
import type { FleetConfig, FleetSink } from './fleet';

export interface LoadgenConfig {
  readonly fleet: FleetConfig;
  readonly port: number;
  /** Device secrets are HMAC(salt, id): the bench seeds their SHA-256 into the registry. */
  readonly salt: string;
  /** CONNECTs in flight at once. */
  readonly concurrency: number;
}

export interface LoadgenReport {
  readonly event: 'report';
  /** Since the first publish, ms. */
  readonly elapsedMs: number;
  readonly published: number;
  readonly acked: number;
  readonly publishErrors: number;
  readonly tagSightings: number;
  /** How late the scheduler published after a message's due time. */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** Killed devices: index, last `ts` that carried it, the station that carried a tag last. */
  readonly killed: readonly { index: number; lastSent: number; lastStation: number }[];
  readonly disconnects: number;
}

/** A site's own source address on the loopback network (Linux routes all of 127/8 locally). */
const siteAddress = (site: number) => `127.0.${1 + Math.floor(site / 250)}.${1 + (site % 250)}`;

const STEP_MS = 10;

const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const config = JSON.parse(process.env['BENCH_RULES_LOADGEN'] ?? '') as LoadgenConfig;
  const fleet = new Fleet(config.fleet);
  const clients = new Array<MqttClient | undefined>(fleet.size);
  const heartbeatTopic = new Array<string>(fleet.size);
  const sightingsTopic = new Map<number, string>();
  let disconnects = 0;

  const connectOne = (device: number) =>
    new Promise<void>((resolve, reject) => {
      const id = fleet.ids[device]!;
      const kind = fleet.kinds[device]!;
      const address = { siteId: siteIdOf(fleet.site[device]!), kind, deviceId: id };
      heartbeatTopic[device] = buildTopic(address, 'heartbeat');
      if (fleet.isStation(device)) sightingsTopic.set(device, buildTopic(address, 'sightings'));
      const localAddress = siteAddress(fleet.site[device]!);
      const client = new MqttClient(
        () => createConnection({ host: '127.0.0.1', port: config.port, localAddress }),
        {
          protocolVersion: 4,
          clientId: id,
          username: id,
          password: deviceSecret(config.salt, id),
          clean: true,
          keepalive: 60,
          reconnectPeriod: 2_000,
          connectTimeout: 30_000,
        },
      );
      clients[device] = client;
      const fail = (error: Error) => {
        client.removeListener('connect', ok);
        reject(new Error(`${id}: ${error.message}`));
      };
      const ok = () => {
        client.removeListener('error', fail);
        client.on('error', () => undefined);
        client.on('offline', () => disconnects++);
        resolve();
      };
      client.once('connect', ok);
      client.once('error', fail);
    });

  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      while (next < fleet.publishers.length) await connectOne(fleet.publishers[next++]!);
    }),
  );
  say({
    event: 'connected',
    clients: fleet.publishers.length,
    ms: Math.round(performance.now() - t),
  });

  // pre-serialized sighting entries: the batch is a concatenation, as a gateway firmware builds it
  const entry = fleet.ids.map((id, i) => `{"id":"${id}","rssi_dbm":${-50 - (i % 40)}}`);
  let published = 0;
  let acked = 0;
  let publishErrors = 0;
  let tagSightings = 0;
  const onAck = (error?: Error) => {
    if (error) publishErrors++;
    else acked++;
  };
  const t0 = Date.now();
  const sink: FleetSink = {
    heartbeat(device, ts) {
      published++;
      const uptime = Math.floor((ts - t0) / 1_000) + 86_400;
      clients[device]!.publish(
        heartbeatTopic[device]!,
        `{"ts":${ts},"uptime_s":${uptime}}`,
        { qos: 1 },
        onAck,
      );
    },
    sightings(station, tags, ts) {
      published++;
      tagSightings += tags.length;
      let body = `{"ts":${ts},"devices":[`;
      for (let k = 0; k < tags.length; k++) body += (k === 0 ? '' : ',') + entry[tags[k]!]!;
      clients[station]!.publish(sightingsTopic.get(station)!, `${body}]}`, { qos: 1 }, onAck);
    },
    died(device) {
      // the device is gone (power, cable): its session ends with it
      void clients[device]?.endAsync(true).catch(() => undefined);
    },
  };

  const schedule = new Schedule(fleet.size, STEP_MS);
  for (const p of fleet.publishers) schedule.add(p, fleet.phaseMs[p]!);
  const lags = new Float64Array(1 << 20);
  let lagCount = 0;
  let lagMax = 0;
  let step = 0;
  const start = performance.now();
  say({ event: 'publishing', t0 });
  const timer = setInterval(() => {
    const nowRel = performance.now() - start;
    for (const last = Math.floor(nowRel / STEP_MS); step <= last; step++) {
      for (const p of schedule.take(step) ?? []) {
        const due = schedule.due[p]!;
        const lag = nowRel - due;
        if (lag > lagMax) lagMax = lag;
        lags[lagCount++ % lags.length] = lag;
        if (fleet.fire(p, due, Date.now(), sink)) schedule.add(p, due + fleet.intervalMs[p]!);
      }
    }
  }, STEP_MS);

  const report = (): LoadgenReport => {
    const sorted = lags.slice(0, Math.min(lagCount, lags.length)).sort();
    return {
      event: 'report',
      elapsedMs: Math.round(performance.now() - start),
      published,
      acked,
      publishErrors,
      tagSightings,
      lagP99Ms: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? NaN),
      lagMaxMs: Math.round(lagMax),
      killed: fleet.killed.map((index) => ({
        index,
        lastSent: fleet.lastSent[index]!,
        lastStation: fleet.lastStation[index]!,
      })),
      disconnects,
    };
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'report') say(report());
  });
  const stop = () => {
    clearInterval(timer);
    const ending = clients.flatMap((c) =>
      c === undefined ? [] : [c.endAsync(true).catch(() => undefined)],
    );
    void Promise.all(ending).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.env['BENCH_RULES_LOADGEN'] !== undefined) {
  main().catch((error: unknown) => {
    say({ event: 'error', message: String(error) });
    process.exit(1);
  });
}
