import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Caller, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CreateStoreDto } from './parts.dto';
import { StoreView, storeView } from './parts.views';
import { StoresService } from './stores.service';

@ApiTags('stores')
@ApiBearerAuth()
@Controller('api/v1/stores')
@Roles('viewer')
export class StoresController {
  constructor(private readonly stores: StoresService) {}

  @Post()
  @Roles('admin')
  async create(@Body() body: CreateStoreDto, @Caller() caller: Principal): Promise<StoreView> {
    return storeView(await this.stores.create(body, caller.actor));
  }

  @Get()
  async list(): Promise<StoreView[]> {
    return (await this.stores.list()).map(storeView);
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<StoreView> {
    return storeView(await this.stores.get(id));
  }
}
