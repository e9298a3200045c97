import { DEVICE_CATALOG, isDeviceKind, isValidId } from '@orfleet/devices';
import type { DeviceKind } from '@orfleet/devices';
import { ZONES } from '@orfleet/sla';
import type { Zone } from '@orfleet/sla';
import { CRITICALITIES, DEVICE_STATUSES } from './device.entity';
import type { Criticality, DeviceStatus } from './device.entity';

/** contract: "Warranty: 5 years hardware". */
export const WARRANTY_YEARS = 5;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Per-device heartbeat overrides (migration 1767225800000 enforces the same ranges). */
export const HEARTBEAT_INTERVAL_S = { min: 1, max: 86_400 } as const;
export const MISSES_BEFORE_MISSING = { min: 1, max: 1_000 } as const;

/** A device's own heartbeat settings: `null` means the kind's default (contract table). */
export interface HeartbeatOverrides {
  readonly heartbeatIntervalS?: number | null;
  readonly missesBeforeMissing?: number | null;
}

/** What the health rules apply to a device: its overrides, else its kind's defaults. */
export interface EffectiveHeartbeat {
  readonly intervalS: number;
  readonly misses: number;
  /** interval × misses: silent this long (seconds) and the device is missing. */
  readonly missingAfterS: number;
}

export interface NewDevice {
  readonly id: string;
  readonly kind: string;
  readonly model: string;
  readonly serial: string;
  readonly siteId: string;
  readonly room?: string | null;
  readonly parentId?: string | null;
  readonly criticality?: string;
  readonly installDate: string;
  readonly warrantyEnd?: string | null;
  readonly heartbeatIntervalS?: number | null;
  readonly missesBeforeMissing?: number | null;
}

/** What the registry knows about other devices when it judges a new one. */
export interface RegistryView {
  siteExists(siteId: string): boolean;
  /** True when the registry already holds a device with this id. */
  deviceExists(id: string): boolean;
  /** Kind and site of a device to use as a parent: registered, or earlier in the same import. */
  device(id: string): { kind: string; siteId: string } | undefined;
  /** The device that already has this model and serial (registered or earlier in the import). */
  serialOwner(model: string, serial: string): string | undefined;
}

export interface DeviceValues {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly model: string;
  readonly serial: string;
  readonly siteId: string;
  readonly room: string | null;
  readonly parentId: string | null;
  readonly criticality: Criticality;
  readonly installDate: string;
  readonly warrantyEnd: string;
  readonly heartbeatIntervalS: number | null;
  readonly missesBeforeMissing: number | null;
}

export type Judgement =
  | { readonly ok: true; readonly values: DeviceValues }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Adds whole years to a `YYYY-MM-DD` date (29 Feb → 28 Feb in a common year). */
export function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y + years, m - 1, d));
  if (target.getUTCMonth() !== m - 1) target.setUTCDate(0);
  return target.toISOString().slice(0, 10);
}

export function isCalendarDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
}

/**
 * Judges a device to register: every rule, every error at once (the bulk import reports them
 * per row). `today` is the registry's date (`YYYY-MM-DD`, UTC).
 */
