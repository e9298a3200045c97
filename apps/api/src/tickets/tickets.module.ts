import { Module } from '@nestjs/common';
import { TicketListCache } from './ticket-list.cache';
import { PartsModule } from '../parts/parts.module';
import { SlaReportController } from '../reports/sla-report.controller';
import { SlaReportService } from '../reports/sla-report.service';
import { ReservationsController } from './reservations.controller';
import { SlaSchedulerService } from './sla-scheduler.service';
import { TicketReservationsService } from './ticket-reservations.service';
import { TicketStore } from './ticket.store';
import { TicketsController } from './tickets.controller';
import { TicketsService } from './tickets.service';

/** Tickets, their SLA (store, scheduler, report) and the reservation mutations they log. */
@Module({
  imports: [PartsModule],
  controllers: [TicketsController, ReservationsController, SlaReportController],
  providers: [
    TicketStore,
    TicketListCache,
    TicketsService,
    TicketReservationsService,
    SlaSchedulerService,
    SlaReportService,
  ],
  exports: [TicketsService],
})
export class TicketsModule {}
