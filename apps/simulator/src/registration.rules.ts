import type { Fleet, FleetDevice } from './fleet.rules';

/** A device the registry already holds (GET /api/v1/devices). */
export interface KnownDevice {
  readonly id: string;
  readonly kind: string;
  readonly siteId: string;
  readonly status: string;
}

export interface RegistrationPlan {
  /** Not in the registry: bulk-imported (their secrets come back once). */
  readonly toImport: readonly FleetDevice[];
  /** In the registry, but their secret is not in the state file: rotated through the API. */
  readonly toRotate: readonly string[];
  /** In the registry and in the state file: reused as they are. */
  readonly reused: number;
  /** In the registry as something else (kind, site) or retired: the run must stop. */
  readonly conflicts: readonly string[];
}

/**
 * What registering a fleet takes, given what the registry and the state file already hold: a
 * second run of the same scenario imports nothing and rotates nothing.
 */
export function planRegistration(
  fleet: Fleet,
  known: ReadonlyMap<string, KnownDevice>,
  secrets: Readonly<Record<string, string>>,
): RegistrationPlan {
  const toImport: FleetDevice[] = [];
  const toRotate: string[] = [];
  const conflicts: string[] = [];
  let reused = 0;
  for (const device of fleet.devices) {
    const existing = known.get(device.id);
    if (existing === undefined) {
      toImport.push(device);
    } else if (existing.kind !== device.kind || existing.siteId !== device.siteId) {
      conflicts.push(
        `${device.id}: registered as ${existing.kind} at ${existing.siteId}, the scenario has a ${device.kind} at ${device.siteId}`,
      );
    } else if (existing.status !== 'active') {
      conflicts.push(`${device.id}: registered but ${existing.status} (the broker refuses it)`);
    } else if (device.kind === 'beacon' || device.kind === 'wristband') {
      reused++; // BLE tags never connect: no secret needed
    } else if (secrets[device.id] === undefined) {
      toRotate.push(device.id);
    } else {
      reused++;
    }
  }
  return { toImport, toRotate, reused, conflicts };
}

/** Splits rows into bulk-import requests (the API takes up to 10,000 per request). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
