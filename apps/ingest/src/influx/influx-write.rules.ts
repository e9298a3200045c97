/**
 * What an answer of the v1 `/write` endpoint means for the batch we sent, and how the lines a
 * server rejected are found. Pure: the HTTP exchange is passed in.
 */

/** Why a batch must be sent again later. All are retried; the config ones need an operator. */
export type RetryReason =
  | 'network' // connection refused/reset, DNS: InfluxDB down or restarting
  | 'timeout' // no answer within the request timeout (the batch may or may not be stored)
  | 'rate-limited' // 429
  | 'server-error' // 5xx
  | 'unauthorized' // 401: wrong user/password/token
  | 'forbidden' // 403: user lacks WRITE on the database
  | 'database-not-found' // 404 from 1.x: database dropped or never created → re-run setup
  | 'retention-policy-not-found' // 1.x answers a missing rp with 500 → re-run setup
  | 'not-found' // 404 without "database not found": wrong URL/path prefix, 2.x bucket or DBRP missing
  | 'unexpected-status'; // 200, 3xx, other 4xx: not an InfluxDB write endpoint (proxy, UI)

/** Reasons that do not heal by waiting for InfluxDB; they are still retried, and alerted on. */
export const CONFIG_REASONS: ReadonlySet<RetryReason> = new Set<RetryReason>([
  'unauthorized',
  'forbidden',
  'database-not-found',
  'retention-policy-not-found',
  'not-found',
  'unexpected-status',
]);

/** Reasons after which running the schema setup again can repair the target. */
export const SETUP_REASONS: ReadonlySet<RetryReason> = new Set<RetryReason>([
  'database-not-found',
  'retention-policy-not-found',
]);

export type BatchVerdict =
  /** Every line of the batch is stored. */
  | { readonly kind: 'accepted' }
  /** The server refused some or all lines for what they contain: a smaller batch can succeed. */
  | { readonly kind: 'rejected'; readonly error: string }
  /** Nothing can be concluded about the lines: send the whole batch again later. */
  | {
      readonly kind: 'retry';
      readonly reason: RetryReason;
      readonly message: string;
      readonly status?: number;
      readonly retryAfterMs?: number;
    };

/**
 * The verdict for one HTTP answer to `POST /write`.
 *
 * - 204: all stored (1.x, 2.x, 3.x).
 * - 201: InfluxDB 3 (Cloud Serverless/Dedicated with partial writes on) "some lines were
 *   written", without saying which in a way we can rely on; 400 carries the same meaning on
 *   1.x ("partial write: ... dropped=N") and newer 3.x. Both are 'rejected': the caller splits
 *   the batch until single lines remain, so a line is either confirmed by a 204 or dead-lettered,
 *   never assumed written.
 * - 413 (body too large) and 422 (3.x schema limits): also line-dependent, also split.
 * - Any other 2xx (200) is not an InfluxDB write answer (a proxy or UI behind the URL): treating
 *   it as success would drop every batch silently (influxdb-client-js#372), so it is retried.
 */
export function writeVerdict(
  status: number,
  body: unknown,
  retryAfterMs: number | undefined,
): BatchVerdict {
  const message = errorMessage(status, body);
  const retry = (reason: RetryReason): BatchVerdict => ({
    kind: 'retry',
    reason,
    message,
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
  if (status === 204) return { kind: 'accepted' };
  if (status === 201) return { kind: 'rejected', error: message };
  if (status === 400 || status === 413 || status === 422)
    return { kind: 'rejected', error: message };
  if (status === 401) return retry('unauthorized');
  if (status === 403) return retry('forbidden');
  if (status === 404) {
    return retry(/database not found/i.test(message) ? 'database-not-found' : 'not-found');
  }
  if (status === 408) return retry('timeout');
  if (status === 429) return retry('rate-limited');
  if (status >= 500) {
    // InfluxDB 1.6.7: POST /write?rp=<missing> → 500 {"error":"retention policy not found: x"}
    return retry(
      /retention policy not found/i.test(message) ? 'retention-policy-not-found' : 'server-error',
    );
  }
  return retry('unexpected-status');
}

/** The server's error text: 1.x/3.x `{"error": ...}`, 2.x `{"message": ...}`, else the raw body. */
export function errorMessage(status: number, body: unknown): string {
  if (body !== null && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const key of ['error', 'message'] as const) {
      const value = record[key];
      if (typeof value === 'string' && value !== '') return value;
    }
    return truncate(JSON.stringify(body));
  }
  if (typeof body === 'string' && body.trim() !== '') {
    try {
      return errorMessage(status, JSON.parse(body) as unknown);
    } catch {
      return truncate(body.trim());
    }
  }
  return `HTTP ${status}`;
}

const truncate = (text: string, max = 1_000) =>
  text.length > max ? `${text.slice(0, max)}…` : text;

/**
 * The N of InfluxDB 1.x's "partial write: ... dropped=N" (points refused for their content;
 * lines that failed to parse are not counted), or undefined.
 */
export function droppedCount(error: string): number | undefined {
  const match = /^partial write:.*\bdropped=(\d+)\s*$/s.exec(error);
  return match ? Number(match[1]) : undefined;
}

export interface RejectedLine {
  readonly line: string;
  /** The server's message for this line alone. */
  readonly error: string;
}

export type Isolation =
  | {
      readonly kind: 'done';
      /** Lines confirmed by a success answer: every line not in `rejected`. */
      readonly written: number;
      /** In input order. */
      readonly rejected: readonly RejectedLine[];
      readonly requests: number;
    }
  | {
      readonly kind: 'retry';
      readonly verdict: Extract<BatchVerdict, { kind: 'retry' }>;
      readonly requests: number;
    };

/**
 * Sends `lines` and, while the server rejects a part, sends each half again, down to single
 * lines. Resending lines that were already stored is harmless: a point is identified by
 * measurement, tag set and timestamp, and a second write overwrites it with the same values
 * (this is why every line must carry its own timestamp). Halves go one after the other, left
 * first, so a field's type is decided by the first line in batch order, as in one big write.
 *
 * Cost: 1 request when all lines pass, or when 1.x says it dropped all of them; about
 * 2·k·log2(n/k) for k bad lines among n.
 * Any retry verdict on the way stops the isolation: the caller retries the whole batch later.
 */
export async function isolateRejected(
  lines: readonly string[],
  send: (lines: readonly string[]) => Promise<BatchVerdict>,
): Promise<Isolation> {
  const rejected: RejectedLine[] = [];
  let requests = 0;
  let failure: Extract<BatchVerdict, { kind: 'retry' }> | undefined;

  const visit = async (from: number, to: number): Promise<void> => {
    if (failure || from >= to) return;
    const part = from === 0 && to === lines.length ? lines : lines.slice(from, to);
    requests++;
    const verdict = await send(part);
    switch (verdict.kind) {
      case 'accepted':
        return;
      case 'retry':
        failure = verdict;
        return;
      case 'rejected':
        // 1.x counts what it dropped: all of them (a backlog beyond the retention period after
        // a long outage) needs no splitting into 2n-1 requests
        if (to - from === 1 || droppedCount(verdict.error) === to - from) {
          for (let i = from; i < to; i++) rejected.push({ line: lines[i]!, error: verdict.error });
          return;
        }
        {
          const mid = from + Math.ceil((to - from) / 2);
          await visit(from, mid);
          await visit(mid, to);
        }
        return;
    }
  };

  await visit(0, lines.length);
  if (failure) return { kind: 'retry', verdict: failure, requests };
  return { kind: 'done', written: lines.length - rejected.length, rejected, requests };
}
