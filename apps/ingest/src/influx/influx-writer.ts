import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_BACKOFF, parseRetryAfterMs, retryDelayMs } from './backoff.rules';
import type { BackoffPolicy, Random } from './backoff.rules';
import { InfluxHttp } from './influx-http';
import type { InfluxConnectionOptions, InfluxLogger } from './influx-http';
import { InfluxError } from './influx.errors';
import { SETUP_REASONS, isolateRejected, writeVerdict } from './influx-write.rules';
import type { BatchVerdict, RejectedLine, RetryReason } from './influx-write.rules';

/**
 * The result of one `write`. Never "partly unknown": every line is either counted in `written`
 * (confirmed by a 204) or listed in `rejected` (refused on its own), or the whole batch is to be
 * retried.
 */
export type WriteOutcome =
  | {
      readonly kind: 'written';
      /** Lines InfluxDB confirmed: the spool may drop them. */
      readonly written: number;
      /** Lines InfluxDB refused one by one (bad line protocol, field type conflict, beyond the
       * retention period...): dead-letter them, then drop them from the spool too. */
      readonly rejected: readonly RejectedLine[];
      /** HTTP requests it took (1 unless lines were rejected). */
      readonly requests: number;
    }
  | {
      readonly kind: 'retry';
      /** Send the same batch again after a backoff; keep it in the spool. */
      readonly reason: RetryReason;
      readonly message: string;
      readonly status?: number;
      /** From the server's Retry-After, when it sent one. */
      readonly retryAfterMs?: number;
    };

/** Kinds reported to `onError`: a retry reason, or 'rejected-lines' for a batch with bad lines. */
export type WriteErrorKind = RetryReason | 'rejected-lines';

/** Metrics hooks; the caller owns the registry (Prometheus names are its business). */
export interface InfluxWriteMetrics {
  /** A `write` ended with lines stored: `lines` confirmed, `ms` for the whole call. */
  onWrite(lines: number, ms: number): void;
  /** `writeUntilDone` is about to wait and send the batch again. */
  onRetry(reason: RetryReason): void;
  /** A `write` ended in a retry outcome, or found rejected lines. */
  onError(kind: WriteErrorKind): void;
}

