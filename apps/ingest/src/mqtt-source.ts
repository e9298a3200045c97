import { connect } from 'mqtt';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { backoffDelayMs } from './influx/backoff.rules';

/** One message as the ingest takes it: the receive time is fixed here, before anything else. */
export interface IncomingMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: number;
}

export interface MqttSourceOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly keepaliveS: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** Messages received and not yet acknowledged at most; past it no more are read. */
  readonly maxInflight: number;
  readonly now: () => number;
  readonly random?: () => number;
  readonly log: Logger;
  /**
   * Takes a message durably. The PUBACK goes out only once this resolves. A rejection means the
   * message could not be kept: it is not acknowledged, and the connection is restarted so the
   * broker sends it again.
   */
  accept(message: IncomingMessage): Promise<void>;
  onConnectionChange?(connected: boolean): void;
  /** PUBACKs sent, per batch that went out together. */
  onAcked?(count: number): void;
}

// handleMessage's callback with an error: MQTT.js then sends no PUBACK of its own and reads on
const DEFERRED = new Error('acknowledged once durable');

interface PendingAck {
  readonly messageId: number;
  /** The connection it came in on: a PUBACK never goes out on a later one. */
  readonly stream: unknown;
  done: boolean;
}

/**
 * The MQTT side of the ingest, on MQTT.js with MQTT 3.1.1: a fixed client id and clean=false, so
 * the broker keeps the session (and queues) while the ingest is away; QoS 1 subscriptions, made
 * again when the broker has no session; reconnect with exponential backoff and full jitter.
 *
 * Acknowledge after a durable write, without the one-at-a-time trap: MQTT.js hands messages to
 * `handleMessage` one by one and sends the PUBACK when its callback is called, only then reading
 * the next packet. Waiting there for the disk would allow one message per fsync. Instead each
 * message is handed to `accept` at once and MQTT.js is told to move on; PUBACKs are sent by this
 * module once `accept` resolved, in the order the messages arrived (MQTT-4.6.0-2), and only on
 * the connection they arrived on: after a reconnect the broker sends unacknowledged messages
 * again. At most `maxInflight` messages wait; then reading stops (TCP back-pressure), which is
 * also what happens while the spool is full: the broker keeps the rest.
 */
export class MqttSource {
  readonly client: MqttClient;
  private filters: readonly string[] = [];
  /** The filters the broker's session holds, as far as this side knows (granted on a SUBACK). */
  private brokerFilters: readonly string[] = [];
  /** SUBSCRIBEs sent on this connection and not answered yet. */
  private subscribing = 0;
  /** Filters the broker refused (SUBACK 0x80): its ACL does not let this account read them. */
  private refusedFilters: readonly string[] = [];
  private readonly acks: PendingAck[] = [];
  private blocked: (() => void) | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closing = false;
  /** PUBACKs sent since start. */
  acked = 0;

