import { Module } from '@nestjs/common';
import { DeviceHealthController } from './device-health.controller';
import { DeviceHealthService } from './device-health.service';
import { DeviceHealthStore } from './device-health.store';
import { DeviceNoticeStore } from './device-notice.store';
import { MaintenanceController } from './maintenance.controller';
import { MaintenanceService } from './maintenance.service';
import { MaintenanceStore } from './maintenance.store';
import { NoticesController } from './notices.controller';

/**
 * The HTTP side of device health: maintenance windows, the health read endpoints and the
 * replenishment notices, plus the stores the health rules write through (DeviceHealthStore,
 * MaintenanceService, DeviceNoticeStore).
 */
@Module({
  controllers: [MaintenanceController, DeviceHealthController, NoticesController],
  providers: [
    MaintenanceStore,
    MaintenanceService,
    DeviceHealthStore,
    DeviceHealthService,
    DeviceNoticeStore,
  ],
  exports: [MaintenanceService, DeviceHealthStore, DeviceNoticeStore],
})
export class HealthApiModule {}
