import { Module } from '@nestjs/common';
import { CredentialCache } from './credential.cache';
import { DevicesController } from './devices.controller';
import { DevicesService } from './devices.service';
import { SitesController } from './sites.controller';
import { SitesService } from './sites.service';

@Module({
  controllers: [SitesController, DevicesController],
  providers: [SitesService, DevicesService, CredentialCache],
  exports: [SitesService, DevicesService],
})
export class DevicesModule {}
