import { Module } from '@nestjs/common';
import { DevicesController } from './devices.controller';
import { DevicesService } from './devices.service';
import { SitesController } from './sites.controller';
import { SitesService } from './sites.service';

@Module({
  controllers: [SitesController, DevicesController],
  providers: [SitesService, DevicesService],
  exports: [SitesService, DevicesService],
})
export class DevicesModule {}
