import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FAULT_CATALOG, FAULT_CODES } from '@orfleet/devices';
import type { FaultCode } from '@orfleet/devices';
import { encodeNoticeCursor } from './notice-query.rules';
import type { NoticeKey } from './notice-query.rules';

/** A notice raised or cleared by the health rules (the engine's `notice` actions). */
export interface NoticeEvent {
  readonly deviceId: string;
  readonly siteId: string;
  readonly code: string;
  /** Epoch ms. */
  readonly at: number;
}

export interface NoticeFilter {
  readonly siteId?: string | undefined;
  readonly deviceId?: string | undefined;
  /** Only open (true) or only cleared (false) notices. */
  readonly open?: boolean | undefined;
  /** The page after this row (the previous page's last). */
  readonly after?: NoticeKey | undefined;
  readonly limit: number;
}

export interface NoticePage {
  readonly items: DeviceNotice[];
  /** The cursor of the next page; null on the last. */
  readonly nextCursor: string | null;
}

export interface DeviceNotice {
  readonly id: string;
  readonly deviceId: string;
  readonly siteId: string;
  readonly code: string;
  readonly description: string;
  readonly openedAt: string;
  readonly lastSeenAt: string;
  readonly count: number;
  readonly clearedAt: string | null;
  readonly open: boolean;
}

interface NoticeRow {
  id: string;
  device_id: string;
  site_id: string;
  code: string;
  opened_at: Date;
  last_seen_at: Date;
  count: number;
  cleared_at: Date | null;
}

const isFaultCode = (code: string): code is FaultCode =>
  (FAULT_CODES as readonly string[]).includes(code);

const toNotice = (r: NoticeRow): DeviceNotice => ({
  id: r.id,
  deviceId: r.device_id,
  siteId: r.site_id,
  code: r.code,
  description: isFaultCode(r.code) ? FAULT_CATALOG[r.code].description : r.code,
  openedAt: r.opened_at.toISOString(),
  lastSeenAt: r.last_seen_at.toISOString(),
  count: r.count,
  clearedAt: r.cleared_at === null ? null : r.cleared_at.toISOString(),
  open: r.cleared_at === null,
});

/**
 * Replenishment notices in `device_notice` (migration 1767226000000): one open row per (device,
 * code), each raise while it is open counting on it, a clear closing it. Both writes are single
 * statements on the partial unique index, so a repeat or a second writer never makes two open
 * rows.
 */
@Injectable()
export class DeviceNoticeStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Opens the notice, or counts one more report on the open one. */
  async raise(n: NoticeEvent): Promise<void> {
    const at = new Date(n.at);
    await this.dataSource.query(
      `INSERT INTO device_notice (device_id, site_id, code, opened_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (device_id, code) WHERE cleared_at IS NULL
       DO UPDATE SET count = device_notice.count + 1,
                     last_seen_at = GREATEST(device_notice.last_seen_at, EXCLUDED.last_seen_at)`,
      [n.deviceId, n.siteId, n.code, at],
    );
  }

  /** Clears the open notice of the device and code, if any. */
  async clear(n: NoticeEvent): Promise<void> {
    await this.dataSource.query(
      `UPDATE device_notice SET cleared_at = GREATEST(opened_at, $3)
        WHERE device_id = $1 AND code = $2 AND cleared_at IS NULL`,
      [n.deviceId, n.code, new Date(n.at)],
    );
  }

  /** Every open notice of a code the catalog knows: (device, code), for the rule loop's start. */
  async openNotices(): Promise<{ deviceId: string; code: FaultCode }[]> {
    const rows = await this.dataSource.query<{ device_id: string; code: string }[]>(
      `SELECT device_id, code FROM device_notice WHERE cleared_at IS NULL`,
    );
    return rows.flatMap((r) =>
      isFaultCode(r.code) ? [{ deviceId: r.device_id, code: r.code }] : [],
    );
  }

  /**
   * Newest first, a page at a time (keyset on opened_at DESC, id DESC). opened_at is only ever
   * written from a JS Date here (`raise`), so the cursor's epoch ms is the stored instant exactly.
   */
  async list(filter: NoticeFilter): Promise<NoticePage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      let clause = sql;
      for (const value of values) {
        params.push(value);
        clause = clause.replace('?', `$${params.length}`);
      }
      where.push(clause);
    };
    if (filter.siteId !== undefined) add('site_id = ?', filter.siteId);
    if (filter.deviceId !== undefined) add('device_id = ?', filter.deviceId);
    if (filter.open !== undefined) where.push(`cleared_at IS ${filter.open ? '' : 'NOT '}NULL`);
    if (filter.after !== undefined)
      add('(opened_at, id) < (?, ?::uuid)', new Date(filter.after.openedAt), filter.after.id);
    params.push(filter.limit + 1);
    const rows = await this.dataSource.query<NoticeRow[]>(
      `SELECT id, device_id, site_id, code, opened_at, last_seen_at, count, cleared_at
         FROM device_notice
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY opened_at DESC, id DESC
        LIMIT $${params.length}`,
      params,
    );
    const more = rows.length > filter.limit;
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map(toNotice),
      nextCursor:
        more && last !== undefined
          ? encodeNoticeCursor({ openedAt: last.opened_at.getTime(), id: last.id })
          : null,
    };
  }
}
