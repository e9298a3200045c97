import fc from 'fast-check';
import {
  DEFAULT_BACKOFF,
  backoffDelayMs,
  parseRetryAfterMs,
  retryDelayMs,
  type BackoffPolicy,
} from './backoff.rules';

const policy: BackoffPolicy = { baseMs: 100, capMs: 1_000, maxRetryAfterMs: 60_000 };
const always = (value: number) => () => value;
const TOP = 0.999999999;

describe('backoffDelayMs', () => {
  it.each([
    { attempt: 1, random: TOP, expected: 100 },
    { attempt: 2, random: TOP, expected: 200 },
    { attempt: 3, random: TOP, expected: 400 },
    { attempt: 4, random: TOP, expected: 800 },
    { attempt: 5, random: TOP, expected: 1_000 }, // capped
    { attempt: 60, random: TOP, expected: 1_000 },
    { attempt: 5_000, random: 0.5, expected: 500 }, // 2^4999 is Infinity: still the cap
    { attempt: 3, random: 0.5, expected: 200 },
    { attempt: 3, random: 0, expected: 0 }, // full jitter may retry at once
  ])('attempt $attempt, random $random → $expected ms', ({ attempt, random, expected }) => {
    expect(backoffDelayMs(attempt, policy, always(random))).toBe(expected);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses attempt %p', (attempt) => {
    expect(() => backoffDelayMs(attempt, policy, Math.random)).toThrow(RangeError);
  });

  it('stays within [0, min(cap, base * 2^(attempt-1))] for any random', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const delay = backoffDelayMs(attempt, DEFAULT_BACKOFF, always(r));
          const ceiling = Math.min(
            DEFAULT_BACKOFF.capMs,
            DEFAULT_BACKOFF.baseMs * 2 ** (attempt - 1),
          );
          return delay >= 0 && delay <= ceiling;
        },
      ),
    );
  });

  it('never lowers its ceiling as attempts grow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), (attempt) => {
        const top = (a: number) => backoffDelayMs(a, DEFAULT_BACKOFF, always(TOP));
        return top(attempt + 1) >= top(attempt);
      }),
    );
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it.each([
    { value: undefined, expected: undefined },
    { value: '', expected: undefined },
    { value: '0', expected: 0 },
    { value: '30', expected: 30_000 }, // seconds, not the client library's milliseconds
    { value: ' 7 ', expected: 7_000 },
    { value: ['2', '9'], expected: 2_000 },
    { value: 'Sun, 01 Mar 2026 12:00:45 GMT', expected: 45_000 },
    { value: 'Sun, 01 Mar 2026 11:59:00 GMT', expected: 0 }, // in the past: now
    { value: '1.5', expected: undefined },
    { value: '-3', expected: undefined },
    { value: 'soon', expected: undefined },
  ])('$value → $expected', ({ value, expected }) => {
    expect(parseRetryAfterMs(value, now)).toBe(expected);
  });
});

describe('retryDelayMs', () => {
  it.each([
    { case: 'no Retry-After: backoff', retryAfterMs: undefined, expected: 200 },
    { case: 'Retry-After honoured', retryAfterMs: 5_000, expected: 5_000 },
    { case: 'Retry-After 0', retryAfterMs: 0, expected: 0 },
    { case: 'Retry-After clamped', retryAfterMs: 3_600_000, expected: 60_000 },
  ])('$case', ({ retryAfterMs, expected }) => {
    expect(retryDelayMs(3, retryAfterMs, policy, always(0.5))).toBe(expected);
  });
});
