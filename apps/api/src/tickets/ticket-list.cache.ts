import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { ApiConfig } from '../config';
import { ReadCache } from '../platform/read-cache';
import { API_CONFIG } from '../platform/tokens';

/**
 * The ticket list is what every engineer's board polls. Identical list queries share one
 * database round and one serialisation (platform/read-cache.ts). Every path that writes tickets
 * calls `invalidate()` once its transaction has committed and before it answers, so nobody
 * reads, through this process, a list older than their own last write. (Reads commit too: a
 * commit hook would empty the cache on every detail view.)
 */
@Injectable()
export class TicketListCache extends ReadCache<string> {
  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    super(config.listCacheMs, () => performance.now());
  }

  /** Awaits a committed write, then invalidates: wrap every transaction that changes tickets. */
  async afterWrite<T>(write: Promise<T>): Promise<T> {
    const result = await write;
    this.invalidate();
    return result;
  }
}
