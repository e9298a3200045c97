import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { TLSSocket, createServer as createTlsServer } from 'node:tls';
import type { Server as TlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { AddressInfo, Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { Aedes } from 'aedes';
import type { AuthenticateError, Client } from 'aedes';
import pino from 'pino';
import type { Logger } from 'pino';
import { Pool } from 'pg';
import { WebSocketServer, createWebSocketStream } from 'ws';
import {
  CHANNELS,
  PRESENCE_ROOT,
  SERVICE_PREFIX,
  mayPublish,
  maySubscribe,
} from '@orfleet/devices';
import type { AclVerdict, Identity, RefusalReason } from '@orfleet/devices';
import type { BrokerConfig } from './config';
import { CredentialStore } from './credentials';
import { BrokerMetrics } from './metrics';
import { ConnectionGuard, FloodGate } from './guards.rules';
import memoryPersistence from 'aedes-persistence';
import { boundOfflineQueues } from './offline-queue';
import { redisBackends } from './cluster';
import { keepaliveVerdict } from './keepalive.rules';
import { guardPacketSize } from './packet-guard';

/** CONNACK return codes (MQTT-3.1.1 3.2.2.3). */
const RETURN_CODE: Readonly<Record<RefusalReason | 'KEEPALIVE_OUT_OF_BOUNDS', 2 | 3 | 4 | 5>> = {
  CLIENT_ID_MISMATCH: 2, // identifier rejected
  CREDENTIAL_STORE_DOWN: 3, // server unavailable
  KEEPALIVE_OUT_OF_BOUNDS: 2, // as Mosquitto answers a 3.1.1 client over max_keepalive
  NO_CREDENTIALS: 4, // bad user name or password
  UNKNOWN_DEVICE: 4,
  BAD_SECRET: 4,
  UNKNOWN_SERVICE: 4,
  RETIRED_DEVICE: 5, // not authorized
};

export interface RunningBroker {
  readonly mqttPort: number;
  readonly tlsPort: number | undefined;
  readonly wsPort: number | undefined;
  readonly opsPort: number;
  readonly metrics: BrokerMetrics;
  close(): Promise<void>;
}

/** The channel a topic ends with (`/heartbeat`…), `cmd` for commands, else `other`. */
function channelOf(topic: string): string {
  for (const channel of CHANNELS) {
    // '/' (47) before the channel: `or/…/heartbeat`, not `…xheartbeat`
    if (topic.endsWith(channel) && topic.charCodeAt(topic.length - channel.length - 1) === 47) {
      return channel;
    }
  }
  return topic.includes('/cmd/') ? 'cmd' : 'other';
}

/** The CN of a client certificate the TLS listener verified against its CA, if any. */
function certificateCommonName(conn: unknown): string | undefined {
  if (!(conn instanceof TLSSocket) || !conn.authorized) return undefined;
  const cn = conn.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

const listen = (
  server: Server | HttpServer | TlsServer,
  port: number,
  host: string,
): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });

/**
 * aedes with what a fleet broker needs around it: device and service authentication against the
 * registry, per-device topic ACLs from libs/devices, a packet-size guard on the socket, presence
 * events, metrics. Each hook is a small function; this is where they are composed.
 */
export async function startBroker(
  config: BrokerConfig,
  options: { now?: () => number; log?: Logger } = {},
): Promise<RunningBroker> {
  const log = options.log ?? pino({ level: config.logLevel, base: { service: 'broker' } });
  const now = options.now ?? Date.now;
  const pool = new Pool({ connectionString: config.databaseUrl, max: 10 });
  const credentials = new CredentialStore(pool, config.credentialCache, now);
  const identities = new WeakMap<Client, Identity>();
  // live session per client id → type label (for the gauge; a takeover replaces the entry)
  const online = new Map<string, { client: Client; type: string }>();
  // authenticated sessions not yet ready: aedes closes the session they take over before they are
  const joining = new Map<string, Client>();
  const metrics = new BrokerMetrics(() => {
    const counts: Record<string, number> = {};
    for (const { type } of online.values()) counts[type] = (counts[type] ?? 0) + 1;
    return counts;
  });
  // log each refusal reason once, then only count it (a misconfigured fleet retries forever)
  const logged = new Set<string>();
  const logOnce = (key: string, message: string, detail: Record<string, unknown>) => {
    if (logged.has(key)) return;
    logged.add(key);
    log.warn(detail, `${message} (further ones are only counted)`);
  };

  const guard = new ConnectionGuard(config.guard);
  const addresses = new WeakMap<Duplex, string>();
  const gates = new WeakMap<Client, FloodGate>();
  const expelled = new WeakSet<Client>();
  // Topics the ACL already let each client publish to: a device publishes to the same few topics
  // again and again, and for QoS 0 and 1 `mayPublish` depends only on the identity (fixed for the
  // session) and the topic, so its next publishes skip parsing the topic. Bounded per client.
  const allowedTopics = new WeakMap<Client, Set<string>>();
  const ALLOWED_TOPICS_MAX = 16;
  const ALLOWED: AclVerdict = { ok: true };

  // one process with memory persistence, or several sharing subscriptions and sessions in Redis
  const cluster =
    config.redisUrl === undefined
      ? undefined
      : redisBackends(config.redisUrl, Math.max(config.offlineQueueMax, config.serviceQueueMax));
  // a service's session (the ingest's, the health rules') holds the fleet's data while it
  // restarts: its bound is the service one; a device's holds its commands
  const queueMax = (clientId: string) =>
    clientId.startsWith(SERVICE_PREFIX) ? config.serviceQueueMax : config.offlineQueueMax;
  const offline = boundOfflineQueues(
    cluster?.persistence ?? memoryPersistence(),
    queueMax,
    (clientId) => {
      const session = clientId.startsWith(SERVICE_PREFIX) ? 'service' : 'device';
      metrics.offlineDropped.inc({ session });
      logOnce(
        `offline-drop:${session}`,
        `offline queue full (${queueMax(clientId)}): newer messages dropped`,
        { clientId },
      );
    },
  );
  // the keepalive each client asked for, checked in authenticate (aedes' own keepaliveLimit
  // answers with return code 6, which MQTT 3.1.1 does not define)
  const keepalives = new WeakMap<Client, number>();

  const aedes = await Aedes.createBroker({
    persistence: offline.persistence,
    ...(cluster === undefined ? {} : { mq: cluster.mq }),
    preConnect: (client, packet, done) => {
      keepalives.set(client, packet.keepalive ?? 0);
      done(null, true);
    },
    authenticate: (client, username, password, done) => {
      const keepalive = keepaliveVerdict(keepalives.get(client) ?? 0, config.keepalive);
      if (!keepalive.ok) {
        metrics.refused.inc({ reason: 'KEEPALIVE_OUT_OF_BOUNDS' });
        logOnce('refused:KEEPALIVE_OUT_OF_BOUNDS', `connection refused: ${keepalive.detail}`, {
          clientId: client.id,
        });
        const error = new Error(keepalive.detail) as AuthenticateError;
        error.returnCode = RETURN_CODE.KEEPALIVE_OUT_OF_BOUNDS;
        return done(error, false);
      }
      // rate limits, flapping bans and the connection cap, before any credential is looked up;
      // answered with a CONNACK (a silent close would leave well-behaved clients guessing)
      const ip = addresses.get(client.conn) ?? 'unknown';
      const admitted = guard.admit(now(), ip, client.id, aedes.connectedClients);
      if (!admitted.ok) {
        metrics.refused.inc({ reason: admitted.reason });
        logOnce(`refused:${admitted.reason}`, `connection refused: ${admitted.reason}`, {
          clientId: client.id,
          ip,
        });
        const error = new Error(admitted.reason) as AuthenticateError;
        // banned or flapping: not authorized; over a rate or the cap: try again later
        error.returnCode = admitted.reason === 'BANNED' || admitted.reason === 'FLAPPING' ? 5 : 3;
        return done(error, false);
      }
      // a verified client certificate from the configured CA stands in for the password
      const certificate = certificateCommonName(client.conn);
      const check =
        certificate !== undefined && (password === undefined || password.length === 0)
          ? credentials.checkCertificate(client.id, certificate)
          : credentials.check(client.id, username, password);
      check.then(
        (result) => {
          if (result.ok) {
            identities.set(client, result.identity);
            joining.set(client.id, client);
            return done(null, true);
          }
          metrics.refused.inc({ reason: result.reason });
          logOnce(`refused:${result.reason}`, `connection refused: ${result.reason}`, {
            clientId: client.id,
          });
          const error = new Error(result.reason) as AuthenticateError;
          error.returnCode = RETURN_CODE[result.reason];
          done(error, false);
        },
        (error: unknown) => {
          const failure = new Error(String(error)) as AuthenticateError;
          failure.returnCode = 3;
          done(failure, false);
        },
      );
    },
    authorizePublish: (client, packet, callback) => {
      if (client === null) return callback(null); // the broker's own (presence)
      const identity = identities.get(client);
      // aedes publishes a client's will through this hook as its connection ends
      const isWill = (client as { will?: unknown }).will === packet;
      const allowed = allowedTopics.get(client);
      let verdict: AclVerdict;
      if (packet.qos <= 1 && allowed?.has(packet.topic) === true) {
        verdict = ALLOWED;
      } else {
        verdict =
          identity === undefined
            ? { ok: false, reason: 'NOT_ALLOWED', detail: 'unauthenticated' }
            : mayPublish(identity, packet.topic, packet.qos);
        if (verdict.ok) {
          if (allowed === undefined) allowedTopics.set(client, new Set([packet.topic]));
          else if (allowed.size < ALLOWED_TOPICS_MAX) allowed.add(packet.topic);
        }
      }
      if (verdict.ok && isWill) {
        // one last message as the connection ends (MQTT-3.1.2-8): not subject to flood control
        willed.add(client);
        return callback(null);
      }
      if (verdict.ok) {
        return identity?.type === 'device'
          ? throttle(client, identity.address.kind, callback)
          : callback(null);
      }
      metrics.aclDenied.inc({ op: 'publish', reason: verdict.reason });
      logOnce(`publish:${verdict.reason}`, `publish refused: ${verdict.detail}`, {
        clientId: client.id,
      });
      // MQTT 3.1.1 has no negative PUBACK: the connection is closed (aedes does on error)
      callback(new Error(verdict.detail));
    },
    authorizeSubscribe: (client, subscription, callback) => {
      const identity = identities.get(client);
      const verdict =
        identity === undefined
          ? { ok: false as const, reason: 'NOT_ALLOWED' as const, detail: 'unauthenticated' }
          : maySubscribe(identity, subscription.topic);
      if (!verdict.ok) {
        metrics.aclDenied.inc({ op: 'subscribe', reason: verdict.reason });
        logOnce(`subscribe:${verdict.reason}`, `subscription refused: ${verdict.detail}`, {
          clientId: client.id,
        });
        // SUBACK 0x80 for this filter; the connection stays
        return callback(null, null);
      }
      // QoS 2 subscriptions are stored and served at QoS 1: the fleet protocol is QoS 1 end to
      // end. (aedes 1.2 still echoes the requested QoS in the SUBACK: it copies it first.)
      callback(null, subscription.qos > 1 ? { ...subscription, qos: 1 } : subscription);
    },
  });

  // which clients are connected anywhere (every process sees these through the emitter)
  const noop = () => undefined;
  aedes.subscribe(
    '$SYS/+/new/clients',
    (packet, done) => {
      offline.connected(packet.payload.toString());
      done();
    },
    noop,
  );
  aedes.subscribe(
    '$SYS/+/disconnect/clients',
    (packet, done) => {
      offline.disconnected(packet.payload.toString());
      done();
    },
    noop,
  );

  /**
   * Flood control: a device over its rate waits for a token before its publish is authorised,
   * which holds back its next packets too (aedes reads on when this one is done); one still
   * flooding after the grace period is disconnected.
   */
  const throttle = (
    client: Client,
    kind: string,
    callback: (error?: Error | null) => void,
    retry = false,
  ): void => {
    let gate = gates.get(client);
    if (gate === undefined) {
      gate = new FloodGate(
        config.flood.perKind[kind] ?? config.flood.perKind['default'] ?? 20,
        config.flood.graceMs,
        now(),
      );
      gates.set(client, gate);
    }
    // publishes held back while the flooder is being disconnected go nowhere
    if (client.closed || expelled.has(client)) return callback(new Error('flooding'));
    const decision = gate.admit(now(), retry);
    if (decision.action === 'pass') return callback(null);
    if (decision.action === 'disconnect') {
      // aedes authorises a client's publishes concurrently: count the flooder once
      expelled.add(client);
      metrics.floodDisconnects.inc();
      logOnce(
        'flood',
        `device disconnected for flooding over ${config.flood.perKind[kind] ?? config.flood.perKind['default']}/s`,
        { clientId: client.id },
      );
      return callback(new Error('flooding'));
    }
    if (!retry) metrics.throttled.inc();
    setTimeout(() => throttle(client, kind, callback, true), decision.ms).unref();
  };

  const willed = new WeakSet<Client>();
  const presence = (client: Client, state: 'online' | 'offline', reason: string) => {
    const identity = identities.get(client);
    if (identity?.type !== 'device') return;
    const payload = JSON.stringify({
      device: identity.address.deviceId,
      site: identity.address.siteId,
      kind: identity.address.kind,
      state,
      reason,
      ...(state === 'offline' ? { will: willed.has(client) } : {}),
      at: now(),
    });
    aedes.publish(
      {
        cmd: 'publish',
        topic: `${PRESENCE_ROOT}/${identity.address.deviceId}`,
        payload: Buffer.from(payload),
        qos: 1,
        retain: true,
        dup: false,
      },
      () => undefined,
    );
  };
  const reasons = new WeakMap<Client, string>();
  aedes.on('clientReady', (client) => {
    if (joining.get(client.id) === client) joining.delete(client.id);
    // aedes 1.2 still reports a client ready whose socket closed during its CONNECT (found by
    // the fuzz test): it is gone, and its disconnect has already been seen
    if (client.closed) return;
    const identity = identities.get(client);
    online.set(client.id, {
      client,
      type: identity?.type === 'device' ? identity.address.kind : 'service',
    });
    presence(client, 'online', 'connect');
  });
  // a session that fails before it is ready leaves nothing behind
  aedes.on('connectionError', (client) => {
    if (joining.get(client.id) === client) joining.delete(client.id);
  });
  aedes.on('keepaliveTimeout', (client) => reasons.set(client, 'keepalive_timeout'));
  aedes.on('clientError', (client) => reasons.set(client, reasons.get(client) ?? 'error'));
  aedes.on('clientDisconnect', (client) => {
    // a session taken over by a reconnect of the same client id is not the device going offline
    if (online.get(client.id)?.client !== client) return;
    online.delete(client.id);
    const successor = joining.get(client.id);
    if (successor !== undefined && successor !== client && !successor.closed) return;
    // aedes marks a session that ended with a DISCONNECT packet (and so publishes no will)
    const clean = (client as { _disconnected?: boolean })._disconnected === true;
    presence(client, 'offline', reasons.get(client) ?? (clean ? 'disconnect' : 'connection_lost'));
  });
  // per message: no split, no label object, no label hashing (a plain count)
  aedes.on('publish', (packet, client) => {
    if (client === null) return;
    metrics.countIn(channelOf(packet.topic));
  });

  const handle = (socket: Duplex, ip: string | undefined) => {
    addresses.set(socket, ip ?? 'unknown');
    guardPacketSize(socket, config.maxPacketBytes, (announced) => {
      metrics.oversize.inc();
      logOnce(
        'oversize',
        `connection closed: packet of ${announced} bytes over ${config.maxPacketBytes}`,
        {},
      );
    });
    aedes.handle(socket);
  };
  const mqtt = createServer((socket) => handle(socket, socket.remoteAddress));
  const mqttPort = await listen(mqtt, config.mqtt.port, config.mqtt.host);

  let tlsPort: number | undefined;
  let tlsServer: TlsServer | undefined;
  if (config.tls !== undefined) {
    tlsServer = createTlsServer(
      {
        cert: readFileSync(config.tls.certFile),
        key: readFileSync(config.tls.keyFile),
        ...(config.tls.caFile === undefined
          ? {}
          : { ca: readFileSync(config.tls.caFile), requestCert: true, rejectUnauthorized: false }),
      },
      (socket) => handle(socket, socket.remoteAddress),
    );
    tlsPort = await listen(tlsServer, config.tls.port, config.tls.host);
  }

  let wsPort: number | undefined;
  let wsHttp: HttpServer | undefined;
  let wss: WebSocketServer | undefined;
  if (config.ws !== undefined) {
    wsHttp = createHttpServer((_req, res) => res.writeHead(404).end());
    wss = new WebSocketServer({
      server: wsHttp,
      path: config.ws.path,
      maxPayload: config.maxPacketBytes,
    });
    wss.on('connection', (ws, req) => handle(createWebSocketStream(ws), req.socket.remoteAddress));
    wsPort = await listen(wsHttp, config.ws.port, config.ws.host);
  }

  const ops = createHttpServer((req, res) => {
    if (req.url === '/healthz')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (req.url === '/readyz') {
      Promise.all([pool.query('SELECT 1'), cluster?.ping()]).then(
        () =>
          res
            .writeHead(aedes.closed ? 503 : 200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: aedes.closed ? 'closing' : 'ready' })),
        () =>
          res.writeHead(503, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              status: 'not ready',
              reason:
                cluster === undefined ? 'database unreachable' : 'database or Redis unreachable',
            }),
          ),
      );
      return;
    }
    if (req.url === '/bans') {
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(guard.bans(now())));
    }
    if (req.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  const opsPort = await listen(ops, config.ops.port, config.ops.host);
  log.info(
    { mqttPort, wsPort, opsPort, cluster: cluster === undefined ? 'single process' : 'redis' },
    'broker listening',
  );

  return {
    mqttPort,
    tlsPort,
    wsPort,
    opsPort,
    metrics,
    close: async () => {
      // stop accepting, then let aedes close the sessions, then wait for the listeners to end
      const mqttClosed = new Promise<void>((resolve) => mqtt.close(() => resolve()));
      const tlsClosed = new Promise<void>((resolve) =>
        tlsServer ? tlsServer.close(() => resolve()) : resolve(),
      );
      wss?.close();
      const wsClosed = new Promise<void>((resolve) =>
        wsHttp ? wsHttp.close(() => resolve()) : resolve(),
      );
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await cluster?.close();
      await Promise.all([mqttClosed, tlsClosed, wsClosed]);
      await new Promise<void>((resolve) => ops.close(() => resolve()));
      await pool.end();
    },
  };
}
