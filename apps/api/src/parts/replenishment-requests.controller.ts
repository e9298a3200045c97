import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Caller, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ReplenishmentQueryDto, ReplenishmentStatusDto } from './parts.dto';
import { ReplenishmentView, replenishmentView } from './parts.views';
import { ReplenishmentService } from './replenishment.service';

@ApiTags('replenishment')
@ApiBearerAuth()
@Controller('api/v1/replenishment-requests')
@Roles('viewer')
export class ReplenishmentRequestsController {
  constructor(private readonly replenishment: ReplenishmentService) {}

  @Get()
  async list(@Query() query: ReplenishmentQueryDto): Promise<ReplenishmentView[]> {
    return (await this.replenishment.list(query.status, query.limit ?? 100)).map(replenishmentView);
  }

  @Post(':id/status')
  @Roles('admin')
  async setStatus(
    @Param('id') id: string,
    @Body() body: ReplenishmentStatusDto,
    @Caller() caller: Principal,
  ): Promise<ReplenishmentView> {
    return replenishmentView(await this.replenishment.setStatus(id, body.status, caller.actor));
  }
}
