import { DataSource } from 'typeorm';
import { ApiToken } from '../auth/api-token.entity';
import { Device } from '../devices/device.entity';
import { Site } from '../devices/site.entity';
import { DeviceHealth } from '../health/device-health.entity';
import { MaintenanceSuppression } from '../health/maintenance-suppression.entity';
import { MaintenanceWindow } from '../health/maintenance-window.entity';
import { Part } from '../parts/part.entity';
import { ReplenishmentRequest } from '../parts/replenishment-request.entity';
import { Reservation } from '../parts/reservation.entity';
import { StockMove } from '../parts/stock-move.entity';
import { Stock } from '../parts/stock.entity';
import { Store } from '../parts/store.entity';
import { SlaAlert } from '../tickets/sla-alert.entity';
import { TicketEvent } from '../tickets/ticket-event.entity';
import { TicketMilestone } from '../tickets/ticket-milestone.entity';
import { Ticket } from '../tickets/ticket.entity';
import { InitialSchema1767225600000 } from './migrations/1767225600000-initial-schema';
import { DeviceHealth1767225700000 } from './migrations/1767225700000-device-health';
import { DeviceHeartbeatOverrides1767225800000 } from './migrations/1767225800000-device-heartbeat-overrides';
import { TicketFingerprintHistory1767225900000 } from './migrations/1767225900000-ticket-fingerprint-history';
import { DeviceNotice1767226000000 } from './migrations/1767226000000-device-notice';
import { GrafanaRoleSecrets1767226050000 } from './migrations/1767226050000-grafana-role-secrets';
import { TicketFingerprintResolved1767226100000 } from './migrations/1767226100000-ticket-fingerprint-resolved';

export const ENTITIES = [
  ApiToken,
  Site,
  Device,
  Ticket,
  TicketEvent,
  TicketMilestone,
  SlaAlert,
  Part,
  Store,
  Stock,
  Reservation,
  StockMove,
  ReplenishmentRequest,
  DeviceHealth,
  MaintenanceWindow,
  MaintenanceSuppression,
];

/** Committed migrations, in order. Listed as classes so tests and dist/ load the same code. */
export const MIGRATIONS = [
  InitialSchema1767225600000,
  DeviceHealth1767225700000,
  DeviceHeartbeatOverrides1767225800000,
  TicketFingerprintHistory1767225900000,
  DeviceNotice1767226000000,
  GrafanaRoleSecrets1767226050000,
  TicketFingerprintResolved1767226100000,
];

export function createDataSource(url: string, poolMax: number): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migration',
    synchronize: false,
    migrationsRun: false,
    extra: { max: poolMax, connectionTimeoutMillis: 10_000 },
  });
}
