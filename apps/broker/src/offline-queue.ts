/** What the bound needs of an aedes 1.x persistence (memory or Redis). */
interface EnqueuingPersistence {
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: unknown): Promise<void>;
}

/**
 * A bound on each offline session's queue (clean=false devices that are away), around any aedes
 * persistence: at most `max` QoS 1 messages wait for a client; newer ones are dropped and counted
 * (Mosquitto's max_queued_messages, default 1000, drops the same way). The count of a client
 * restarts when it comes back, since aedes then sends its queue; a client that leaves again
 * before acknowledging can hold up to twice the bound. QoS 0 is never queued (aedes). The count
 * is kept per broker process: with several processes on Redis a queue may reach `max` × their
 * number, and the Redis persistence delivers at most `max` of them per CONNECT.
 */
export function boundOfflineQueues<P extends object>(
  persistence: P,
  max: number,
  onDrop: (clientId: string) => void,
): { persistence: P; resume(clientId: string): void } {
  const queued = new Map<string, number>();
  // aedes-persistence 11's typings still describe the callback API of aedes 0.x; at run time
  // both persistences are the promise API aedes 1.x calls
  const target = persistence as unknown as EnqueuingPersistence;
  const enqueue = target.outgoingEnqueueCombi.bind(target);
  Object.assign(persistence, {
    outgoingEnqueueCombi(subs: { clientId: string }[], packet: unknown): Promise<void> {
      const kept = subs.filter((sub) => {
        const n = queued.get(sub.clientId) ?? 0;
        if (n >= max) {
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
    /** The client is back: aedes empties its queue now. */
    resume(clientId: string): void {
      queued.delete(clientId);
    },
  };
}
