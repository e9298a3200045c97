import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Caller, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import {
  CreateWindowDto,
  ListWindowsQuery,
  MaintenanceWindowDetailView,
  MaintenanceWindowView,
} from './maintenance.dto';
import { MaintenanceService } from './maintenance.service';

@ApiTags('health')
@ApiBearerAuth()
@Controller('api/v1/maintenance-windows')
export class MaintenanceController {
  constructor(private readonly maintenance: MaintenanceService) {}

  /** A window on one device or a whole site: the health rules open no ticket for it meanwhile. */
  @Post()
  @Roles('engineer')
  create(
    @Body() body: CreateWindowDto,
    @Caller() caller: Principal,
  ): Promise<MaintenanceWindowView> {
    return this.maintenance.create(body, caller.actor);
  }

  /** Newest first. */
  @Get()
  @Roles('viewer', 'device-service')
  list(@Query() query: ListWindowsQuery): Promise<MaintenanceWindowView[]> {
    return this.maintenance.list(query);
  }

  /** The window with the tickets it suppressed. */
  @Get(':id')
  @Roles('viewer', 'device-service')
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<MaintenanceWindowDetailView> {
    return this.maintenance.get(id);
  }

  /** Ends the window now; 409 when it is already over. */
  @Post(':id/end')
  @HttpCode(200)
  @Roles('engineer')
  end(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Caller() caller: Principal,
  ): Promise<MaintenanceWindowView> {
    return this.maintenance.end(id, caller.actor);
  }
}
