import { Module } from '@nestjs/common';
import { TicketsModule } from '../tickets/tickets.module';
import { HealthApiModule } from './health-api.module';
import { HealthMetrics } from './health-metrics';
import { HealthRulesService } from './health-rules.service';

/** The health rule loop (one owner across API processes): the fleet's messages → tickets. */
@Module({
  imports: [TicketsModule, HealthApiModule],
  providers: [HealthRulesService, HealthMetrics],
  exports: [HealthRulesService],
})
export class HealthRulesModule {}
