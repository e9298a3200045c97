import type { IngestMetrics } from '../metrics';
import { parsePrometheusText, selfMetricLines } from './self-metrics.rules';
import type { SelfMetricsTarget } from './self-metrics.rules';

/** Where the scraped lines go; never throws (a failure is an outcome). */
export type SelfMetricsWrite = (
  body: string,
) => Promise<'written' | 'not-ready' | 'rejected' | 'failed'>;

export interface SelfMetricsScraperOptions {
  readonly targets: readonly SelfMetricsTarget[];
  readonly intervalMs: number;
  /** Per target; a slower endpoint counts as `timeout` and is skipped this round. */
  readonly timeoutMs: number;
  /** A larger exposition is abandoned (`too-large`): it would cost the ingest memory. */
  readonly maxBodyBytes: number;
  readonly write: SelfMetricsWrite;
  readonly now: () => number;
  readonly metrics: IngestMetrics;
  readonly log: { warn(details: object, message: string): void };
}

type ScrapeOutcome =
  'ok' | 'unreadable-lines' | 'http-status' | 'timeout' | 'network' | 'too-large';

/**
 * Scrapes the platform's Prometheus endpoints every interval, like Telegraf's
 * `inputs.prometheus`, and writes the samples to InfluxDB (measurement `orfleet_self`). It runs
 * beside the device path and shares nothing with it but the event loop: its own HTTP requests
 * with timeouts and a body cap, no spool (a lost round is replaced by the next), one round at a
 * time, and every failure counted in `orfleet_ingest_self_metrics_*`, never thrown.
 */
export class SelfMetricsScraper {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: SelfMetricsScraperOptions) {
    for (const target of options.targets) {
      for (const outcome of ['ok', 'timeout', 'network'] as const) {
        options.metrics.selfScrapes.labels(target.service, outcome);
      }
    }
  }

  /** The first round at once, then one every interval (measured start to start). */
  start(): void {
    this.schedule(0);
  }

  /** One round: every target at once, then one write. Resolves when written (or given up). */
  async scrapeOnce(): Promise<void> {
    const started = this.options.now();
    const bodies = await Promise.all(this.options.targets.map((t) => this.scrape(t, started)));
    const lines = bodies.flat();
    if (lines.length === 0 || this.closed) return;
    const outcome = await this.options.write(lines.join('\n'));
    this.options.metrics.selfWrites.labels(outcome).inc();
    if (outcome === 'written') this.options.metrics.selfPoints.inc(lines.length);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.round;
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      const started = performance.now();
      this.round = this.scrapeOnce()
        .catch((error: unknown) => {
          // a bug here must not stop the ingest, only this round
          this.options.log.warn(
            { err: error instanceof Error ? error.message : String(error) },
            'platform self-metrics round failed',
          );
        })
        .finally(() => {
          const elapsed = performance.now() - started;
          this.schedule(Math.max(0, this.options.intervalMs - elapsed));
        });
    }, delayMs);
    this.timer.unref();
  }

  private async scrape(target: SelfMetricsTarget, scrapedAtMs: number): Promise<string[]> {
    if (this.closed) return [];
    const { metrics } = this.options;
    const count = (outcome: ScrapeOutcome, detail?: string) => {
      metrics.selfScrapes.labels(target.service, outcome).inc();
      if (detail !== undefined) {
        this.options.log.warn(
          { service: target.service, url: target.url, outcome, detail },
          'platform self-metrics: scrape failed',
        );
      }
    };
    let text: string;
    // Not AbortSignal.any([closing, AbortSignal.timeout(…)]): on Node 20 nothing holds that
    // combined signal strongly (fetch keeps a weak reference), a garbage collection takes it, and
    // the request to an endpoint that never answers then waits forever, stopping every later
    // round. Here the timer holds the controller until it fires or is cleared.
    const request = new AbortController();
    const timer = setTimeout(
      () => request.abort(new DOMException('scrape timed out', 'TimeoutError')),
      this.options.timeoutMs,
    );
    const onClose = () => request.abort(this.abort.signal.reason);
    this.abort.signal.addEventListener('abort', onClose, { once: true });
    try {
      const response = await fetch(target.url, {
        signal: request.signal,
        headers: { accept: 'text/plain;version=0.0.4' },
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        count('http-status', `HTTP ${response.status}`);
        return [];
      }
      const body = await readCapped(response, this.options.maxBodyBytes);
      if (body === undefined) {
        count('too-large', `more than ${this.options.maxBodyBytes} bytes`);
        return [];
      }
      text = body;
    } catch (error) {
      if (this.closed) return [];
      // fetch rejects with the abort reason: the timer's DOMException named TimeoutError
      const timeout = (error as { name?: unknown } | undefined)?.name === 'TimeoutError';
      count(
        timeout ? 'timeout' : 'network',
        timeout ? `no answer within ${this.options.timeoutMs} ms` : describe(error),
      );
      return [];
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onClose);
    }
    const parsed = parsePrometheusText(text);
    if (parsed.errors.length > 0) {
      metrics.selfSkipped.labels('unreadable-line').inc(parsed.errors.length);
      const first = parsed.errors[0];
      count(
        'unreadable-lines',
        `${parsed.errors.length} unreadable, first at line ${first?.line ?? 0}: ${first?.message ?? ''}`,
      );
    } else {
      count('ok');
    }
    const { lines, skipped } = selfMetricLines(parsed.samples, target, scrapedAtMs);
    if (skipped.nonFinite > 0) metrics.selfSkipped.labels('non-finite').inc(skipped.nonFinite);
    if (skipped.duplicate > 0) metrics.selfSkipped.labels('duplicate').inc(skipped.duplicate);
    return lines;
  }
}

/** The body as text, or undefined once it passes `max` bytes (the rest is not read). */
async function readCapped(response: Response, max: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Node's web streams are async iterable; leaving the loop early cancels the body
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? error.message : `${code}: ${error.message}`;
}
