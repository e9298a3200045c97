import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { MaintenanceSuppression } from './maintenance-suppression.entity';
import { MaintenanceWindow } from './maintenance-window.entity';

/**
 * A ticket the health rules did not open because a window covered its subject. The engine's
 * `suppressed` action has this shape.
 */
export interface SuppressionInput {
  /** Absent or null for a site-level ticket. */
  readonly deviceId?: string | null | undefined;
  readonly siteId: string;
  /** The rule that would have opened it (`missing`, `fault`, `motor`, `battery`, `site`). */
  readonly rule: string;
  /** The fingerprint the ticket would have had. */
  readonly fingerprint: string;
  /** A Date or epoch ms. */
  readonly at: Date | number;
}

export interface WindowFilter {
  /** Windows on the site and on its devices. */
  readonly siteId?: string | undefined;
  /** Windows that may cover the device: its own and its site's. */
  readonly deviceId?: string | undefined;
  /** Only windows active (true) or not active (false) at `at`. */
  readonly active?: boolean | undefined;
  readonly at: Date;
  readonly limit: number;
}

/**
 * Window `w` is active at the instant `at` (an SQL parameter), as maintenance.rules.ts
 * isActiveAt says, in SQL for the indexes (maintenance_window_device / _site / _ends: the
 * subject, then ends_at).
 */
export const activeAtSql = (w: string, at: string): string =>
  `(${w}.starts_at <= ${at} AND ${w}.ends_at > ${at} AND (${w}.ended_at IS NULL OR ${w}.ended_at > ${at}))`;
const ACTIVE_AT = activeAtSql('w', ':at');

/** SQL of maintenance windows and their suppression audit. */
@Injectable()
export class MaintenanceStore {
  constructor(private readonly dataSource: DataSource) {}

  private windows(
    m: EntityManager = this.dataSource.manager,
  ): SelectQueryBuilder<MaintenanceWindow> {
    return m.getRepository(MaintenanceWindow).createQueryBuilder('w');
  }

  insert(
    values: Omit<MaintenanceWindow, 'id' | 'endedAt' | 'endedBy'>,
  ): Promise<MaintenanceWindow> {
    const repo = this.dataSource.getRepository(MaintenanceWindow);
    return repo.save(repo.create({ ...values, endedAt: null, endedBy: null }));
  }

  find(id: string): Promise<MaintenanceWindow | null> {
    return this.dataSource.getRepository(MaintenanceWindow).findOne({ where: { id } });
  }

  /** The window, locked until the transaction ends. */
  lock(m: EntityManager, id: string): Promise<MaintenanceWindow | null> {
    return m.findOne(MaintenanceWindow, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async markEnded(m: EntityManager, id: string, at: Date, actor: string): Promise<void> {
    await m.update(MaintenanceWindow, { id }, { endedAt: at, endedBy: actor });
  }

  /** Newest first. */
  list(filter: WindowFilter): Promise<MaintenanceWindow[]> {
    const qb = this.windows();
    if (filter.siteId !== undefined) {
      qb.andWhere(
        '(w.site_id = :siteId OR w.device_id IN (SELECT d.id FROM device d WHERE d.site_id = :siteId))',
        { siteId: filter.siteId },
      );
    }
    if (filter.deviceId !== undefined) {
      qb.andWhere(
        '(w.device_id = :deviceId OR w.site_id = (SELECT d.site_id FROM device d WHERE d.id = :deviceId))',
        { deviceId: filter.deviceId },
      );
    }
    if (filter.active !== undefined) {
      qb.andWhere(filter.active ? ACTIVE_AT : `NOT ${ACTIVE_AT}`, { at: filter.at });
    }
    return qb
      .orderBy('w.created_at', 'DESC')
      .addOrderBy('w.id', 'DESC')
      .limit(filter.limit)
      .getMany();
  }

  /** Windows on the device or on the site that are active at `at`. */
  covering(deviceId: string | null, siteId: string, at: Date): Promise<MaintenanceWindow[]> {
    const qb = this.windows().where(ACTIVE_AT, { at });
    return deviceId === null
      ? qb.andWhere('w.site_id = :siteId', { siteId }).getMany()
      : qb
          .andWhere('(w.device_id = :deviceId OR w.site_id = :siteId)', { deviceId, siteId })
          .getMany();
  }

  /** Every window not over at `at` that starts by `until` (active at `at`, or soon). */
  startedBy(at: Date, until: Date): Promise<MaintenanceWindow[]> {
    return this.windows()
      .where(
        'w.ends_at > :at AND w.starts_at <= :until AND (w.ended_at IS NULL OR w.ended_at > :at)',
        {
          at,
          until,
        },
      )
      .orderBy('w.starts_at', 'ASC')
      .addOrderBy('w.id', 'ASC')
      .getMany();
  }

  /**
   * Records a suppressed ticket; the same fingerprint again under the same window counts one
   * more occurrence on its row (first and last time kept), as the ticket would have.
   */
  async recordSuppression(windowId: string, s: SuppressionInput): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO maintenance_suppression
         (window_id, device_id, site_id, rule, fingerprint, at, last_at, occurrences)
       VALUES ($1, $2, $3, $4, $5, $6, $6, 1)
       ON CONFLICT (window_id, fingerprint) DO UPDATE SET
         occurrences = maintenance_suppression.occurrences + 1,
         at = LEAST(maintenance_suppression.at, EXCLUDED.at),
         last_at = GREATEST(maintenance_suppression.last_at, EXCLUDED.last_at)`,
      [windowId, s.deviceId ?? null, s.siteId, s.rule, s.fingerprint, new Date(s.at)],
    );
  }

  /** The window's audit, oldest first, at most `limit` rows, and how many there are. */
  async suppressions(
    windowId: string,
    limit: number,
  ): Promise<{ rows: MaintenanceSuppression[]; total: number }> {
    const [rows, total] = await this.dataSource.getRepository(MaintenanceSuppression).findAndCount({
      where: { windowId },
      order: { at: 'ASC', id: 'ASC' },
      take: limit,
    });
    return { rows, total };
  }
}
