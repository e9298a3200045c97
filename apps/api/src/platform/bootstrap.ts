import { ValidationPipe } from '@nestjs/common';
import type { ValidationError } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import type { ApiConfig } from '../config';
import { createDataSource } from '../database/data-source';
import { runningEmbeddedUrl, startEmbeddedPostgres } from '../database/embedded-postgres';
import type { EmbeddedDatabase } from '../database/embedded-postgres';
import { systemClock } from './clock';
import type { Clock } from './clock';
import { DomainError } from './domain-error';
import { createLogger, PinoNestLogger } from './logger';
import { MetricsService } from './metrics.service';

const REQUEST_ID = /^[\w.-]{1,100}$/;
/** An API token sent in the query string (auth/auth.decorators.ts `TokenInQuery`): never logged. */
const QUERY_TOKEN = /([?&]access_token=)[^&]*/g;

/** Fastify's own request logs are off: the onResponse hook writes one line per request. */
class QuietRequests extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(): void {}
}

export interface RunningApi {
  readonly app: NestFastifyApplication;
  readonly url: string;
  readonly dataSource: DataSource;
  /** True when no active admin token exists yet: the operator must create the first one. */
  readonly needsFirstAdmin: boolean;
  close(): Promise<void>;
}

interface StartLog {
  info(message: string): void;
  warn(message: string): void;
}

const EMBEDDED_DATABASE = 'orfleet';

/** Creates `name` on the server behind `url` when missing (embedded clusters start empty). */
async function ensureDatabase(url: string, name: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

/** Connects (starting the embedded PostgreSQL when no DATABASE_URL is set) and migrates. */
export async function openDatabase(
  config: ApiConfig,
  log: StartLog,
  options: { reuseRunningEmbedded?: boolean } = {},
): Promise<{ dataSource: DataSource; embedded: EmbeddedDatabase | undefined }> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.database.url;
  if (url === undefined && options.reuseRunningEmbedded) {
    // A CLI next to a running API: use its cluster rather than start a second one on the data.
    const running = await runningEmbeddedUrl(
      config.database.embedded.dataDir,
      config.database.embedded.port,
    );
    if (running !== undefined) url = await ensureDatabase(running, EMBEDDED_DATABASE);
  }
  if (url === undefined) {
    embedded = await startEmbeddedPostgres(
      config.database.embedded.dataDir,
      config.database.embedded.port,
      log,
    );
    url = await ensureDatabase(embedded.url, EMBEDDED_DATABASE);
  }
  const dataSource = createDataSource(url, config.database.poolMax);
  try {
    await dataSource.initialize();
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    for (const m of ran) log.info(`migration applied: ${m.name}`);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw error;
  }
  return { dataSource, embedded };
}

function validationError(errors: ValidationError[]): DomainError {
  const fields: string[] = [];
  const walk = (list: ValidationError[], prefix: string) => {
    for (const e of list) {
      const path = prefix + e.property;
      for (const message of Object.values(e.constraints ?? {})) fields.push(`${path}: ${message}`);
      walk(e.children ?? [], `${path}.`);
    }
  };
  walk(errors, '');
  return new DomainError('VALIDATION_FAILED', fields.join('; ') || 'invalid request', { fields });
}

/** Starts the API: database, migrations, HTTP. Used by main.ts and by every integration test. */
export async function startApi(
  config: ApiConfig,
  options: { clock?: Clock; log?: StartLog } = {},
): Promise<RunningApi> {
  const log = options.log ?? { info: () => undefined, warn: () => undefined };
  const { dataSource, embedded } = await openDatabase(config, log);
  let app: NestFastifyApplication | undefined;
  try {
    const logger = createLogger(config.logLevel);
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.register({ config, dataSource, clock: options.clock ?? systemClock }),
      new FastifyAdapter({
        bodyLimit: config.http.bodyLimitBytes,
        loggerInstance: logger,
        logController: new QuietRequests(),
        // Reuse the caller's request id when it is sane, else make one; echoed back.
        genReqId: (req: { headers: IncomingMessage['headers'] }) => {
          const given = req.headers['x-request-id'];
          return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        },
      }),
      { logger: new PinoNestLogger(logger), abortOnError: false },
    );
    app.useGlobalPipes(
      new ValidationPipe({
        whitelist: true,
        forbidNonWhitelisted: true,
        transform: true,
        stopAtFirstError: false,
        exceptionFactory: validationError,
      }),
    );
    const metrics = app.get(MetricsService);
    const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
    metrics.watchPool(() =>
      pool
        ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }
        : undefined,
    );
    const fastify = app.getHttpAdapter().getInstance();
    fastify.addHook('onRequest', async (request, reply) => {
      void reply.header('x-request-id', request.id);
    });
    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      request.log.info(
        {
          method: request.method,
          url: request.url.replace(QUERY_TOKEN, '$1REDACTED'),
          status: reply.statusCode,
          ms: reply.elapsedTime,
        },
        'request',
      );
      metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
      metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1_000);
    });
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('orfleet API')
        .setDescription('Device registry, tickets with SLA milestones, spare parts')
        .setVersion('1')
        .addBearerAuth()
        .build(),
    );
    SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
    // A deep accept queue: a ward's worth of boards (re)connecting at once must not see SYNs
    // dropped (Node's default backlog is 511; the kernel caps it at net.core.somaxconn).
    await app.listen({ port: config.http.port, host: config.http.host, backlog: 4_096 });
  } catch (error) {
    await app?.close();
    await dataSource.destroy();
    await embedded?.stop();
    throw error;
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const needsFirstAdmin =
    (
      await dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM api_token WHERE role = 'admin' AND revoked_at IS NULL`,
      )
    )[0]?.n === 0;
  const running = app;
  return {
    app: running,
    url: `http://${host}:${port}`,
    dataSource,
    needsFirstAdmin,
    close: async () => {
      await running.close();
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}
