import { Catch, HttpException } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ERROR_STATUS } from './domain-error';
import type { ErrorCode } from './domain-error';

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

const HTTP_CODES: Readonly<Record<number, string>> = {
  400: 'VALIDATION_FAILED',
  401: 'AUTH_REQUIRED',
  403: 'AUTH_FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * Maps every error to `{code, message, details}`: domain errors by ERROR_STATUS, framework HTTP
 * errors by status, anything else to a 500 whose detail stays in the log (no stack to clients).
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const [status, body] = this.describe(error);
    // through the request's logger, so the line carries the reqId the client was given
    if (status >= 500)
      http.getRequest<FastifyRequest>().log.error({ err: error }, 'request failed');
    void reply.status(status).send(body);
  }

  private describe(error: unknown): [number, ErrorBody] {
    if (error instanceof DomainError) {
      const { code, message, details } = error as DomainError<string>;
      const status = ERROR_STATUS[code as ErrorCode] ?? 500;
      return [status, details ? { code, message, details } : { code, message }];
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const response = error.getResponse();
      if (typeof response === 'object' && response !== null && 'code' in response) {
        return [status, response as ErrorBody];
      }
      const message =
        typeof response === 'object' && response !== null && 'message' in response
          ? String(response.message)
          : error.message;
      return [status, { code: HTTP_CODES[status] ?? `HTTP_${status}`, message }];
    }
    const database = databaseConflict(error);
    if (database !== undefined) return database;
    const fastifyStatus = (error as { statusCode?: unknown } | null)?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      const message = error instanceof Error ? error.message : 'bad request';
      return [
        fastifyStatus,
        { code: HTTP_CODES[fastifyStatus] ?? `HTTP_${fastifyStatus}`, message },
      ];
    }
    return [
      500,
      { code: 'INTERNAL', message: 'internal error; the request id is in the server log' },
    ];
  }
}

/** Unique constraints a concurrent request can hit after the service's own check passed. */
const UNIQUE_CODES: Readonly<Record<string, [ErrorCode, string]>> = {
  site_pkey: ['SITE_EXISTS', 'a site with this id already exists'],
  device_pkey: ['DEVICE_EXISTS', 'a device with this id already exists'],
  device_serial: ['DEVICE_EXISTS', 'a device with this model and serial is already registered'],
  part_pkey: ['PART_EXISTS', 'a part with this number already exists'],
  store_pkey: ['STORE_EXISTS', 'a store with this id already exists'],
  store_hospital_site: ['STORE_EXISTS', 'the site already has a hospital store'],
  store_regional_region: ['STORE_EXISTS', 'the region already has a regional store'],
  store_national: ['STORE_EXISTS', 'there is already a national store'],
};

/**
 * PostgreSQL's own refusals (SQLSTATE 23505 unique, 23503 foreign key) as 409/422: two requests
 * racing past a service check must not turn into a 500.
 */
function databaseConflict(error: unknown): [number, ErrorBody] | undefined {
  const driver = (error as { driverError?: { code?: unknown; constraint?: unknown } } | null)
    ?.driverError;
  if (driver === undefined || driver === null) return undefined;
  const constraint = typeof driver.constraint === 'string' ? driver.constraint : '';
  if (driver.code === '23505') {
    const [code, message] = UNIQUE_CODES[constraint] ?? [
      'CONFLICT',
      `already exists (${constraint})`,
    ];
    return [ERROR_STATUS[code], { code, message }];
  }
  if (driver.code === '23503') {
    return [
      422,
      {
        code: 'REFERENCE_INVALID',
        message: `refers to something that does not exist (${constraint})`,
      },
    ];
  }
  return undefined;
}
