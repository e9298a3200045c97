import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { ApiConfig } from '../config';
import { ReadCache } from '../platform/read-cache';
import { API_CONFIG } from '../platform/tokens';
import type { DeviceCredential } from './devices.service';

/**
 * Device credentials as an external broker asks for them: on every connect, and (Mosquitto) on
 * every publish, subscription and delivery. Identical lookups share one query for
 * `brokerAuthCacheMs` (platform/read-cache.ts); every registry write of this process invalidates
 * it once committed, so a rotated secret or a retirement made here applies at once.
 */
@Injectable()
export class CredentialCache extends ReadCache<DeviceCredential | undefined> {
  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    super(config.brokerAuthCacheMs, () => performance.now(), 100_000);
  }

  /** Awaits a committed registry write, then invalidates. */
  async afterWrite<T>(write: Promise<T>): Promise<T> {
    const result = await write;
    this.invalidate();
    return result;
  }
}
