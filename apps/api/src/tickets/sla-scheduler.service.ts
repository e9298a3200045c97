import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '../config';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { API_CONFIG } from '../platform/tokens';
import { Ticket } from './ticket.entity';
import { TicketListCache } from './ticket-list.cache';
import { TicketStore } from './ticket.store';

/** Tickets per transaction; a run takes batches until the backlog is done (bounded). */
const BATCH = 200;
const MAX_BATCHES = 50;
/** A ticket whose recompute failed is tried again after this long. */
const RETRY_FAILED_MS = 60_000;

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
    private readonly listCache: TicketListCache,
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
    const run = this.runOnce().then(
      () => undefined,
      (error: unknown) => {
        this.log.error('SLA run failed', error instanceof Error ? error.stack : String(error));
      },
    );
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
          // One ticket that cannot be recomputed must not stall everyone's breaches: it is
          // rolled back alone, logged, and retried a minute later.
          await m.query('SAVEPOINT sla_ticket');
          try {
            const ticket = await m.getRepository(Ticket).findOneByOrFail({ id });
            alerts += await this.store.refresh(m, ticket, now);
            await m.query('RELEASE SAVEPOINT sla_ticket');
          } catch (error) {
            await m.query('ROLLBACK TO SAVEPOINT sla_ticket');
            await m.query('UPDATE ticket SET next_change_at = $2 WHERE id = $1', [
              id,
              new Date(now.getTime() + RETRY_FAILED_MS),
            ]);
            this.log.error(
              `SLA recompute failed for ticket ${id}; retrying in ${RETRY_FAILED_MS / 1_000} s`,
              error instanceof Error ? error.stack : String(error),
            );
          }
        }
        return ids.length;
      });
      processed += done;
      if (done < BATCH) break;
    }
    if (processed > 0) this.listCache.invalidate();
    return { processed, alerts };
  }
}
