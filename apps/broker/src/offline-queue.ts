import memory from 'aedes-persistence';

/**
 * aedes' in-memory persistence with a bound on each offline session's queue (clean=false
 * devices that are away): at most `max` QoS 1 messages wait for a client; newer ones are dropped
 * and counted (Mosquitto's max_queued_messages, default 1000, drops the same way). The count of
 * a client restarts when it comes back, since aedes then sends its queue; a client that leaves
 * again before acknowledging can hold up to twice the bound. QoS 0 is never queued (aedes).
 */
export function boundedMemoryPersistence(max: number, onDrop: (clientId: string) => void) {
  const persistence = memory();
  const queued = new Map<string, number>();
  const enqueue = persistence.outgoingEnqueueCombi.bind(persistence) as (
    subs: { clientId: string }[],
    packet: unknown,
    cb?: (error?: Error | null) => void,
  ) => unknown;
  Object.assign(persistence, {
    outgoingEnqueueCombi(
      subs: { clientId: string }[],
      packet: unknown,
      cb?: (error?: Error | null) => void,
    ) {
      const kept = subs.filter((sub) => {
        const n = queued.get(sub.clientId) ?? 0;
        if (n >= max) {
          onDrop(sub.clientId);
          return false;
        }
        queued.set(sub.clientId, n + 1);
        return true;
      });
      return enqueue(kept, packet, cb);
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
