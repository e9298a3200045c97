import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Caller, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CreateReservationDto, ReleaseReservationDto } from './reservation.dto';
import { TicketReservationsService } from './ticket-reservations.service';
import { reservationView } from '../parts/parts.views';
import type { ReservationView } from '../parts/parts.views';

/** Mutations of reservations go through the ticket (its events feed the SLA); reads are parts'. */
@ApiTags('reservations')
@ApiBearerAuth()
@Controller('api/v1/reservations')
@Roles('engineer')
export class ReservationsController {
  constructor(private readonly reservations: TicketReservationsService) {}

  /** 201 when booked; 200 with the first result when the idempotency key was already used. */
  @Post()
  async reserve(
    @Body() body: CreateReservationDto,
    @Caller() caller: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReservationView> {
    const { reservation, created } = await this.reservations.reserve(body, caller.actor);
    void reply.status(created ? 201 : 200);
    return reservationView(reservation);
  }

  @Post(':id/deliver')
  @HttpCode(200)
  async deliver(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Caller() caller: Principal,
  ): Promise<ReservationView> {
    return reservationView(await this.reservations.deliver(id, caller.actor));
  }

  @Post(':id/release')
  @HttpCode(200)
  async release(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: ReleaseReservationDto,
    @Caller() caller: Principal,
  ): Promise<ReservationView> {
    return reservationView(await this.reservations.release(id, body.reason, caller.actor));
  }
}
