import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { BrokerAuthModule } from './broker-auth/broker-auth.module';
import { DevicesModule } from './devices/devices.module';
import { HealthApiModule } from './health/health-api.module';
import { HealthRulesModule } from './health/health-rules.module';
import { PartsModule } from './parts/parts.module';
import { TicketsModule } from './tickets/tickets.module';
import { CoreModule } from './platform/core.module';
import type { CoreDeps } from './platform/core.module';
import { ErrorFilter } from './platform/error.filter';
import { HealthController } from './platform/health.controller';

@Module({})
export class AppModule {
  static register(deps: CoreDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.register(deps),
        AuthModule,
        DevicesModule,
        BrokerAuthModule,
        PartsModule,
        TicketsModule,
        HealthApiModule,
        HealthRulesModule,
      ],
      controllers: [HealthController],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}
