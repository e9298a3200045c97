import fc from 'fast-check';
import {
  droppedCount,
  errorMessage,
  isolateRejected,
  writeVerdict,
  type BatchVerdict,
} from './influx-write.rules';

describe('writeVerdict', () => {
  it.each([
    { status: 204, body: undefined, kind: 'accepted', reason: undefined },
    { status: 201, body: '{"error":"partial write"}', kind: 'rejected', reason: undefined },
    {
      status: 400,
      body: { error: 'partial write: field type conflict dropped=1' },
      kind: 'rejected',
      reason: undefined,
    },
    { status: 413, body: '', kind: 'rejected', reason: undefined },
    { status: 422, body: { error: 'too many columns' }, kind: 'rejected', reason: undefined },
    { status: 401, body: { error: 'authorization failed' }, kind: 'retry', reason: 'unauthorized' },
    { status: 403, body: '', kind: 'retry', reason: 'forbidden' },
    {
      status: 404,
      body: { error: 'database not found: "orfleet"' },
      kind: 'retry',
      reason: 'database-not-found',
    },
    { status: 404, body: '404 page not found', kind: 'retry', reason: 'not-found' },
    { status: 408, body: '', kind: 'retry', reason: 'timeout' },
    { status: 429, body: '', kind: 'retry', reason: 'rate-limited' },
    { status: 500, body: { error: 'timeout' }, kind: 'retry', reason: 'server-error' },
    {
      status: 500,
      body: { error: 'retention policy not found: raw' },
      kind: 'retry',
      reason: 'retention-policy-not-found',
    },
    { status: 503, body: '', kind: 'retry', reason: 'server-error' },
    // a UI or proxy answering 200 must not count as stored
    { status: 200, body: '<html>', kind: 'retry', reason: 'unexpected-status' },
    { status: 302, body: '', kind: 'retry', reason: 'unexpected-status' },
    { status: 409, body: '', kind: 'retry', reason: 'unexpected-status' },
  ])('$status → $kind $reason', ({ status, body, kind, reason }) => {
    const verdict = writeVerdict(status, body, undefined);
    expect(verdict.kind).toBe(kind);
    if (verdict.kind === 'retry') expect(verdict.reason).toBe(reason);
  });

  it('carries Retry-After and the status on retries', () => {
    expect(writeVerdict(429, { message: 'slow down' }, 30_000)).toEqual({
      kind: 'retry',
      reason: 'rate-limited',
      message: 'slow down',
      status: 429,
      retryAfterMs: 30_000,
    });
  });
});

describe('errorMessage', () => {
  it.each([
    { body: { error: 'e1' }, expected: 'e1' },
    { body: { message: 'm2', code: 'invalid' }, expected: 'm2' },
    { body: '{"error":"e3"}', expected: 'e3' },
    { body: 'plain text\n', expected: 'plain text' },
    { body: '', expected: 'HTTP 400' },
    { body: undefined, expected: 'HTTP 400' },
    { body: { other: 1 }, expected: '{"other":1}' },
  ])('$body → $expected', ({ body, expected }) => {
    expect(errorMessage(400, body)).toBe(expected);
  });

  it('shortens huge bodies', () => {
    expect(errorMessage(500, 'x'.repeat(5_000))).toHaveLength(1_001);
  });
});

describe('droppedCount', () => {
  it.each([
    { error: 'partial write: points beyond retention policy dropped=3', expected: 3 },
    {
      error:
        'partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as type float dropped=2',
      expected: 2,
    },
    { error: "partial write: unable to parse 'x': invalid field format dropped=0", expected: 0 },
    {
      error: "partial write: unable to parse 'a dropped=9': bad\nunable to parse 'b' dropped=1",
      expected: 1,
    },
    { error: 'field type conflict', expected: undefined },
    { error: 'dropped=3', expected: undefined },
    { error: 'HTTP 400', expected: undefined },
  ])('$error → $expected', ({ error, expected }) => {
    expect(droppedCount(error)).toBe(expected);
  });
});

/** A strict fake server: rejects a batch iff it holds a bad line, records every batch sent. */
function fakeServer(bad: ReadonlySet<string>, failOnRequest?: number) {
  const sent: (readonly string[])[] = [];
  const stored = new Set<string>();
  const send = (lines: readonly string[]): Promise<BatchVerdict> => {
    sent.push(lines);
    if (sent.length === failOnRequest) {
      return Promise.resolve({ kind: 'retry', reason: 'network', message: 'ECONNREFUSED' });
    }
    const bads = lines.filter((l) => bad.has(l));
    // like 1.x: the good lines of a partial write are stored anyway
    for (const line of lines) if (!bad.has(line)) stored.add(line);
    return Promise.resolve(
      bads.length === 0
        ? { kind: 'accepted' }
        : { kind: 'rejected', error: `partial write: unable to parse '${bads[0]}' dropped=0` },
    );
  };
  return { send, sent, stored };
}

