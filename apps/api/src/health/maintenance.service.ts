import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import type { CreateWindowDto, ListWindowsQuery } from './maintenance.dto';
import type { MaintenanceWindowDetailView, MaintenanceWindowView } from './maintenance.dto';
import { MaintenanceError } from './maintenance.errors';
import { judgeNewWindow, refuseEnd, windowStatus } from './maintenance.rules';
import { MaintenanceStore } from './maintenance.store';
import type { SuppressionInput } from './maintenance.store';
import { MaintenanceWindow } from './maintenance-window.entity';

/** How far ahead activeWindows looks: the health rules cache the answer for a while. */
export const UPCOMING_MS = 60 * 60 * 1000;
/** The most suppression rows a window's detail lists (`suppressedTotal` counts them all). */
export const SUPPRESSED_SHOWN = 1000;

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function windowView(w: MaintenanceWindow, now: Date): MaintenanceWindowView {
  return {
    id: w.id,
    siteId: w.siteId,
    deviceId: w.deviceId,
    startsAt: w.startsAt.toISOString(),
    endsAt: w.endsAt.toISOString(),
    reason: w.reason,
    status: windowStatus(w, now),
    createdAt: w.createdAt.toISOString(),
    createdBy: w.createdBy,
    endedAt: iso(w.endedAt),
    endedBy: w.endedBy,
  };
}

/**
 * Maintenance windows: the API's create, list, get and end, and what the health rules ask
 * (activeWindows, recordSuppression, onChange).
 */
@Injectable()
export class MaintenanceService {
  private readonly listeners = new Set<() => void>();
  private readonly log = new Logger('MaintenanceService');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly store: MaintenanceStore,
  ) {}

  async create(input: CreateWindowDto, actor: string): Promise<MaintenanceWindowView> {
    const now = this.clock.now();
    const startsAt = new Date(input.startsAt);
    const endsAt = new Date(input.endsAt);
    const problems = judgeNewWindow(
      {
        siteId: input.siteId,
        deviceId: input.deviceId,
        startsAt: startsAt.getTime(),
        endsAt: endsAt.getTime(),
      },
      now.getTime(),
    );
    problems.push(...(await this.missingReferences(input)));
    if (problems.length > 0) {
      throw new MaintenanceError('MAINTENANCE_WINDOW_INVALID', problems.join('; '), { problems });
    }
    const created = await this.store.insert({
      siteId: input.siteId ?? null,
      deviceId: input.deviceId ?? null,
      startsAt,
      endsAt,
      reason: input.reason,
      createdAt: now,
      createdBy: actor,
    });
    this.changed();
    return windowView(created, now);
  }

  /** As the tickets API does: a body naming something that does not exist is a 422. */
  private async missingReferences(input: CreateWindowDto): Promise<string[]> {
    if (input.deviceId !== undefined) {
      const found = await this.dataSource.query<unknown[]>('SELECT 1 FROM device WHERE id = $1', [
        input.deviceId,
      ]);
      if (found.length === 0) return [`deviceId: no device ${input.deviceId}`];
    }
    if (input.siteId !== undefined) {
      const found = await this.dataSource.query<unknown[]>('SELECT 1 FROM site WHERE id = $1', [
        input.siteId,
      ]);
      if (found.length === 0) return [`siteId: no site ${input.siteId}`];
    }
    return [];
  }

  async list(query: ListWindowsQuery): Promise<MaintenanceWindowView[]> {
    const now = this.clock.now();
    const windows = await this.store.list({
      siteId: query.siteId,
      deviceId: query.deviceId,
      active: query.active === undefined ? undefined : query.active === 'true',
      at: now,
      limit: query.limit ?? 100,
    });
    return windows.map((w) => windowView(w, now));
  }

  async get(id: string): Promise<MaintenanceWindowDetailView> {
    const now = this.clock.now();
    const window = await this.store.find(id);
    if (window === null) throw notFound(id);
    const { rows, total } = await this.store.suppressions(id, SUPPRESSED_SHOWN);
    return {
      ...windowView(window, now),
      suppressed: rows.map((s) => ({
        deviceId: s.deviceId,
        siteId: s.siteId,
        rule: s.rule,
        fingerprint: s.fingerprint,
        at: s.at.toISOString(),
        lastAt: s.lastAt.toISOString(),
        occurrences: s.occurrences,
      })),
      suppressedTotal: total,
    };
  }

  /** Ends the window now (409 when it is already over). */
  async end(id: string, actor: string): Promise<MaintenanceWindowView> {
    const now = this.clock.now();
    const ended = await this.dataSource.transaction(async (m) => {
      const window = await this.store.lock(m, id);
      if (window === null) throw notFound(id);
      const refusal = refuseEnd(window, now.getTime());
      if (refusal !== undefined) {
        throw new MaintenanceError('MAINTENANCE_WINDOW_ENDED', refusal, {
          endedAt: iso(window.endedAt),
          endsAt: window.endsAt.toISOString(),
        });
      }
      await this.store.markEnded(m, id, now, actor);
      return { ...window, endedAt: now, endedBy: actor };
    });
    this.changed();
    return windowView(ended, now);
  }

  /**
   * For the health rules: every window active at `at` or starting within the next hour, oldest
   * start first. Pick the one covering a device with maintenance.rules.ts activeWindowFor.
   */
  activeWindows(at: Date): Promise<MaintenanceWindow[]> {
    return this.store.startedBy(at, new Date(at.getTime() + UPCOMING_MS));
  }

  /** For the health rules: the ticket `windowId` kept from opening (audited, counted). */
  recordSuppression(windowId: string, suppression: SuppressionInput): Promise<void> {
    return this.store.recordSuppression(windowId, suppression);
  }

  /**
   * Calls `listener` after a window is created or ended through this process, so a cache of
   * activeWindows can reload at once. Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) {
      // the write is committed: a listener's failure must not turn its answer into a 500
      try {
        listener();
      } catch (error) {
        this.log.error(`maintenance change listener failed: ${String(error)}`);
      }
    }
  }
}

const notFound = (id: string) =>
  new MaintenanceError('MAINTENANCE_WINDOW_NOT_FOUND', `no maintenance window ${id}`);
