import { Redis } from 'ioredis';
import MQEmitterRedis from 'mqemitter-redis';
import aedesPersistenceRedis from 'aedes-persistence-redis';

/**
 * Scale-out over Redis (`REDIS_URL`): every broker process publishes each message through Redis
 * pub/sub (mqemitter-redis) and keeps subscriptions, sessions, offline queues, retained messages
 * and wills in Redis (aedes-persistence-redis), so a client may land on any process. The cost:
 * every publish crosses Redis once out and once back in, on every process (docs/operations.md).
 */
export interface RedisBackends {
  readonly mq: MQEmitterRedis.MQEmitterRedis;
  readonly persistence: ReturnType<typeof aedesPersistenceRedis>;
  ping(): Promise<void>;
  /** After aedes closed (which closes the emitter): the persistence's connections. */
  close(): Promise<void>;
}

export function redisBackends(url: string, offlineQueueMax: number): RedisBackends {
  // aedes' own emitter matches empty levels (MQTT-4.7.1-3); the Redis one must do the same
  const mq = MQEmitterRedis({ connectionString: url, matchEmptyLevels: true });
  const conn = new Redis(url, { maxRetriesPerRequest: 3 });
  const persistence = aedesPersistenceRedis({ conn, maxSessionDelivery: offlineQueueMax });
  return {
    mq,
    persistence,
    ping: async () => {
      await conn.ping();
    },
    close: () => persistence.destroy(),
  };
}
