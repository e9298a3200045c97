import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Caller, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CreateSiteDto, UpdateSiteDto } from './registry.dto';
import { SiteView, siteView } from './registry.views';
import { SitesService } from './sites.service';

@ApiTags('registry')
@ApiBearerAuth()
@Controller('api/v1/sites')
export class SitesController {
  constructor(private readonly sites: SitesService) {}

  @Post()
  @Roles('admin')
  async create(@Body() body: CreateSiteDto, @Caller() caller: Principal): Promise<SiteView> {
    return siteView(await this.sites.create(body, caller.actor));
  }

  @Get()
  @Roles('viewer', 'device-service')
  async list(): Promise<SiteView[]> {
    return (await this.sites.list()).map(siteView);
  }

  @Get(':id')
  @Roles('viewer', 'device-service')
  async get(@Param('id') id: string): Promise<SiteView> {
    return siteView(await this.sites.get(id));
  }

  @Patch(':id')
  @Roles('admin')
  async update(
    @Param('id') id: string,
    @Body() body: UpdateSiteDto,
    @Caller() caller: Principal,
  ): Promise<SiteView> {
    return siteView(await this.sites.update(id, body, caller.actor));
  }
}
