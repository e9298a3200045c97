import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '../config';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { API_CONFIG } from '../platform/tokens';
import { Ticket } from './ticket.entity';
import { TicketStore } from './ticket.store';

/** Tickets per transaction; a run takes batches until the backlog is done (bounded). */
const BATCH = 200;
const MAX_BATCHES = 50;

/**
 * Recomputes tickets whose SLA changes by itself (a warning point or a breach is reached:
 * `next_change_at`), so breaches are recorded without any event. Once at start, to catch up after
 * downtime, then every `scheduler.intervalMs`. Safe with several processes: each batch locks its
 * tickets with SKIP LOCKED, and an alert is a unique row (announced once whatever the restarts).
 */
@Injectable()
export class SlaSchedulerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('SlaScheduler');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly store: TicketStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.scheduler.enabled) return;
    await this.tick();
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().then(() => this.schedule());
    }, this.config.scheduler.intervalMs);
    this.timer.unref();
  }

  /** One run; never throws (a failed run is logged and the next one tries again). */
  private async tick(): Promise<void> {
    if (this.running !== undefined || this.stopped) return;
    const run = this.runOnce().catch((error: unknown) => {
      this.log.error(`SLA run failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.running = run;
    try {
      await run;
    } finally {
      this.running = undefined;
    }
  }

  /** Recomputes every ticket whose next change is due; returns how many and the new alerts. */
  async runOnce(): Promise<{ processed: number; alerts: number }> {
    let processed = 0;
    let alerts = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const done = await this.dataSource.transaction(async (m) => {
        const now = this.clock.now();
        const ids = await m.query<{ id: string }[]>(
          `SELECT id FROM ticket WHERE next_change_at <= $1
            ORDER BY next_change_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
          [now],
        );
        for (const { id } of ids) {
          const ticket = await m.getRepository(Ticket).findOneByOrFail({ id });
          alerts += await this.store.refresh(m, ticket, now);
        }
        return ids.length;
      });
      processed += done;
      if (done < BATCH) break;
    }
    return { processed, alerts };
  }
}
