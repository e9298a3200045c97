import { Module } from '@nestjs/common';
import { PartsController } from './parts.controller';
import { PartsService } from './parts.service';
import { ReplenishmentRequestsController } from './replenishment-requests.controller';
import { ReplenishmentService } from './replenishment.service';
import { ReservationsReadController } from './reservations-read.controller';
import { ReservationsService } from './reservations.service';
import { StockController } from './stock.controller';
import { StockService } from './stock.service';
import { StoresController } from './stores.controller';
import { StoresService } from './stores.service';

@Module({
  controllers: [
    PartsController,
    StoresController,
    StockController,
    ReservationsReadController,
    ReplenishmentRequestsController,
  ],
  providers: [PartsService, StoresService, StockService, ReservationsService, ReplenishmentService],
  exports: [ReservationsService],
})
export class PartsModule {}
