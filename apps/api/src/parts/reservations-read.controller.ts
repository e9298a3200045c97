import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { ReservationQueryDto } from './parts.dto';
import { ReservationView, reservationView } from './parts.views';
import { ReservationsService } from './reservations.service';

/** Read side of reservations; the tickets feature owns the endpoints that change them. */
@ApiTags('reservations')
@ApiBearerAuth()
@Controller('api/v1/reservations')
@Roles('viewer')
export class ReservationsReadController {
  constructor(private readonly reservations: ReservationsService) {}

  @Get()
  async list(@Query() query: ReservationQueryDto): Promise<ReservationView[]> {
    const found = await this.reservations.list({
      ticketId: query.ticket,
      status: query.status,
      partNumber: query.part,
      limit: query.limit ?? 100,
    });
    return found.map(reservationView);
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<ReservationView> {
    return reservationView(await this.reservations.get(id));
  }
}
