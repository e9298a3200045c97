export const ROLES = ['admin', 'engineer', 'viewer', 'device-service'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Which roles satisfy a required role: admins can do what engineers can, engineers what viewers
 * can. `device-service` (broker, ingest, rules) is separate: it sees only what is granted to it.
 */
const SATISFIES: Readonly<Record<Role, readonly Role[]>> = {
  admin: ['admin'],
  engineer: ['admin', 'engineer'],
  viewer: ['admin', 'engineer', 'viewer'],
  'device-service': ['admin', 'device-service'],
};

export function roleAllows(actual: Role, required: readonly Role[]): boolean {
  return required.some((r) => SATISFIES[r].includes(actual));
}
