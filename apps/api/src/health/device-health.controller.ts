import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { DeviceHealthService } from './device-health.service';
import { DeviceHealthView, SiteHealthView } from './device-health.views';

@ApiTags('health')
@ApiBearerAuth()
@Controller('api/v1')
@Roles('viewer', 'device-service')
export class DeviceHealthController {
  constructor(private readonly health: DeviceHealthService) {}

  /** The device's state (ok, missing, unknown, faulty, maintenance), open tickets and window. */
  @Get('devices/:id/health')
  device(@Param('id') id: string): Promise<DeviceHealthView> {
    return this.health.device(id);
  }

  /** Counts of the site's active devices by state, and by kind and state. */
  @Get('sites/:id/health')
  site(@Param('id') id: string): Promise<SiteHealthView> {
    return this.health.site(id);
  }
}
