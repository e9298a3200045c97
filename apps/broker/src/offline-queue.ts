/** What the bound needs of an aedes 1.x persistence (memory or Redis). */
interface EnqueuingPersistence {
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: unknown): Promise<void>;
}

/**
 * A bound on each offline session's queue (clean=false clients that are away), around any aedes
 * persistence: at most `max(clientId)` QoS 1 messages wait for a client; newer ones are dropped
 * and counted (Mosquitto's max_queued_messages, default 1000, drops the same way). QoS 0 is never
 * queued (aedes).
 *
 * aedes stores every QoS 1 message for a clean=false subscriber, connected or not, until it is
 * acknowledged: only messages for a client that is connected nowhere count towards the bound.
 * Whether a client is connected comes from aedes' `$SYS/<broker>/new/clients` and
 * `.../disconnect/clients` announcements, which every broker process of a Redis cluster sees, so
 * a process does not bound the queue of a client connected to another one. A client's count
 * restarts when it connects, since aedes then sends its queue; one that leaves again before
 * acknowledging can hold up to twice the bound. Counts are per process: with several processes a
 * queue may reach `max` times their number.
 */
export function boundOfflineQueues<P extends object>(
  persistence: P,
  max: (clientId: string) => number,
  onDrop: (clientId: string) => void,
): {
  persistence: P;
  /** A connection of `clientId` was announced (on any process). */
  connected(clientId: string): void;
  /** A connection of `clientId` ended (on any process). */
  disconnected(clientId: string): void;
} {
  const queued = new Map<string, number>();
  // live connections per client id: a takeover announces the new one before the old one ends
  const live = new Map<string, number>();
  // aedes-persistence 11's typings still describe the callback API of aedes 0.x; at run time
  // both persistences are the promise API aedes 1.x calls
  const target = persistence as unknown as EnqueuingPersistence;
  const enqueue = target.outgoingEnqueueCombi.bind(target);
  Object.assign(persistence, {
    outgoingEnqueueCombi(subs: { clientId: string }[], packet: unknown): Promise<void> {
      const kept = subs.filter((sub) => {
        if ((live.get(sub.clientId) ?? 0) > 0) return true;
        const n = queued.get(sub.clientId) ?? 0;
        if (n >= max(sub.clientId)) {
          onDrop(sub.clientId);
          return false;
        }
        queued.set(sub.clientId, n + 1);
        return true;
      });
      return enqueue(kept, packet);
    },
  });
  return {
    persistence,
    connected(clientId: string): void {
      queued.delete(clientId);
      live.set(clientId, (live.get(clientId) ?? 0) + 1);
    },
    disconnected(clientId: string): void {
      const n = (live.get(clientId) ?? 0) - 1;
      if (n > 0) live.set(clientId, n);
      else live.delete(clientId);
    },
  };
}
