import { DEVICE_CATALOG, DEVICE_KINDS, PART_CATALOG } from '@orfleet/devices';
import type { DeviceKind, DeviceKindDefinition, PartDefinition } from '@orfleet/devices';
import type { StoreTier } from '@orfleet/sla';
import type { PartClass } from './part.entity';

export interface CatalogPart {
  readonly partNumber: string;
  readonly name: string;
  readonly class: PartClass;
  readonly defaultTier: StoreTier;
  readonly fitsKinds: DeviceKind[];
}

/** contract: tier-1 (hospital) parts are the common parts; everything else is special. */
export function partClassOf(defaultTier: StoreTier): PartClass {
  return defaultTier === 'hospital' ? 'common' : 'special';
}

function usesPart(device: DeviceKindDefinition, partNumber: string): boolean {
  const named = (parts: readonly string[]) => parts.includes(partNumber);
  return (
    named(device.missingParts) ||
    Object.values(device.faults).some((rule) => rule !== undefined && named(rule.parts))
  );
}

/**
 * The part rows the catalog import upserts: every catalogued part, with the device kinds whose
 * missing-device or fault rules name it.
 */
export function catalogParts(
  parts: Readonly<Record<string, PartDefinition>> = PART_CATALOG,
  devices: Readonly<Partial<Record<DeviceKind, DeviceKindDefinition>>> = DEVICE_CATALOG,
): CatalogPart[] {
  return Object.values(parts)
    .map((p) => ({
      partNumber: p.partNumber,
      name: p.name,
      class: partClassOf(p.defaultTier),
      defaultTier: p.defaultTier,
      fitsKinds: DEVICE_KINDS.filter((kind) => {
        const device = devices[kind];
        return device !== undefined && usesPart(device, p.partNumber);
      }),
    }))
    .sort((a, b) => (a.partNumber < b.partNumber ? -1 : a.partNumber > b.partNumber ? 1 : 0));
}
