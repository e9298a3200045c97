import { Global, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '../config';
import { CLOCK } from './clock';
import type { Clock } from './clock';
import { MetricsService } from './metrics.service';
import { API_CONFIG } from './tokens';

export interface CoreDeps {
  readonly config: ApiConfig;
  readonly dataSource: DataSource;
  readonly clock: Clock;
}

/** What every feature needs: config, the database, the clock, metrics. */
@Global()
@Module({})
export class CoreModule {
  static register(deps: CoreDeps): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: API_CONFIG, useValue: deps.config },
        { provide: DataSource, useValue: deps.dataSource },
        { provide: CLOCK, useValue: deps.clock },
        MetricsService,
      ],
      exports: [API_CONFIG, DataSource, CLOCK, MetricsService],
    };
  }
}