  constructor(private readonly options: MqttSourceOptions) {
    this.client = connect(options.url, {
      protocolVersion: 4,
      clientId: options.clientId,
      clean: false,
      keepalive: options.keepaliveS,
      // reconnects and resubscriptions are ours (backoff with jitter; only without a session)
      reconnectPeriod: 0,
      resubscribe: false,
      connectTimeout: 10_000,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
    });
    this.client.handleMessage = (packet, callback) => this.receive(packet, callback);
    this.client.on('connect', (connack) => {
      this.attempt = 0;
      options.log.info(
        { url: options.url, clientId: options.clientId, sessionPresent: connack.sessionPresent },
        'ingest connected to the broker',
      );
      options.onConnectionChange?.(true);
      // a broker without our session (first start, or it lost it) needs the subscriptions again;
      // one with it still needs any filter added while we were away
      if (!connack.sessionPresent) this.brokerFilters = [];
      this.reconcile();
    });
    this.client.on('close', () => {
      options.onConnectionChange?.(false);
      // messages of the closed connection will come again: their PUBACKs must not go out
      this.dropAcks();
      this.scheduleReconnect();
    });
    this.client.on('error', (error) => {
      options.log.warn({ err: error.message, url: options.url }, 'broker connection error');
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * Connected and every wanted filter granted by the broker: only from here on is a message a
   * device publishes sure to reach this consumer (before the SUBACK the broker drops it).
   */
  get subscribed(): boolean {
    return this.client.connected && this.subscribing === 0 && this.refusedFilters.length === 0;
  }

  /** Filters the broker refused on its last answer (its ACL); empty when all were granted. */
  get refused(): readonly string[] {
    return this.refusedFilters;
  }

  get inflight(): number {
    return this.acks.length;
  }

  /** Subscribes to `filters`, unsubscribing from filters no longer wanted. */
  setFilters(filters: readonly string[]): void {
    this.filters = [...filters];
    if (this.client.connected) this.reconcile();
  }

  /** Brings the broker's session to `filters`: unsubscribes what is no longer wanted, subscribes what is missing. */
  private reconcile(): void {
    const removed = this.brokerFilters.filter((f) => !this.filters.includes(f));
    const added = this.filters.filter((f) => !this.brokerFilters.includes(f));
    this.brokerFilters = [...this.filters];
    this.refusedFilters = this.refusedFilters.filter((f) => this.filters.includes(f));
    if (removed.length > 0) this.client.unsubscribe(removed);
    if (added.length === 0) return;
    this.subscribing += 1;
    this.client.subscribe(added, { qos: 1 }, (error, _granted, suback) => {
      this.subscribing -= 1;
      // MQTT.js answers a SUBACK holding any refusal (0x80) with an error carrying the packet;
      // an error without one is a connection lost before the SUBACK
      const codes = suback?.granted ?? [];
      const answered = codes.length === added.length;
      const refused = answered ? added.filter((_f, i) => ((codes[i] as number) & 0x80) !== 0) : [];
      // whatever was not granted is asked for again on the next connect
      const failed = answered ? refused : added;
      this.brokerFilters = this.brokerFilters.filter((f) => !failed.includes(f));
      if (!answered) {
        if (error) {
          this.options.log.error({ err: error.message, filters: added }, 'subscription failed');
        }
        return;
      }
      this.refusedFilters = [
        ...this.refusedFilters.filter((f) => !added.includes(f)),
        ...refused.filter((f) => this.filters.includes(f)),
      ];
      if (refused.length > 0) {
        this.options.log.error(
          { refused },
          'the broker refused subscriptions: check its ACL for this account',
        );
      }
    });
  }

  private receive(packet: IPublishPacket, callback: (error?: Error) => void): void {
    const message: IncomingMessage = {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      receivedAt: this.options.now(),
    };
    if (packet.qos === 0 || packet.messageId === undefined) {
      // nothing to acknowledge; kept all the same
      this.options.accept(message).catch((error: unknown) => this.failed(error));
      return callback();
    }
    const ack: PendingAck = {
      messageId: packet.messageId,
      stream: this.client.stream,
      done: false,
    };
    this.acks.push(ack);
    this.options.accept(message).then(
      () => {
        ack.done = true;
        this.flushAcks();
      },
      (error: unknown) => this.failed(error),
    );
    if (this.acks.length < this.options.maxInflight) return callback(DEFERRED);
    // enough waiting: read on once the oldest are acknowledged
    this.blocked = () => callback(DEFERRED);
  }

  private flushAcks(): void {
    const sendPacket = (
      this.client as unknown as {
        _sendPacket(packet: { cmd: 'puback'; messageId: number }): void;
      }
    )._sendPacket.bind(this.client);
    let sent = 0;
    while (this.acks.length > 0 && this.acks[0]?.done === true) {
      const ack = this.acks.shift() as PendingAck;
      if (ack.stream === this.client.stream && this.client.connected) {
        sendPacket({ cmd: 'puback', messageId: ack.messageId });
        sent++;
      }
    }
    if (sent > 0) {
      this.acked += sent;
      this.options.onAcked?.(sent);
    }
    if (this.blocked !== undefined && this.acks.length < this.options.maxInflight) {
      const resume = this.blocked;
      this.blocked = undefined;
      resume();
    }
  }

  private dropAcks(): void {
    this.acks.length = 0;
    const resume = this.blocked;
    this.blocked = undefined;
    resume?.();
  }

  private failed(error: unknown): void {
    this.options.log.error(
      { err: error instanceof Error ? error.message : String(error) },
      'a message could not be stored: reconnecting so the broker sends it again',
    );
    if (!this.closing) this.client.end(true);
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer !== undefined) return;
    // full jitter over a doubling ceiling, never below the minimum: a fleet of ingest
    // instances cut off together does not come back in lockstep
    const { reconnectMinMs: minMs, reconnectMaxMs: maxMs } = this.options;
    const delay = Math.max(
      minMs,
      backoffDelayMs(
        ++this.attempt,
        { baseMs: minMs, capMs: maxMs, maxRetryAfterMs: maxMs },
        this.options.random ?? Math.random,
      ),
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closing) this.client.reconnect();
    }, delay);
  }

  /** Stops reading; acknowledgements still owed are not sent (the broker keeps those messages). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    await this.client.endAsync(false).catch(() => undefined);
  }
}
