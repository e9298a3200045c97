import { Controller, Get, Header, HttpCode, Inject, Logger, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { MetricsService } from './metrics.service';

@ApiExcludeController()
@Controller()
@Public()
export class HealthController {
  private readonly log = new Logger('Readiness');

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  /** The process is up. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready to serve: the database answers and every committed migration is applied. */
  @Get('readyz')
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const checks: Record<string, string> = {};
    try {
      await this.dataSource.query('SELECT 1');
      checks['database'] = 'ok';
      checks['migrations'] = (await this.dataSource.showMigrations()) ? 'pending' : 'ok';
    } catch (error) {
      // the cause goes to the log, not to an unauthenticated caller (it may name hosts or users)
      this.log.warn(
        `readiness: database unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
      checks['database'] = 'unreachable';
    }
    const ready = Object.values(checks).every((v) => v === 'ok') && 'migrations' in checks;
    await reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
