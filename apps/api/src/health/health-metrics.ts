import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Channel } from '@orfleet/devices';
import { MetricsService } from '../platform/metrics.service';
import { HEALTH_RULES, SUPPRESS_REASONS } from './health-engine';
import type { HealthRule, HealthStateCounts, SuppressReason } from './health-engine';

/**
 * Slots of the message counter, by type: the hot path indexes a typed array with a constant, no
 * label lookup. `invalid`: a message the loop could not decode (counted, never thrown).
 */
export const MESSAGE_TYPE = {
  heartbeat: 0,
  telemetry: 1,
  fault: 2,
  sightings: 3,
  invalid: 4,
} as const satisfies Record<Channel | 'invalid', number>;
const MESSAGE_TYPES = Object.keys(MESSAGE_TYPE) as (keyof typeof MESSAGE_TYPE)[];
const STATES: readonly (keyof HealthStateCounts)[] = ['ok', 'pending', 'missing', 'unknown'];

/** What the loop reads at scrape time from the engine it runs (undefined: not leading). */
export interface HealthMetricsSource {
  countByState(): HealthStateCounts;
  readonly suppressed: Readonly<Record<SuppressReason, number>>;
}

/**
 * The rule loop's Prometheus metrics on the API's `/metrics` (docs/health-rules.md, "Metrics").
 * The per-message path only bumps a plain number (`message`); label sets are resolved when
 * Prometheus scrapes, so a message costs no label hashing and no allocation. Every series exists
 * from the start (zeros), so rates work from the first scrape.
 */
@Injectable()
export class HealthMetrics {
  private readonly messages = new Float64Array(MESSAGE_TYPES.length);
  private readonly opened = new Map<HealthRule, number>(HEALTH_RULES.map((r) => [r, 0]));
  /** Suppressions counted by engines this process ran before the current one. */
  private readonly suppressedBefore = new Map<SuppressReason, number>(
    SUPPRESS_REASONS.map((r) => [r, 0]),
  );
  private source: HealthMetricsSource | undefined;
  private leading = 0;

  private readonly detectionLag: Histogram;
  private readonly tick: Histogram;
  private readonly snapshot: Histogram;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    const leader: Gauge = new Gauge({
      name: 'orfleet_health_leader',
      help: '1 when this API process owns the health rule loop',
      registers,
      collect: () => leader.set(this.leading),
    });
    const tracked: Gauge<'state'> = new Gauge({
      name: 'orfleet_health_devices_tracked',
      help: 'Devices the health rules track, by state (pending: past the deadline, ticket undecided); 0 when not leading',
      labelNames: ['state'] as const,
      registers,
      collect: () => {
        const counts = this.source?.countByState();
        for (const state of STATES) tracked.set({ state }, counts?.[state] ?? 0);
      },
    });
    // counters below are totals kept outside prom-client, handed over at scrape time
    const messages: Counter<'type'> = new Counter({
      name: 'orfleet_health_messages_total',
      help: 'Fleet messages the health rules received, by channel (invalid: not decodable)',
      labelNames: ['type'] as const,
      registers,
      collect: () => {
        messages.reset();
        MESSAGE_TYPES.forEach((type, i) => messages.inc({ type }, this.messages[i] ?? 0));
      },
    });
    const opened: Counter<'rule'> = new Counter({
      name: 'orfleet_health_tickets_opened_total',
      help: 'Tickets the health rules opened (new tickets, not repeat occurrences), by rule',
      labelNames: ['rule'] as const,
      registers,
      collect: () => {
        opened.reset();
        for (const [rule, n] of this.opened) opened.inc({ rule }, n);
      },
    });
    const suppressed: Counter<'reason'> = new Counter({
      name: 'orfleet_health_suppressed_total',
      help: 'Devices past their deadline, or tickets, the health rules kept from becoming a ticket, by reason',
      labelNames: ['reason'] as const,
      registers,
      collect: () => {
        suppressed.reset();
        const current = this.source?.suppressed;
        for (const [reason, before] of this.suppressedBefore) {
          suppressed.inc({ reason }, before + (current?.[reason] ?? 0));
        }
      },
    });
    this.detectionLag = new Histogram({
      name: 'orfleet_health_detection_lag_seconds',
      help: 'Time from a device deadline (last seen + interval × misses) to the rules finding it past it',
      buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
      registers,
    });
    this.tick = new Histogram({
      name: 'orfleet_health_tick_seconds',
      help: 'Duration of one timer-wheel tick of the health rules (deadlines, decisions)',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    this.snapshot = new Histogram({
      name: 'orfleet_health_snapshot_seconds',
      help: 'Duration of one write of changed device health to PostgreSQL (device_health)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  /** This process took the loop over, with this engine (or stepped down: undefined). */
  lead(source: HealthMetricsSource | undefined): void {
    if (this.source !== undefined) {
      for (const reason of SUPPRESS_REASONS) {
        this.suppressedBefore.set(
          reason,
          (this.suppressedBefore.get(reason) ?? 0) + this.source.suppressed[reason],
        );
      }
    }
    this.source = source;
    this.leading = source === undefined ? 0 : 1;
  }

  /** Hot path: one fleet message of this type (`MESSAGE_TYPE.heartbeat`, …). */
  message(type: (typeof MESSAGE_TYPE)[keyof typeof MESSAGE_TYPE]): void {
    this.messages[type] = (this.messages[type] ?? 0) + 1;
  }

  ticketOpened(rule: HealthRule): void {
    this.opened.set(rule, (this.opened.get(rule) ?? 0) + 1);
  }

  detected(lagsMs: readonly number[]): void {
    for (const ms of lagsMs) this.detectionLag.observe(ms / 1_000);
  }

  ticked(seconds: number): void {
    this.tick.observe(seconds);
  }

  snapshotWritten(seconds: number): void {
    this.snapshot.observe(seconds);
  }
}
