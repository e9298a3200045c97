import {
  Body,
  Controller,
  Get,
  Header,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Caller, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import type { EventInput } from './ticket-events.rules';
import { parseReportedAt } from './ticket-open.rules';
import {
  CreateTicketDto,
  ListTicketsQuery,
  OpenedTicketView,
  TicketDetailView,
  TicketEventDto,
  TicketPageView,
} from './ticket.dto';
import { TicketsService } from './tickets.service';

const ms = (iso: string | undefined): number | undefined =>
  iso === undefined ? undefined : Date.parse(iso);

/** HTTP body to the rules' input: ISO instants to epoch ms, absent fields left out. */
function eventInput(body: TicketEventDto): EventInput {
  const { at, agreedArrivalAt, parts, ...rest } = body;
  const input: Record<string, unknown> = {
    ...rest,
    at: ms(at),
    agreedArrivalAt: ms(agreedArrivalAt),
  };
  if (parts !== undefined)
    input['parts'] = parts.map((p) => ({ partNumber: p.partNumber, qty: p.qty }));
  return Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined),
  ) as unknown as EventInput;
}

@ApiTags('tickets')
@ApiBearerAuth()
@Controller('api/v1/tickets')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  /** 201 with the new ticket; 200 with the open ticket of the same fingerprint (deduplicated). */
  @Post()
  @Roles('engineer')
  async open(
    @Body() body: CreateTicketDto,
    @Caller() caller: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OpenedTicketView> {
    const { reportedAt, ...rest } = body;
    const { ticket, created } = await this.tickets.open(
      { ...rest, ...(reportedAt === undefined ? {} : { reportedAt: parseReportedAt(reportedAt) }) },
      caller.actor,
    );
    void reply.status(created ? 201 : 200);
    return { ...ticket, deduplicated: !created };
  }

  @Get()
  @Roles('viewer')
  @ApiOkResponse({ type: TicketPageView })
  @Header('content-type', 'application/json; charset=utf-8')
  list(@Query() query: ListTicketsQuery): Promise<string> {
    return this.tickets.listJson(query);
  }

  @Get(':id')
  @Roles('viewer')
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<TicketDetailView> {
    return this.tickets.get(id);
  }

  @Post(':id/events')
  @Roles('engineer')
  addEvent(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: TicketEventDto,
    @Caller() caller: Principal,
  ): Promise<TicketDetailView> {
    return this.tickets.addEvent(id, eventInput(body), caller.actor);
  }
}
