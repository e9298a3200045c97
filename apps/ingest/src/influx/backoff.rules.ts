/**
 * Retry delays: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
 * And Jitter": sleep = random(0, min(cap, base * 2^attempt))), unless the server said how long
 * to wait (Retry-After). Pure: randomness and time are arguments.
 */
export interface BackoffPolicy {
  /** Upper bound of the first delay (attempt 1). */
  readonly baseMs: number;
  /** No delay is longer than this, however many attempts failed. */
  readonly capMs: number;
  /** A Retry-After longer than this is shortened to it (a broken proxy must not park us for days). */
  readonly maxRetryAfterMs: number;
}

/** As the ingest's ORFLEET_INGEST_RETRY_MIN_MS / _MAX_MS defaults. */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 200,
  capMs: 30_000,
  maxRetryAfterMs: 5 * 60_000,
};

/** A number in [0, 1), like Math.random. */
export type Random = () => number;

/**
 * The delay before retry number `attempt` (1 = after the first failure): uniform in
 * [0, min(cap, base * 2^(attempt-1))]. Full jitter spreads retries of several clients that
 * failed together (an InfluxDB restart) instead of having them return in lockstep.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: Random): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  }
  // 2^(attempt-1) overflows to Infinity for huge attempts; min() keeps it at the cap
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(r * ceiling);
}

/**
 * Retry-After as milliseconds from `nowMs`, or undefined when absent or unreadable.
 * RFC 9110 §10.2.3: either delay-seconds or an HTTP-date. (@influxdata/influxdb-client 1.35's
 * HttpError.retryAfter() reads the number as milliseconds, which is why we parse it ourselves.)
 */
export function parseRetryAfterMs(
  value: string | readonly string[] | undefined,
  nowMs: number,
): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value) as string | undefined;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined; // "1.5", "-3": neither form
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * The delay before retry number `attempt`: the server's Retry-After when it sent one (clamped to
 * the policy's maximum), otherwise the jittered exponential backoff.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: BackoffPolicy,
  random: Random,
): number {
  if (retryAfterMs !== undefined)
    return Math.min(Math.max(retryAfterMs, 0), policy.maxRetryAfterMs);
  return backoffDelayMs(attempt, policy, random);
}
