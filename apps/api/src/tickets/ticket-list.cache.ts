import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '../config';
import { ReadCache } from '../platform/read-cache';
import { API_CONFIG } from '../platform/tokens';

/**
 * The ticket list is what every engineer's board polls. Identical list queries share one
 * database round and one serialisation (platform/read-cache.ts); every transaction commit of
 * this process invalidates, so nobody here reads a list older than their own last write.
 */
@Injectable()
export class TicketListCache extends ReadCache<string> {
  constructor(dataSource: DataSource, @Inject(API_CONFIG) config: ApiConfig) {
    super(config.listCacheMs, () => performance.now());
    dataSource.subscribers.push({ afterTransactionCommit: () => this.invalidate() });
  }
}
