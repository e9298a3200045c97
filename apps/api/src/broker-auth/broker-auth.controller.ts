import { Body, Controller, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles, TokenInQuery } from '../auth/auth.decorators';
import {
  EmqxAuthnDto,
  EmqxAuthzDto,
  GoAuthAclDto,
  GoAuthQuery,
  GoAuthSuperuserDto,
  GoAuthUserDto,
} from './broker-auth.dto';
import { GO_AUTH_ACC, emqxAuthnAnswer, emqxAuthzAnswer, goAuthAnswer } from './broker-auth.rules';
import type { WireAnswer } from './broker-auth.rules';
import { BrokerAuthService } from './broker-auth.service';

/** The dialect's status goes on the reply; its body is returned (a string as text/plain). */
const send = (reply: FastifyReply, answer: WireAnswer): WireAnswer['body'] => {
  void reply.status(answer.status);
  return answer.body;
};

/**
 * mosquitto-go-auth's HTTP backend (https://github.com/iegomez/mosquitto-go-auth#http):
 * `http_getuser_uri`, `http_superuser_uri`, `http_aclcheck_uri`, JSON or form parameters. go-auth
 * sends no custom headers, so its URIs carry the token as `?access_token=` (docs/api.md).
 */
@ApiTags('broker-auth')
@ApiBearerAuth()
@Controller('api/v1/broker-auth/go-auth')
@Roles('device-service')
@TokenInQuery()
export class GoAuthController {
  constructor(private readonly auth: BrokerAuthService) {}

  @Post('user')
  @ApiOperation({ summary: 'http_getuser_uri: may this client connect with these credentials?' })
  async user(
    @Body() body: GoAuthUserDto,
    @Query() query: GoAuthQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WireAnswer['body']> {
    const decision = await this.auth.authenticate(
      'go-auth',
      body.clientid,
      body.username,
      body.password,
    );
    return send(reply, goAuthAnswer(decision, query.response ?? 'json'));
  }

  /** Nobody is a superuser: services, too, are held to the fleet ACL. */
  @Post('superuser')
  @ApiOperation({ summary: 'http_superuser_uri: always no' })
  superuser(
    @Body() _body: GoAuthSuperuserDto,
    @Query() query: GoAuthQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): WireAnswer['body'] {
    return send(
      reply,
      goAuthAnswer({ ok: false, reason: 'NOT_SUPERUSER' }, query.response ?? 'json'),
    );
  }

  @Post('acl')
  @ApiOperation({ summary: 'http_aclcheck_uri: may this session read, write or subscribe?' })
  async acl(
    @Body() body: GoAuthAclDto,
    @Query() query: GoAuthQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WireAnswer['body']> {
    const decision = await this.auth.authorize(
      'go-auth',
      body.clientid,
      body.username,
      GO_AUTH_ACC[body.acc],
      body.topic,
      undefined,
    );
    return send(reply, goAuthAnswer(decision, query.response ?? 'json'));
  }
}

/**
 * EMQX 5's HTTP authenticator and authorizer, `method = post` with a JSON body template
 * (https://docs.emqx.com/en/emqx/latest/access-control/authn/http.html,
 * https://docs.emqx.com/en/emqx/latest/access-control/authz/http.html). EMQX sends the token in
 * its configured `headers` as `Authorization: Bearer …`.
 */
@ApiTags('broker-auth')
@ApiBearerAuth()
@Controller('api/v1/broker-auth/emqx')
@Roles('device-service')
export class EmqxController {
  constructor(private readonly auth: BrokerAuthService) {}

  @Post('authn')
  @ApiOperation({ summary: 'HTTP authenticator: may this client connect?' })
  async authn(
    @Body() body: EmqxAuthnDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WireAnswer['body']> {
    const decision = await this.auth.authenticate(
      'emqx',
      body.clientid,
      body.username,
      body.password,
    );
    return send(reply, emqxAuthnAnswer(decision));
  }

  @Post('authz')
  @ApiOperation({ summary: 'HTTP authorizer: may this session publish or subscribe?' })
  async authz(
    @Body() body: EmqxAuthzDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WireAnswer['body']> {
    const decision = await this.auth.authorize(
      'emqx',
      body.clientid,
      body.username,
      [body.action],
      body.topic,
      body.qos,
    );
    return send(reply, emqxAuthzAnswer(decision));
  }
}
