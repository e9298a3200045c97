// aedes-persistence-redis ships no typings. Its default export wraps the Redis store in
// aedes-persistence's adapter, the promise-and-stream API aedes 1.x calls.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';

  interface RedisPersistenceOptions {
    /** An ioredis connection to use instead of one made from the other options. */
    readonly conn?: Redis;
    /** Offline messages delivered to a client on CONNECT at most (default 1000). */
    readonly maxSessionDelivery?: number;
  }

  interface RedisPersistence {
    setup(broker: unknown): Promise<void>;
    destroy(): Promise<void>;
  }

  export default function aedesPersistenceRedis(
    options?: RedisPersistenceOptions,
  ): RedisPersistence;
}
