import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Logger } from 'pino';
import { CHANNELS, decodeMessage, toLines } from '@orfleet/devices';
import type { IngestConfig } from './config';
import { DeadLetterFile } from './dead-letter';
import { backoffDelayMs } from './influx/backoff.rules';
import { InfluxHttp } from './influx/influx-http';
import { pingInflux, setupInfluxSchema } from './influx/influx-schema';
import { errorMessage } from './influx/influx-write.rules';
import { InfluxWriter } from './influx/influx-writer';
import { IngestMetrics } from './metrics';
import { MqttSource } from './mqtt-source';
import { SelfMetricsScraper } from './self-metrics/self-metrics-scraper';
import type { IncomingMessage } from './mqtt-source';
import { shardFilters } from './shard.rules';
import { Spool } from './spool/spool';
import { SpoolError, SpoolFullError } from './spool/spool.errors';

export interface RunningIngest {
  readonly opsPort: number;
  readonly metrics: IngestMetrics;
  readonly spool: Spool;
  readonly source: MqttSource;
  /** Points InfluxDB confirmed since start. */
  readonly written: () => number;
  close(): Promise<void>;
}

/** Wakes a sleeper early; a wake with nobody asleep is kept for the next sleep. */
class Wake {
  private pending = false;
  private waiter: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  notify(): void {
    if (this.waiter === undefined) {
      this.pending = true;
      return;
    }
    this.release();
  }

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.timer = setTimeout(() => this.release(), ms);
    });
  }

  private release(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    clearTimeout(this.timer);
    waiter?.();
  }
}

/** The timestamp (ms) a line-protocol line ends with. */
function lineTime(line: string): number {
  const end = line.indexOf('\n');
  const first = end === -1 ? line : line.slice(0, end);
  return Number(first.slice(first.lastIndexOf(' ') + 1));
}

/**
 * The ingest: MQTT → decode → durable spool (PUBACK only then) → InfluxDB in batches. Invalid
 * messages and points InfluxDB refuses go to the dead-letter file; nothing is dropped. Without
 * InfluxDB configured it only spools, and drains once one is configured and it restarts.
 */