export function judgeNewDevice(input: NewDevice, registry: RegistryView, today: string): Judgement {
  const errors: string[] = [];
  if (!isValidId(input.id)) errors.push(`id: "${input.id}" must match [a-z0-9][a-z0-9-]{1,62}`);
  else if (registry.deviceExists(input.id)) errors.push(`id: device ${input.id} already exists`);
  const owner = registry.serialOwner(input.model, input.serial);
  if (owner !== undefined) {
    errors.push(`serial: ${input.model} ${input.serial} is already registered as ${owner}`);
  }
  const kindKnown = isDeviceKind(input.kind);
  if (!kindKnown) errors.push(`kind: "${input.kind}" is not a device kind`);
  if (!registry.siteExists(input.siteId)) errors.push(`siteId: no site ${input.siteId}`);
  const criticality = input.criticality ?? 'normal';
  if (!(CRITICALITIES as readonly string[]).includes(criticality)) {
    errors.push(`criticality: expected one of ${CRITICALITIES.join(', ')}`);
  }
  if (!isCalendarDate(input.installDate)) errors.push('installDate: expected YYYY-MM-DD');
  else if (input.installDate > today)
    errors.push(`installDate: ${input.installDate} is in the future`);
  const warrantyEnd =
    input.warrantyEnd ??
    (isCalendarDate(input.installDate) ? addYears(input.installDate, WARRANTY_YEARS) : '');
  if (input.warrantyEnd != null) {
    if (!isCalendarDate(input.warrantyEnd)) errors.push('warrantyEnd: expected YYYY-MM-DD');
    else if (input.warrantyEnd < input.installDate) errors.push('warrantyEnd: before installDate');
  }
  errors.push(...heartbeatProblems(input));
  const parentId = input.parentId ?? null;
  if (parentId !== null && kindKnown) {
    errors.push(...parentProblems(input.kind, input.siteId, parentId, input.id, registry));
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    values: {
      id: input.id,
      kind: input.kind as DeviceKind,
      model: input.model,
      serial: input.serial,
      siteId: input.siteId,
      room: input.room ?? null,
      parentId,
      criticality: criticality as Criticality,
      installDate: input.installDate,
      warrantyEnd,
      heartbeatIntervalS: input.heartbeatIntervalS ?? null,
      missesBeforeMissing: input.missesBeforeMissing ?? null,
    },
  };
}

/**
 * Range errors of heartbeat overrides (absent or `null`: the kind's default). Whole numbers only:
 * the rule loop counts whole seconds and whole beats.
 */
export function heartbeatProblems(overrides: HeartbeatOverrides): string[] {
  const problems: string[] = [];
  const check = (
    field: keyof HeartbeatOverrides,
    range: { readonly min: number; readonly max: number },
    unit: string,
  ) => {
    const value = overrides[field];
    if (value === undefined || value === null) return;
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      problems.push(
        `${field}: expected a whole number of ${unit} from ${range.min} to ${range.max}, or null for the kind's default`,
      );
    }
  };
  check('heartbeatIntervalS', HEARTBEAT_INTERVAL_S, 'seconds');
  check('missesBeforeMissing', MISSES_BEFORE_MISSING, 'beats');
  return problems;
}

/** The interval and misses the health rules use for a device (docs/health-rules.md). */
export function effectiveHeartbeat(
  kind: DeviceKind,
  overrides: HeartbeatOverrides,
): EffectiveHeartbeat {
  const spec = DEVICE_CATALOG[kind];
  const intervalS = overrides.heartbeatIntervalS ?? spec.heartbeatIntervalS;
  const misses = overrides.missesBeforeMissing ?? spec.missesBeforeMissing;
  return { intervalS, misses, missingAfterS: intervalS * misses };
}

/**
 * A parent is the base station a BLE device normally reports through (its "home" gateway):
 * only BLE devices have one, it must be a base station, and on the same site.
 */
export function parentProblems(
  kind: string,
  siteId: string,
  parentId: string,
  selfId: string,
  registry: RegistryView,
): string[] {
  if (!isDeviceKind(kind) || DEVICE_CATALOG[kind].transport !== 'ble') {
    return [`parentId: only BLE devices (beacon, wristband) have a parent base station`];
  }
  if (parentId === selfId) return ['parentId: a device cannot be its own parent'];
  const parent = registry.device(parentId);
  if (parent === undefined) return [`parentId: no device ${parentId}`];
  if (parent.kind !== 'base_station')
    return [`parentId: ${parentId} is a ${parent.kind}, not a base_station`];
  if (parent.siteId !== siteId)
    return [`parentId: ${parentId} is on site ${parent.siteId}, not ${siteId}`];
  return [];
}

export function isDeviceStatus(value: string): value is DeviceStatus {
  return (DEVICE_STATUSES as readonly string[]).includes(value);
}

export function isZone(value: string): value is Zone {
  return (ZONES as readonly string[]).includes(value);
}

/** An IANA time zone the runtime knows (`Europe/Berlin`, `Asia/Shanghai`, `UTC`). */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return value.length > 0;
  } catch {
    return false;
  }
}
