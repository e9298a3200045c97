import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Caller, Roles } from './auth.decorators';
import type { ApiToken } from './api-token.entity';
import type { Principal } from './principal';
import { CreateTokenDto, CreatedTokenView, TokenView } from './token.dto';
import { TokensService } from './tokens.service';

const view = (t: ApiToken): TokenView => ({
  id: t.id,
  name: t.name,
  role: t.role,
  createdAt: t.createdAt.toISOString(),
  createdBy: t.createdBy,
  revokedAt: t.revokedAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
});

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('api/v1/tokens')
@Roles('admin')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  create(@Body() body: CreateTokenDto, @Caller() caller: Principal): Promise<CreatedTokenView> {
    return this.tokens.create(body.name, body.role, caller.actor);
  }

  @Get()
  async list(): Promise<TokenView[]> {
    return (await this.tokens.list()).map(view);
  }

  @Post(':id/revoke')
  async revoke(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Caller() caller: Principal,
  ): Promise<TokenView> {
    return view(await this.tokens.revoke(id, caller.actor));
  }
}
