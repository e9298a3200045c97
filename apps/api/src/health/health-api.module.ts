import { Module } from '@nestjs/common';
import { DeviceHealthController } from './device-health.controller';
import { DeviceHealthService } from './device-health.service';
import { DeviceHealthStore } from './device-health.store';
import { MaintenanceController } from './maintenance.controller';
import { MaintenanceService } from './maintenance.service';
import { MaintenanceStore } from './maintenance.store';

/**
 * The HTTP side of device health: maintenance windows and the health read endpoints, plus the
 * two stores the health rules write through (DeviceHealthStore, MaintenanceService).
 */
@Module({
  controllers: [MaintenanceController, DeviceHealthController],
  providers: [MaintenanceStore, MaintenanceService, DeviceHealthStore, DeviceHealthService],
  exports: [MaintenanceService, DeviceHealthStore],
})
export class HealthApiModule {}
