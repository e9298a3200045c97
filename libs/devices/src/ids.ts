/**
 * Identifier rules shared by sites, devices and base stations. Lowercase so that MQTT topics,
 * InfluxDB tags and URLs need no escaping: `[a-z0-9][a-z0-9-]{1,62}` (2..63 characters).
 */
export const ID_PATTERN = '^[a-z0-9][a-z0-9-]{1,62}$';
const ID_RE = new RegExp(ID_PATTERN);

export function isValidId(value: unknown): boolean {
  return typeof value === 'string' && ID_RE.test(value);
}
