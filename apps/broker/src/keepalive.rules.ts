export type KeepaliveVerdict =
  { readonly ok: true } | { readonly ok: false; readonly detail: string };

/**
 * Whether a client's requested keepalive (seconds, from its CONNECT) is acceptable. 0 disables
 * keepalive: such a device could vanish without the broker ever noticing, so it is refused like
 * one outside the bounds. MQTT 3.1.1 cannot tell a client which keepalive to use; Mosquitto's
 * `max_keepalive` refuses it with CONNACK 2, and so does the broker.
 */
export function keepaliveVerdict(
  keepaliveS: number,
  bounds: { readonly minS: number; readonly maxS: number },
): KeepaliveVerdict {
  if (keepaliveS === 0) return { ok: false, detail: 'keepalive 0 (disabled) is not accepted' };
  if (keepaliveS < bounds.minS || keepaliveS > bounds.maxS) {
    return {
      ok: false,
      detail: `keepalive ${keepaliveS} s outside ${bounds.minS}..${bounds.maxS} s`,
    };
  }
  return { ok: true };
}
