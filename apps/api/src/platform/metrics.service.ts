import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Pool figures the metrics endpoint reads at scrape time. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * Prometheus metrics of one API process, on its own registry (several apps in one test process
 * must not share one). Names follow Prometheus conventions: `_total` counters, `_seconds`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'orfleet_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'orfleet_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly ticketsOpened = new Counter({
    name: 'orfleet_tickets_opened_total',
    help: 'Tickets opened, by severity and source',
    labelNames: ['severity', 'source'] as const,
    registers: [this.registry],
  });

  readonly reservations = new Counter({
    name: 'orfleet_reservations_total',
    help: 'Reservation outcomes, by tier (or backordered)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly slaAlerts = new Counter({
    name: 'orfleet_sla_alerts_total',
    help: 'SLA warnings and breaches raised by the scheduler',
    labelNames: ['kind', 'milestone'] as const,
    registers: [this.registry],
  });

  readonly brokerAuthRefused = new Counter({
    name: 'orfleet_broker_auth_refused_total',
    help: 'Connects, publishes, subscriptions and deliveries an external broker was told to refuse, by dialect, check and reason',
    labelNames: ['dialect', 'check', 'reason'] as const,
    registers: [this.registry],
  });

  private poolStats: () => PoolStats | undefined = () => undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const stats = () => this.poolStats();
    new Gauge({
      name: 'orfleet_db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const s = stats();
        if (s === undefined) return;
        this.set({ state: 'total' }, s.total);
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'waiting' }, s.waiting);
      },
    });
  }

  watchPool(read: () => PoolStats | undefined): void {
    this.poolStats = read;
  }
}
