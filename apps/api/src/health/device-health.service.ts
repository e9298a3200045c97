import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Severity } from '@orfleet/sla';
import { RegistryError } from '../devices/devices.errors';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { FINAL_STATUSES } from '../tickets/ticket-events.rules';
import {
  HEALTH_RULE_SOURCE,
  MISSING_FINGERPRINT_PREFIX,
  countSite,
  healthState,
  isFaultTicket,
} from './device-health.rules';
import type { FactGroup, TrackedState } from './device-health.rules';
import type { DeviceHealthView, SiteHealthView } from './device-health.views';
import { activeWindowFor, windowEnd } from './maintenance.rules';
import { MaintenanceStore, activeAtSql } from './maintenance.store';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/**
 * A site's active devices grouped by kind and by the facts their health state comes from, in one
 * statement whatever the site's size: fault tickets (isFaultTicket, in SQL) and device windows
 * are read once for the site, not per device.
 */
const SITE_FACTS = `
  WITH faulty AS (
    SELECT DISTINCT t.device_id FROM ticket t
     WHERE t.site_id = $1 AND t.device_id IS NOT NULL AND t.status <> ALL($3::text[])
       AND t.source = $4 AND NOT starts_with(COALESCE(t.fingerprint, ''), $5)
  ), covered AS (
    SELECT DISTINCT w.device_id FROM maintenance_window w JOIN device d ON d.id = w.device_id
     WHERE d.site_id = $1 AND ${activeAtSql('w', '$2')}
  ), site_window AS (
    SELECT EXISTS (
      SELECT 1 FROM maintenance_window w WHERE w.site_id = $1 AND ${activeAtSql('w', '$2')}
    ) AS active
  )
  SELECT d.kind, h.state AS tracked, (s.active OR c.device_id IS NOT NULL) AS "inMaintenance",
         (f.device_id IS NOT NULL) AS faulty, count(*)::int AS devices
    FROM device d
    CROSS JOIN site_window s
    LEFT JOIN device_health h ON h.device_id = d.id
    LEFT JOIN faulty f ON f.device_id = d.id
    LEFT JOIN covered c ON c.device_id = d.id
   WHERE d.site_id = $1 AND d.status = 'active'
   GROUP BY 1, 2, 3, 4
   ORDER BY 1`;

interface DeviceRow {
  id: string;
  site_id: string;
  kind: string;
  state: TrackedState | null;
  last_seen_at: Date | null;
  state_since: Date | null;
  missed_beats: number | null;
}

interface TicketRow {
  id: string;
  number: string;
  severity: Severity;
  status: string;
  title: string;
  source: string;
  fingerprint: string | null;
}

/** GET /devices/:id/health and /sites/:id/health (device-health.rules.ts decides the state). */
@Injectable()
export class DeviceHealthService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly windows: MaintenanceStore,
  ) {}

  async device(id: string): Promise<DeviceHealthView> {
    const now = this.clock.now();
    const [device] = await this.dataSource.query<DeviceRow[]>(
      `SELECT d.id, d.site_id, d.kind, h.state, h.last_seen_at, h.state_since, h.missed_beats
         FROM device d LEFT JOIN device_health h ON h.device_id = d.id
        WHERE d.id = $1`,
      [id],
    );
    if (device === undefined) throw new RegistryError('DEVICE_NOT_FOUND', `no device ${id}`);
    const [tickets, windows] = await Promise.all([
      this.dataSource.query<TicketRow[]>(
        `SELECT id, number, severity, status, title, source, fingerprint FROM ticket
          WHERE device_id = $1 AND status <> ALL($2::text[])
          ORDER BY array_position(ARRAY['red', 'yellow', 'green'], severity), created_at, id`,
        [id, FINAL_STATUSES],
      ),
      this.windows.covering(id, device.site_id, now),
    ]);
    const window = activeWindowFor(windows, id, device.site_id, now);
    return {
      deviceId: device.id,
      siteId: device.site_id,
      kind: device.kind,
      state: healthState({
        tracked: device.state,
        faulty: tickets.some(isFaultTicket),
        inMaintenance: window !== undefined,
      }),
      lastSeenAt: iso(device.last_seen_at),
      stateSince: iso(device.state_since),
      missedBeats: device.missed_beats ?? 0,
      openTickets: tickets.map((t) => ({
        id: t.id,
        number: t.number,
        severity: t.severity,
        status: t.status,
        title: t.title,
      })),
      maintenanceWindow:
        window === undefined
          ? null
          : {
              id: window.id,
              endsAt: new Date(windowEnd(window)).toISOString(),
              reason: window.reason,
            },
    };
  }

  async site(id: string): Promise<SiteHealthView> {
    const now = this.clock.now();
    const site = await this.dataSource.query<unknown[]>('SELECT 1 FROM site WHERE id = $1', [id]);
    if (site.length === 0) throw new RegistryError('SITE_NOT_FOUND', `no site ${id}`);
    const groups = await this.dataSource.query<FactGroup[]>(SITE_FACTS, [
      id,
      now,
      FINAL_STATUSES,
      HEALTH_RULE_SOURCE,
      MISSING_FINGERPRINT_PREFIX,
    ]);
    return { siteId: id, ...countSite(groups) };
  }
}
