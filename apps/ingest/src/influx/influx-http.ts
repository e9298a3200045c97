import { HttpError, InfluxDB, RequestTimedOutError } from '@influxdata/influxdb-client';
import type { Transport } from '@influxdata/influxdb-client';
import { InfluxError } from './influx.errors';

export interface InfluxConnectionOptions {
  /** Base URL, e.g. http://127.0.0.1:8086 (a path prefix behind a proxy is kept). */
  readonly url: string;
  /** HTTP Basic credentials: 1.x user; 2.x v1-auth user (or any name + API token); 3.x any + token. */
  readonly username?: string;
  readonly password?: string;
  /** Per request; a write slower than this is abandoned and retried. Default 30 s. */
  readonly timeoutMs?: number;
  /** Gzip request bodies over 1 kB (all versions accept it; worth it beyond loopback). */
  readonly gzip?: boolean;
}

/** What the InfluxDB modules log through (pino's logger fits). */
export interface InfluxLogger {
  info(message: string): void;
  warn(message: string): void;
}

export type HttpHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** One HTTP exchange: an answer with any status, or why there was none. Never a thrown error. */
export type HttpExchange =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: HttpHeaders;
      /** Parsed JSON, text, or undefined (204). */
      readonly body: unknown;
    }
  | {
      readonly kind: 'failure';
      readonly reason: 'network' | 'timeout';
      readonly message: string;
    };

/**
 * The one place that talks HTTP to InfluxDB, through @influxdata/influxdb-client's transport
 * (see influx-writer.ts for why the transport and not its WriteApi). Auth is HTTP Basic: the
 * only scheme 1.6 (no `Token`), 2.x and 3.x all accept on their v1 endpoints.
 */
export class InfluxHttp {
  readonly url: string;
  private readonly transport: Transport;
  private readonly timeoutMs: number;
  private readonly gzipThreshold: number | undefined;

  constructor(options: InfluxConnectionOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch (cause) {
      throw new InfluxError('INFLUX_OPTIONS_INVALID', `InfluxDB URL ${options.url} is not a URL`, {
        cause,
      });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new InfluxError('INFLUX_OPTIONS_INVALID', `InfluxDB URL ${options.url}: http(s) only`);
    }
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.gzipThreshold = options.gzip ? 1_000 : undefined;
    const headers: Record<string, string> = {};
    if (options.username !== undefined || options.password !== undefined) {
      const pair = `${options.username ?? ''}:${options.password ?? ''}`;
      headers['Authorization'] = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    }
    this.transport = new InfluxDB({
      url: this.url,
      headers,
      // the socket timeout only reports (it does not end the request); ours aborts, so it comes first
      timeout: this.timeoutMs + 5_000,
    }).transport;
  }

  /** GET /ping: 204 (1.x, 2.x) or 200 (3.x) with the version in a header or the body. */
  ping(): Promise<HttpExchange> {
    return this.send('GET', '/ping', '', { accept: 'application/json' });
  }

  /** InfluxQL over POST /query (1.x; 2.x with DBRP; 3.x subset). Results are JSON. */
  query(q: string, db?: string): Promise<HttpExchange> {
    const form = new URLSearchParams({ q, ...(db === undefined ? {} : { db }) });
    return this.send('POST', '/query', form.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    });
  }

  /** POST /write (v1 line protocol; 1.x native, 2.x and 3.x compatibility API), precision ms. */
  write(body: string, db: string, rp: string | undefined): Promise<HttpExchange> {
    const params = new URLSearchParams({ db });
    if (rp !== undefined) params.set('rp', rp);
    // InfluxDB 1.x: precision=ms; never "us" (1.6.7 reads unknown precisions as ns)
    params.set('precision', 'ms');
    return this.send('POST', `/write?${params.toString()}`, body, {
      'content-type': 'text/plain; charset=utf-8',
    });
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<HttpExchange> {
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.timeoutMs);
    let status = 0;
    let responseHeaders: HttpHeaders = {};
    try {
      const data: unknown = await this.transport.request(
        path,
        body,
        {
          method,
          headers,
          signal: abort.signal,
          ...(this.gzipThreshold === undefined ? {} : { gzipThreshold: this.gzipThreshold }),
        },
        (h, statusCode) => {
          responseHeaders = h;
          status = statusCode ?? 0;
        },
      );
      return { kind: 'response', status, headers: responseHeaders, body: data };
    } catch (error) {
      if (error instanceof HttpError) {
        return {
          kind: 'response',
          status: error.statusCode,
          headers: error.headers ?? responseHeaders,
          body: (error.json as unknown) ?? error.body,
        };
      }
      if (error instanceof RequestTimedOutError) abort.abort(); // it does not end the socket itself
      const timeout = timedOut || error instanceof RequestTimedOutError;
      return {
        kind: 'failure',
        reason: timeout ? 'timeout' : 'network',
        message: timeout
          ? `no answer from ${this.url} within ${this.timeoutMs} ms`
          : describeNetworkError(error),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