export interface InfluxWriterOptions extends InfluxConnectionOptions {
  /** Target database (1.x), DBRP database (2.x) or database (3.x). */
  readonly database: string;
  /**
   * `rp` query parameter: 'raw' on 1.x and 2.x (DBRP orfleet/raw); undefined on 3.x, whose
   * docs call rp "honored, but discouraged" (InfluxDB 3 maps db+rp to a "db/rp" database, not
   * verified here). setupInfluxSchema says which.
   */
  readonly retentionPolicy: string | undefined;
  readonly metrics?: InfluxWriteMetrics;
  readonly backoff?: BackoffPolicy;
  readonly random?: Random;
  /** Wall clock, for Retry-After dates. */
  readonly now?: () => Date;
  /** Monotonic milliseconds, for latency. */
  readonly elapsed?: () => number;
  /** Waits between retries; resolves early when the signal aborts. Tests pass their own. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const noMetrics: InfluxWriteMetrics = {
  onWrite: () => undefined,
  onRetry: () => undefined,
  onError: () => undefined,
};

const abortableSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch {
    // aborted: the caller checks its signal
  }
};

/**
 * Writes batches of line protocol to InfluxDB through the v1 `/write` endpoint, precision ms.
 *
 * Why `InfluxDB.transport.request` and not the client's WriteApi (1.35): the WriteApi re-batches
 * lines on its own (batchSize, maxBatchBytes, a flush timer), so one call may become several
 * requests; it retries in the background from an in-memory buffer that drops lines on overflow
 * and on close; it does not retry 404s and discards 4xx batches after `writeFailed`; and its
 * promise (`flush()`) does not tell which lines were refused. The spool needs the opposite: one
 * batch = one request = one answer, so a spool record is removed only after InfluxDB confirmed
 * it, and retries happen here, visible and bounded by the spool, not hidden in memory. The
 * transport gives exactly that: the HTTP status, headers (Retry-After) and body of one request.
 */
export class InfluxWriter {
  private readonly http: InfluxHttp;
  private readonly database: string;
  private readonly retentionPolicy: string | undefined;
  private readonly metrics: InfluxWriteMetrics;
  private readonly backoff: BackoffPolicy;
  private readonly random: Random;
  private readonly now: () => Date;
  private readonly elapsed: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: InfluxWriterOptions) {
    if (!options.database) {
      throw new InfluxError('INFLUX_OPTIONS_INVALID', 'InfluxDB database name is empty');
    }
    this.http = new InfluxHttp(options);
    this.database = options.database;
    this.retentionPolicy = options.retentionPolicy;
    this.metrics = options.metrics ?? noMetrics;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => new Date());
    this.elapsed = options.elapsed ?? (() => performance.now());
    this.sleep = options.sleep ?? abortableSleep;
  }

  /**
   * Sends one batch (one request when all lines pass). On a 400 (or 201/413/422) it splits the
   * batch and sends the halves again until the refused lines stand alone; see isolateRejected.
   * Never throws for anything the server or network does.
   *
   * Contract: every line carries its own timestamp in milliseconds. A line without one gets the
   * server's time on each send, so a retried line would be stored twice.
   */
  async write(lines: readonly string[]): Promise<WriteOutcome> {
    const started = this.elapsed();
    const result = await isolateRejected(lines, (part) => this.send(part));
    if (result.kind === 'retry') {
      const { reason, message, status, retryAfterMs } = result.verdict;
      this.metrics.onError(reason);
      return {
        kind: 'retry',
        reason,
        message,
        ...(status === undefined ? {} : { status }),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    if (result.rejected.length > 0) this.metrics.onError('rejected-lines');
    this.metrics.onWrite(result.written, this.elapsed() - started);
    return {
      kind: 'written',
      written: result.written,
      rejected: result.rejected,
      requests: result.requests,
    };
  }

  /**
   * `write` until the batch is written, waiting between attempts (exponential backoff with full
   * jitter, or the server's Retry-After). Returns the last retry outcome when `signal` aborts
   * (shutdown): the batch stays in the spool. `repair` runs before the next attempt after a
   * database or retention policy went missing (pass the schema setup).
   */
  async writeUntilDone(
    lines: readonly string[],
    options: { signal?: AbortSignal; repair?: () => Promise<void>; log?: InfluxLogger } = {},
  ): Promise<WriteOutcome> {
    const { signal, repair, log } = options;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.write(lines);
      if (outcome.kind === 'written') {
        if (attempt > 1) log?.info(`InfluxDB write succeeded after ${attempt} attempts`);
        return outcome;
      }
      if (signal?.aborted) return outcome;
      if (repair && SETUP_REASONS.has(outcome.reason)) {
        try {
          await repair();
        } catch (error) {
          log?.warn(`InfluxDB setup after ${outcome.reason} failed: ${String(error)}`);
        }
      }
      const wait = retryDelayMs(attempt, outcome.retryAfterMs, this.backoff, this.random);
      if (attempt === 1 || attempt % 10 === 0) {
        log?.warn(
          `InfluxDB write failed (${outcome.reason}: ${outcome.message}); attempt ${attempt}, next in ${wait} ms`,
        );
      }
      this.metrics.onRetry(outcome.reason);
      await this.sleep(wait, signal);
      if (signal?.aborted) return outcome;
    }
  }

  private async send(lines: readonly string[]): Promise<BatchVerdict> {
    const exchange = await this.http.write(lines.join('\n'), this.database, this.retentionPolicy);
    if (exchange.kind === 'failure') {
      return { kind: 'retry', reason: exchange.reason, message: exchange.message };
    }
    const retryAfter = parseRetryAfterMs(exchange.headers['retry-after'], this.now().getTime());
    return writeVerdict(exchange.status, exchange.body, retryAfter);
  }
}
