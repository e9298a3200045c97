import { Catch, HttpException, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
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
  private readonly log = new Logger('ErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [status, body] = this.describe(error);
    if (status >= 500)
      this.log.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
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
