import { ReadCache } from './read-cache';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ReadCache', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 0;
  });

  it('shares one computation between concurrent identical reads', async () => {
    const cache = new ReadCache<string>(0, now);
    const d = deferred<string>();
    const compute = jest.fn(() => d.promise);
    const reads = [cache.get('k', compute), cache.get('k', compute), cache.get('k', compute)];
    d.resolve('v');
    expect(await Promise.all(reads)).toEqual(['v', 'v', 'v']);
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['reused within the TTL', 500, 500, 1],
    ['recomputed after the TTL', 500, 501, 2],
    ['recomputed once settled when the TTL is 0', 0, 1, 2],
  ])('a settled result is %s', async (_label, ttl, later, calls) => {
    const cache = new ReadCache<number>(ttl, now);
    let n = 0;
    const compute = jest.fn(() => Promise.resolve(++n));
    await cache.get('k', compute);
    clock = later;
    await cache.get('k', compute);
    expect(compute).toHaveBeenCalledTimes(calls);
  });

  it('never serves a result computed before a commit, even in flight', async () => {
    const cache = new ReadCache<string>(10_000, now);
    const before = deferred<string>();
    const first = cache.get('k', () => before.promise);
    cache.invalidate(); // a write committed while the first read ran
    const second = cache.get('k', () => Promise.resolve('after'));
    before.resolve('before');
    expect([await first, await second]).toEqual(['before', 'after']);
    expect(await cache.get('k', () => Promise.resolve('again'))).toBe('after');
  });

  it('keeps keys apart and does not cache failures', async () => {
    const cache = new ReadCache<string>(10_000, now);
    expect(await cache.get('a', () => Promise.resolve('A'))).toBe('A');
    expect(await cache.get('b', () => Promise.resolve('B'))).toBe('B');
    await expect(cache.get('c', () => Promise.reject(new Error('db down')))).rejects.toThrow(
      'db down',
    );
    await Promise.resolve();
    expect(await cache.get('c', () => Promise.resolve('C'))).toBe('C');
  });

  it('stays bounded', async () => {
    const cache = new ReadCache<number>(10_000, now, 3);
    for (let i = 0; i < 4; i++) await cache.get(`k${i}`, () => Promise.resolve(i));
    const compute = jest.fn(() => Promise.resolve(-1));
    await cache.get('k0', compute); // evicted when the fourth key arrived
    expect(compute).toHaveBeenCalledTimes(1);
  });
});
