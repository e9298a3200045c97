/**
 * Identifier rules shared by sites, devices and base stations. Lowercase so that MQTT topics,
 * InfluxDB tags and URLs need no escaping: `[a-z0-9][a-z0-9-]{1,62}` (2..63 characters).
 */
export const ID_PATTERN = '^[a-z0-9][a-z0-9-]{1,62}$';

// A character loop instead of the regex: this runs for every topic on the broker's hot path.
export function isValidId(value: unknown): boolean {
  if (typeof value !== 'string' || value.length < 2 || value.length > 63) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    if (!alnum && (i === 0 || c !== 0x2d)) return false;
  }
  return true;
}
