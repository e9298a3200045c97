/**
 * Serves identical reads once. Requests for the same key while a computation is in flight share
 * it (a thousand dashboards polling the same list cost one query), and a finished result is
 * reused for `ttlMs` — unless a write committed since the computation started: `invalidate()`
 * is called after every commit of this process, so a client always reads its own writes here.
 * Writes made by other processes show after at most `ttlMs`.
 */
export class ReadCache<V> {
  private generation = 0;
  private readonly entries = new Map<
    string,
    { generation: number; settledAt: number | undefined; value: Promise<V> }
  >();

  constructor(
    private readonly ttlMs: number,
    /** Monotonic milliseconds (injected so tests steer it). */
    private readonly now: () => number,
    private readonly maxEntries = 1_000,
  ) {}

  invalidate(): void {
    this.generation++;
  }

  get(key: string, compute: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.generation === this.generation) {
      // in flight, or settled recently enough
      if (hit.settledAt === undefined || this.now() - hit.settledAt <= this.ttlMs) return hit.value;
    }
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const entry = {
      generation: this.generation,
      settledAt: undefined as number | undefined,
      value: compute(),
    };
    this.entries.set(key, entry);
    entry.value.then(
      () => {
        entry.settledAt = this.now();
      },
      () => {
        // failures are not cached: the next request tries again
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.value;
  }
}
