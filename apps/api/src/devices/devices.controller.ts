import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Caller, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { DevicesService } from './devices.service';
import type { RegisteredDevice } from './devices.service';
import { BulkDevicesDto, CreateDeviceDto, ListDevicesQuery, UpdateDeviceDto } from './registry.dto';
import {
  CredentialView,
  DevicePageView,
  DeviceView,
  RegisteredDeviceView,
  deviceView,
} from './registry.views';

const registeredView = (r: RegisteredDevice): RegisteredDeviceView => ({
  device: deviceView(r.device),
  secret: r.secret,
});

@ApiTags('registry')
@ApiBearerAuth()
@Controller('api/v1')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  /** Registers a device and returns its MQTT secret once. */
  @Post('devices')
  @Roles('admin')
  @ApiCreatedResponse({ type: RegisteredDeviceView })
  async create(
    @Body() body: CreateDeviceDto,
    @Caller() caller: Principal,
  ): Promise<RegisteredDeviceView> {
    return registeredView(await this.devices.register(body, caller.actor));
  }

  /** Imports many devices, all or nothing; on any error, every row's errors come back (422). */
  @Post('devices::bulk')
  @Roles('admin')
  @ApiCreatedResponse({ type: [RegisteredDeviceView] })
  async bulk(
    @Body() body: BulkDevicesDto,
    @Caller() caller: Principal,
  ): Promise<RegisteredDeviceView[]> {
    return (await this.devices.registerMany(body.devices, caller.actor)).map(registeredView);
  }

  @Get('devices')
  @Roles('viewer', 'device-service')
  @ApiOkResponse({ type: DevicePageView })
  async list(@Query() query: ListDevicesQuery): Promise<DevicePageView> {
    const page = await this.devices.list(query);
    return { items: page.items.map(deviceView), nextCursor: page.nextCursor };
  }

  @Get('devices/:id')
  @Roles('viewer', 'device-service')
  @ApiOkResponse({ type: DeviceView })
  async get(@Param('id') id: string): Promise<DeviceView> {
    return deviceView(await this.devices.get(id));
  }

  @Patch('devices/:id')
  @Roles('admin')
  @ApiOkResponse({ type: DeviceView })
  async update(
    @Param('id') id: string,
    @Body() body: UpdateDeviceDto,
    @Caller() caller: Principal,
  ): Promise<DeviceView> {
    return deviceView(await this.devices.update(id, body, caller.actor));
  }

  /** Rotates the device's MQTT secret; the new one is shown once. */
  @Post('devices/:id/secret')
  @HttpCode(200)
  @Roles('admin')
  @ApiOkResponse({ type: RegisteredDeviceView })
  async rotate(
    @Param('id') id: string,
    @Caller() caller: Principal,
  ): Promise<RegisteredDeviceView> {
    return registeredView(await this.devices.rotateSecret(id, caller.actor));
  }

  /** For brokers: the credential of one device (also readable straight from PostgreSQL). */
  @Get('internal/devices/:id/credential')
  @Roles('device-service')
  @ApiOkResponse({ type: CredentialView })
  credential(@Param('id') id: string): Promise<CredentialView> {
    return this.devices.credential(id);
  }
}