export async function startIngest(
  config: IngestConfig,
  options: { now?: () => number; log?: Logger } = {},
): Promise<RunningIngest> {
  const log = options.log ?? pino({ level: config.logLevel, base: { service: 'ingest' } });
  const now = options.now ?? Date.now;
  const metrics = new IngestMetrics();
  const spool = await Spool.open({
    dir: config.spool.dir,
    quotaBytes: config.spool.quotaBytes,
    groupCommitMs: config.spool.groupCommitMs,
  });
  const deadLetter = await DeadLetterFile.open(config.deadLetter);
  const stop = new AbortController();
  const wake = new Wake();
  let roomWaiters: (() => void)[] = [];
  let written = 0;
  let writerIdle = false;

  const influxLog = {
    info: (message: string) => log.info(message),
    warn: (message: string) => log.warn(message),
  };
  const influx =
    config.influx === undefined
      ? undefined
      : new InfluxHttp({
          url: config.influx.url,
          ...(config.influx.username === undefined ? {} : { username: config.influx.username }),
          ...(config.influx.password === undefined ? {} : { password: config.influx.password }),
          timeoutMs: config.writer.timeoutMs,
        });
  let influxReachable = false;
  if (config.influx === undefined) {
    log.warn(
      'INFLUX_URL is not set: messages are kept in the spool only, and written once InfluxDB is configured',
    );
  }

  // per message: label children bound once
  const inByChannel = Object.fromEntries(CHANNELS.map((c) => [c, metrics.messagesIn.labels(c)]));

  const appendWhenRoom = async (record: string): Promise<void> => {
    for (;;) {
      try {
        await spool.append(record);
        // the writer sleeps until there is something (or a full batch) to write
        if (writerIdle || spool.pendingRecords >= config.writer.batchLines) {
          writerIdle = false;
          wake.notify();
        }
        return;
      } catch (error) {
        if (!(error instanceof SpoolFullError)) throw error;
        // over quota: hold this message (and so its PUBACK) until the writer frees room
        await new Promise<void>((resolve) => roomWaiters.push(resolve));
      }
    }
  };

  const accept = (message: IncomingMessage): Promise<void> => {
    const decoded = decodeMessage(message.topic, message.payload, message.receivedAt);
    if (!decoded.ok) {
      const reason = decoded.errors[0]?.code ?? 'PAYLOAD_EMPTY';
      metrics.invalid.labels(reason).inc();
      return deadLetter.write({
        at: message.receivedAt,
        reason,
        topic: message.topic,
        payload: message.payload,
        detail: decoded.errors
          .map((e) => (e.field === undefined ? e.message : `${e.field}: ${e.message}`))
          .join('; '),
      });
    }
    for (const warning of decoded.message.warnings) metrics.warnings.labels(warning.code).inc();
    inByChannel[decoded.message.channel]?.inc();
    const lines = toLines(decoded.message);
    if (lines.length === 0) return Promise.resolve(); // a sightings report that heard nobody
    return appendWhenRoom(lines.join('\n')).catch((error: unknown) => {
      // larger than the whole quota: it could never be taken, so it is kept aside, not lost
      if (!(error instanceof SpoolError) || error.code !== 'SPOOL_RECORD_TOO_LARGE') throw error;
      metrics.invalid.labels('SPOOL_RECORD_TOO_LARGE').inc();
      return deadLetter.write({
        at: message.receivedAt,
        reason: 'SPOOL_RECORD_TOO_LARGE',
        topic: message.topic,
        payload: message.payload,
        detail: error.message,
      });
    });
  };

  const source = new MqttSource({
    url: config.mqtt.url,
    clientId: config.mqtt.clientId,
    username: config.mqtt.username,
    password: config.mqtt.password,
    keepaliveS: config.mqtt.keepaliveS,
    reconnectMinMs: config.mqtt.reconnectMinMs,
    reconnectMaxMs: config.mqtt.reconnectMaxMs,
    maxInflight: config.maxInflight,
    now,
    log,
    accept,
    onConnectionChange: (connected) => metrics.connected.set(connected ? 1 : 0),
    onAcked: (count) => metrics.acked.inc(count),
  });

  // the sites of this shard, from the registry, kept current
  let sitesTimer: NodeJS.Timeout | undefined;
  if (config.shard.count === 1) {
    source.setFilters(shardFilters(config.shard, []));
  } else {
    let attempt = 0;
    const refreshSites = async (): Promise<void> => {
      try {
        const res = await fetch(`${config.api.url ?? ''}/api/v1/sites`, {
          headers: { authorization: `Bearer ${config.api.token ?? ''}` },
          signal: AbortSignal.timeout(10_000),
        });
        if (!res.ok) throw new Error(`GET /api/v1/sites answered ${res.status}`);
        const sites = (await res.json()) as { id: string }[];
        source.setFilters(
          shardFilters(
            config.shard,
            sites.map((s) => s.id),
          ),
        );
        attempt = 0;
        sitesTimer = setTimeout(() => void refreshSites(), config.api.refreshMs);
      } catch (error) {
        const wait = backoffDelayMs(
          ++attempt,
          { baseMs: 1_000, capMs: config.api.refreshMs, maxRetryAfterMs: 0 },
          Math.random,
        );
        log.warn(
          { err: error instanceof Error ? error.message : String(error), retryInMs: wait },
          'site list for this shard unavailable: keeping the current subscriptions',
        );
        sitesTimer = setTimeout(() => void refreshSites(), wait);
      }
    };
    await refreshSites();
  }

  // ---- the writer: spool → InfluxDB ------------------------------------------------------
  let retentionPolicy: string | undefined;
  let schemaReady = false;
  const setup = async (): Promise<void> => {
    if (config.influx === undefined || influx === undefined) return;
    if (!config.influx.setup) return;
    const result = await setupInfluxSchema(
      influx,
      {
        database: config.influx.database,
        rawRetention: config.influx.rawRetention,
        rollupRetention: config.influx.rollupRetention,
      },
      influxLog,
    );
    retentionPolicy = result.retentionPolicy;
  };

  const drain = async (): Promise<void> => {
    if (config.influx === undefined) return;
    // the schema first: InfluxDB may be down at start; keep trying, the spool holds meanwhile
    for (let attempt = 1; !stop.signal.aborted; attempt++) {
      try {
        await setup();
        influxReachable = true;
        schemaReady = true;
        break;
      } catch (error) {
        influxReachable = false;
        const wait = backoffDelayMs(
          attempt,
          { baseMs: 500, capMs: 30_000, maxRetryAfterMs: 0 },
          Math.random,
        );
        if (attempt === 1 || attempt % 10 === 0) {
          log.warn(
            { err: error instanceof Error ? error.message : String(error), attempt },
            'InfluxDB set-up failed; retrying',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    const target = new InfluxWriter({
      url: config.influx.url,
      ...(config.influx.username === undefined ? {} : { username: config.influx.username }),
      ...(config.influx.password === undefined ? {} : { password: config.influx.password }),
      timeoutMs: config.writer.timeoutMs,
      database: config.influx.database,
      retentionPolicy,
      backoff: {
        baseMs: config.writer.retryMinMs,
        capMs: config.writer.retryMaxMs,
        maxRetryAfterMs: 5 * 60_000,
      },
      metrics: {
        onWrite: (_lines, ms) => {
          metrics.writeSeconds.observe(ms / 1_000);
          influxReachable = true;
        },
        onRetry: (reason) => metrics.retries.labels(reason).inc(),
        onError: (kind) => {
          metrics.influxErrors.labels(kind).inc();
          if (kind !== 'rejected-lines') influxReachable = false;
        },
      },
    });
    let waitingSince: { id: number; at: number } | undefined;
    while (!stop.signal.aborted) {
      // idle from before the read: an append landing while it runs wakes the sleep below
      writerIdle = true;
      const batch = await spool.readOldest(config.writer.batchLines);
      if (batch === undefined) {
        waitingSince = undefined;
        await wake.sleep(5_000);
        continue;
      }
      writerIdle = false;
      if (batch.lines.length < config.writer.batchLines) {
        // a part batch is written once its first record waited flushMs (or the batch filled)
        if (waitingSince?.id !== batch.firstId) waitingSince = { id: batch.firstId, at: now() };
        const waited = now() - waitingSince.at;
        if (waited < config.writer.flushMs) {
          await wake.sleep(config.writer.flushMs - waited);
          continue;
        }
      }
      waitingSince = undefined;
      const lines = batch.lines.flatMap((record) =>
        record.includes('\n') ? record.split('\n') : [record],
      );
      const outcome = await target.writeUntilDone(lines, {
        signal: stop.signal,
        repair: setup,
        log: influxLog,
      });
      if (outcome.kind !== 'written') break; // shutting down: the batch stays in the spool
      for (const rejected of outcome.rejected) {
        metrics.pointsRejected.inc();
        await deadLetter.write({
          at: now(),
          reason: 'INFLUX_REJECTED',
          line: rejected.line,
          detail: rejected.error,
        });
      }
      await spool.remove(batch.lastId);
      written += outcome.written;
      metrics.pointsWritten.inc(outcome.written);
      const confirmedAt = now();
      for (const record of batch.lines) {
        metrics.lagSeconds.observe(Math.max(0, confirmedAt - lineTime(record)) / 1_000);
      }
      if (roomWaiters.length > 0 && !spool.full) {
        const waiters = roomWaiters;
        roomWaiters = [];
        for (const resume of waiters) resume();
      }
    }
  };
  const drained = drain().catch((error: unknown) => {
    log.fatal(
      { err: error instanceof Error ? error.message : String(error) },
      'the InfluxDB writer stopped',
    );
    process.exitCode = 1;
  });

  // ---- operations ------------------------------------------------------------------------
  const collectSpool = async () => {
    metrics.spoolRecords.set(spool.pendingRecords);
    metrics.spoolBytes.set(spool.pendingBytes);
    metrics.spoolFull.set(spool.full ? 1 : 0);
    metrics.inflight.set(source.inflight);
    const oldest = await spool.readOldest(1);
    metrics.spoolOldestAge.set(
      oldest === undefined ? 0 : Math.max(0, now() - lineTime(oldest.lines[0] ?? '')) / 1_000,
    );
  };
  const ops = createServer((req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/healthz') return json(200, { status: 'ok' });
    if (req.url === '/readyz') {
      const checks = {
        // ready for devices only once the broker granted the subscriptions: before the SUBACK
        // it would acknowledge a device's message and route it nowhere
        broker: !source.connected
          ? 'disconnected'
          : source.refused.length > 0
            ? `subscription refused: ${source.refused.join(', ')}`
            : source.subscribed
              ? 'subscribed'
              : 'subscribing',
        spool: spool.full ? 'full' : 'writable',
        influx:
          config.influx === undefined
            ? 'spool-only'
            : influxReachable
              ? 'reachable'
              : 'unreachable',
      };
      const ready =
        source.subscribed && !spool.full && (config.influx === undefined || influxReachable);
      return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
    }
    if (req.url === '/metrics') {
      collectSpool()
        .then(() => metrics.registry.metrics())
        .then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      return;
    }
    res.writeHead(404).end();
  });
  const opsPort = await new Promise<number>((resolve, reject) => {
    ops.once('error', reject);
    ops.listen(config.ops.port, config.ops.host, () =>
      resolve((ops.address() as AddressInfo).port),
    );
  });
  // keep the pings going so readiness says the truth while idle
  const pinger =
    influx === undefined
      ? undefined
      : setInterval(() => {
          void pingInflux(influx).then((ping) => {
            influxReachable = ping.ok;
          });
        }, 10_000);
  pinger?.unref();

  // the platform's own metrics into InfluxDB, beside (never in) the device path
  const selfMetrics =
    config.influx === undefined ||
    config.selfMetrics.intervalS === 0 ||
    config.selfMetrics.targets.length === 0
      ? undefined
      : startSelfMetrics(config, config.influx, {
          metrics,
          now,
          log,
          destination: () => (schemaReady ? { retentionPolicy } : undefined),
        });
  log.info(
    {
      mqtt: config.mqtt.url,
      clientId: config.mqtt.clientId,
      shard: `${config.shard.index}/${config.shard.count}`,
      influx: config.influx?.url ?? 'spool only',
      opsPort,
    },
    'ingest started',
  );

  return {
    opsPort,
    metrics,
    spool,
    source,
    written: () => written,
    close: async () => {
      clearTimeout(sitesTimer);
      await selfMetrics?.close();
      if (pinger !== undefined) clearInterval(pinger);
      // stop reading first: what is not acknowledged stays with the broker
      await source.close();
      stop.abort();
      wake.notify();
      for (const resume of roomWaiters) resume();
      await drained;
      await new Promise<void>((resolve) => ops.close(() => resolve()));
      await deadLetter.close();
      await spool.close();
    },
  };
}

/** The self-metrics scraper, writing with its own InfluxDB connection and a short timeout. */
function startSelfMetrics(
  config: IngestConfig,
  influxConfig: NonNullable<IngestConfig['influx']>,
  context: {
    metrics: IngestMetrics;
    now: () => number;
    log: Logger;
    /** The retention policy the device points go to, once the schema is set up. */
    destination: () => { retentionPolicy: string | undefined } | undefined;
  },
): SelfMetricsScraper {
  const intervalMs = config.selfMetrics.intervalS * 1_000;
  // a round never outlasts the interval by much: no piling up behind a slow endpoint
  const timeoutMs = Math.min(5_000, intervalMs);
  const http = new InfluxHttp({
    url: influxConfig.url,
    ...(influxConfig.username === undefined ? {} : { username: influxConfig.username }),
    ...(influxConfig.password === undefined ? {} : { password: influxConfig.password }),
    timeoutMs: Math.min(config.writer.timeoutMs, intervalMs),
  });
  const scraper = new SelfMetricsScraper({
    targets: config.selfMetrics.targets,
    intervalMs,
    timeoutMs,
    maxBodyBytes: 4 * 1024 ** 2,
    now: context.now,
    metrics: context.metrics,
    log: context.log,
    write: async (body) => {
      const destination = context.destination();
      if (destination === undefined) return 'not-ready';
      const answer = await http.write(body, influxConfig.database, destination.retentionPolicy);
      if (answer.kind === 'failure') return 'failed';
      if (answer.status === 204 || answer.status === 201 || answer.status === 200) {
        return 'written';
      }
      context.log.warn(
        { status: answer.status, error: errorMessage(answer.status, answer.body) },
        'platform self-metrics: InfluxDB refused the write',
      );
      return answer.status === 400 ? 'rejected' : 'failed';
    },
  });
  scraper.start();
  return scraper;
}