const lines = (n: number) => Array.from({ length: n }, (_, i) => `m,d=${i} v=${i} ${1_000 + i}`);

describe('isolateRejected', () => {
  it('sends a clean batch once', async () => {
    const server = fakeServer(new Set());
    const batch = lines(5_000);
    await expect(isolateRejected(batch, server.send)).resolves.toEqual({
      kind: 'done',
      written: 5_000,
      rejected: [],
      requests: 1,
    });
    expect(server.sent[0]).toBe(batch); // no copy of the whole batch
  });

  it('does not send an empty batch', async () => {
    const server = fakeServer(new Set());
    await expect(isolateRejected([], server.send)).resolves.toEqual({
      kind: 'done',
      written: 0,
      rejected: [],
      requests: 0,
    });
  });

  it.each([
    { n: 1, badAt: [0] },
    { n: 2, badAt: [1] },
    { n: 7, badAt: [0, 6] },
    { n: 1_000, badAt: [3, 500, 999] },
    { n: 16, badAt: Array.from({ length: 16 }, (_, i) => i) },
  ])('finds exactly the bad lines of $n at $badAt, in order', async ({ n, badAt }) => {
    const batch = lines(n);
    const bad = new Set(badAt.map((i) => batch[i]!));
    const server = fakeServer(bad);
    const result = await isolateRejected(batch, server.send);
    expect(result).toMatchObject({ kind: 'done', written: n - badAt.length });
    if (result.kind !== 'done') throw new Error('unreachable');
    expect(result.rejected.map((r) => r.line)).toEqual(badAt.map((i) => batch[i]));
    expect(result.rejected[0]?.error).toContain('unable to parse');
  });

  it('rejects a whole part at once when 1.x says it dropped all of it', async () => {
    const batch = lines(5_000);
    const sent: number[] = [];
    const result = await isolateRejected(batch, (part) => {
      sent.push(part.length);
      return Promise.resolve({
        kind: 'rejected',
        error: `partial write: points beyond retention policy dropped=${part.length}`,
      });
    });
    expect(sent).toEqual([5_000]);
    expect(result).toMatchObject({ kind: 'done', written: 0, requests: 1 });
    if (result.kind === 'done') expect(result.rejected.map((r) => r.line)).toEqual(batch);
  });

  it('still splits when 1.x dropped only some', async () => {
    const batch = lines(4);
    const old = new Set([batch[0], batch[1]]);
    const result = await isolateRejected(batch, (part) => {
      const dropped = part.filter((l) => old.has(l)).length;
      return Promise.resolve(
        dropped === 0
          ? { kind: 'accepted' }
          : {
              kind: 'rejected',
              error: `partial write: points beyond retention policy dropped=${dropped}`,
            },
      );
    });
    // [0..4) dropped 2 → split; [0,2) dropped 2 of 2 → rejected at once; [2,4) accepted
    expect(result).toMatchObject({ kind: 'done', written: 2, requests: 3 });
  });

  it('stops at the first retry verdict and reports it with the requests made', async () => {
    const batch = lines(100);
    const server = fakeServer(new Set([batch[10]!]), 3);
    await expect(isolateRejected(batch, server.send)).resolves.toEqual({
      kind: 'retry',
      verdict: { kind: 'retry', reason: 'network', message: 'ECONNREFUSED' },
      requests: 3,
    });
    expect(server.sent).toHaveLength(3);
  });

  it('property: rejects exactly the bad lines, confirms every other, within the request bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 300 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.uniqueArray(fc.nat({ max: n - 1 }), { maxLength: n })),
          ),
        async ([n, badAt]) => {
          const batch = lines(n);
          const bad = new Set(badAt.map((i) => batch[i]!));
          const server = fakeServer(bad);
          const result = await isolateRejected(batch, server.send);
          if (result.kind !== 'done') return false;
          const rejected = new Set(result.rejected.map((r) => r.line));
          // every line sent in some accepted batch, or rejected alone: nothing assumed
          const confirmed = new Set(
            server.sent.filter((b) => b.every((l) => !bad.has(l))).flatMap((b) => [...b]),
          );
          const k = bad.size;
          const bound = k === 0 ? 1 : 1 + 2 * k * Math.ceil(Math.log2(n) + 1);
          return (
            rejected.size === k &&
            [...bad].every((l) => rejected.has(l)) &&
            batch.every((l) => bad.has(l) || confirmed.has(l)) &&
            result.written === n - k &&
            result.requests === server.sent.length &&
            result.requests <= bound
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
