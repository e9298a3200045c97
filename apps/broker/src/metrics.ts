import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The broker's Prometheus metrics, on its own registry. */
export class BrokerMetrics {
  readonly registry = new Registry();
  readonly refused = new Counter({
    name: 'orfleet_broker_connections_refused_total',
    help: 'Refused connections by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly aclDenied = new Counter({
    name: 'orfleet_broker_acl_denied_total',
    help: 'Publishes and subscriptions refused by the ACL, by operation and reason',
    labelNames: ['op', 'reason'] as const,
    registers: [this.registry],
  });
  readonly messagesIn: Counter<'channel'>;
  /**
   * Messages in by channel as plain numbers, handed to `messagesIn` when it is scraped: a
   * labelled prom-client `inc` hashes and checks its labels on every call, per message.
   */
  private readonly inByChannel: Record<string, number> = {};
  readonly oversize = new Counter({
    name: 'orfleet_broker_oversize_packets_total',
    help: 'Connections closed for announcing a packet over the size limit',
    registers: [this.registry],
  });
  readonly throttled = new Counter({
    name: 'orfleet_broker_publishes_throttled_total',
    help: 'Publishes held back because the device was over its message rate',
    registers: [this.registry],
  });
  readonly floodDisconnects = new Counter({
    name: 'orfleet_broker_flood_disconnects_total',
    help: 'Devices disconnected for flooding past the grace period',
    registers: [this.registry],
  });
  readonly offlineDropped = new Counter({
    name: 'orfleet_broker_offline_dropped_total',
    help: 'Messages dropped because an offline session queue was full, by session kind (device or service)',
    labelNames: ['session'] as const,
    registers: [this.registry],
  });
  readonly connected: Gauge<'type'>;

  constructor(connectedBy: () => Record<string, number>) {
    collectDefaultMetrics({ register: this.registry });
    const counted = this.inByChannel;
    const reported: Record<string, number> = {};
    this.messagesIn = new Counter({
      name: 'orfleet_broker_messages_in_total',
      help: 'Messages published by clients, by channel',
      labelNames: ['channel'] as const,
      registers: [this.registry],
      collect() {
        for (const [channel, n] of Object.entries(counted)) {
          const delta = n - (reported[channel] ?? 0);
          if (delta > 0) this.inc({ channel }, delta);
          reported[channel] = n;
        }
      },
    });
    this.connected = new Gauge({
      name: 'orfleet_broker_clients',
      help: 'Connected clients by device kind (or "service")',
      labelNames: ['type'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [type, n] of Object.entries(connectedBy())) this.set({ type }, n);
      },
    });
  }

  /** A message in on `channel`: per message, so no label object and no hashing. */
  countIn(channel: string): void {
    this.inByChannel[channel] = (this.inByChannel[channel] ?? 0) + 1;
  }
}
