import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Caller, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CreatePartDto, PartQueryDto } from './parts.dto';
import { CatalogImportView, PartView, partView } from './parts.views';
import { PartsService } from './parts.service';

@ApiTags('parts')
@ApiBearerAuth()
@Controller('api/v1')
@Roles('viewer')
export class PartsController {
  constructor(private readonly parts: PartsService) {}

  @Post('parts')
  @Roles('admin')
  async create(@Body() body: CreatePartDto, @Caller() caller: Principal): Promise<PartView> {
    return partView(
      await this.parts.create(
        { ...body, fitsKinds: body.fitsKinds ?? [], fitsModels: body.fitsModels ?? [] },
        caller.actor,
      ),
    );
  }

  /** Upserts the device library's PART_CATALOG (AIP-136 custom method: `:verb`). */
  @Post('parts:import-catalog')
  @Roles('admin')
  importCatalog(@Caller() caller: Principal): Promise<CatalogImportView> {
    return this.parts.importCatalog(caller.actor);
  }

  @Get('parts')
  async list(@Query() query: PartQueryDto): Promise<PartView[]> {
    return (await this.parts.list(query.kind)).map(partView);
  }

  @Get('parts/:partNumber')
  async get(@Param('partNumber') partNumber: string): Promise<PartView> {
    return partView(await this.parts.get(partNumber));
  }
}
