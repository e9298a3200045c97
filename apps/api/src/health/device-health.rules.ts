/**
 * The health state an engineer sees for a device (issue #6), from three facts: what the rules
 * engine tracks (`device_health.state`), the device's open health-rule tickets and the
 * maintenance windows covering it. Pure.
 */

/** What the rules engine tracks per device (`device_health.state`). */
export const TRACKED_STATES = ['ok', 'missing', 'unknown'] as const;
export type TrackedState = (typeof TRACKED_STATES)[number];

export const HEALTH_STATES = ['ok', 'missing', 'unknown', 'faulty', 'maintenance'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

export const HEALTH_RULE_SOURCE = 'health-rule';
/** The engine's fingerprint of a missing-device ticket: `missing:<deviceId>`. */
export const MISSING_FINGERPRINT_PREFIX = 'missing:';

export interface HealthFacts {
  /** null: no `device_health` row, the device was never seen since tracking began. */
  readonly tracked: TrackedState | null;
  /** An open fault ticket on the device (see isFaultTicket). */
  readonly faulty: boolean;
  /** A maintenance window covers the device now. */
  readonly inMaintenance: boolean;
}

/**
 * Precedence: maintenance > missing/unknown > faulty > ok. Maintenance first: what an engineer
 * does there explains whatever else is seen. A silent device is reported as silent before its
 * fault: the fault ticket may be stale, the silence is now.
 */
export function healthState(f: HealthFacts): HealthState {
  if (f.inMaintenance) return 'maintenance';
  if (f.tracked === null) return 'unknown';
  if (f.tracked !== 'ok') return f.tracked;
  return f.faulty ? 'faulty' : 'ok';
}

/**
 * An open ticket that makes its device faulty: opened by the health rules for anything but the
 * device being missing (faults `fault:<id>:<CODE>`, `motor:<id>`, `battery:<id>`). A missing
 * ticket stays open after the device comes back (it waits for an engineer's verification,
 * contract), so it says nothing about the device now. The site health query applies the same
 * test in SQL (device-health.service.ts).
 */
export function isFaultTicket(t: {
  readonly source: string;
  readonly fingerprint: string | null;
}): boolean {
  return (
    t.source === HEALTH_RULE_SOURCE && !(t.fingerprint ?? '').startsWith(MISSING_FINGERPRINT_PREFIX)
  );
}

export type StateCounts = Record<HealthState, number>;

export const noCounts = (): StateCounts => ({
  ok: 0,
  missing: 0,
  unknown: 0,
  faulty: 0,
  maintenance: 0,
});

/** One group of a site's devices sharing a kind and the same facts, and how many they are. */
export interface FactGroup extends HealthFacts {
  readonly kind: string;
  readonly devices: number;
}

export interface SiteCounts {
  readonly total: number;
  readonly byState: StateCounts;
  readonly byKind: Record<string, StateCounts>;
}

/** Totals per state and per kind and state. */
export function countSite(groups: readonly FactGroup[]): SiteCounts {
  const byState = noCounts();
  const byKind: Record<string, StateCounts> = {};
  let total = 0;
  for (const g of groups) {
    const state = healthState(g);
    byState[state] += g.devices;
    (byKind[g.kind] ??= noCounts())[state] += g.devices;
    total += g.devices;
  }
  return { total, byState, byKind };
}
