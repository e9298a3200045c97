import type { StoreTier } from '@orfleet/sla';

/**
 * Spare parts the contract names (contract.md "Spare parts"). Tier 1 is the hospital IT centre's
 * store (common server and network parts); tier 2 the vendor's regional warehouse (device-specific
 * parts); a part missing from both comes by national transfer (48 h).
 */
export interface PartDefinition {
  readonly partNumber: string;
  readonly name: string;
  readonly defaultTier: StoreTier;
}

const part = (partNumber: string, name: string, defaultTier: StoreTier): PartDefinition => ({
  partNumber,
  name,
  defaultTier,
});

export const PART_CATALOG = {
  // contract: tier 1 "server power supplies, disks, network cards" (and memory, a common part)
  'PSU-SRV-800': part('PSU-SRV-800', 'Server power supply 800 W (hot-swap)', 'hospital'),
  'DISK-SRV-1T9': part('DISK-SRV-1T9', 'Server disk 1.92 TB SSD', 'hospital'),
  'NIC-SRV-10G': part('NIC-SRV-10G', 'Server network card 2x10 GbE', 'hospital'),
  'MEM-SRV-32G': part('MEM-SRV-32G', 'Server memory module 32 GB', 'hospital'),
  'PSU-SW-250': part('PSU-SW-250', 'Network switch power supply 250 W', 'hospital'),
  'SFP-10G-SR': part('SFP-10G-SR', 'Switch optical module 10G SR', 'hospital'),
  // contract: tier 2 "screens, industrial PCs, mobile terminals, driver boards, switching power
  // supplies, motors, base stations, wristbands"
  'MOTOR-DSP-24V': part('MOTOR-DSP-24V', 'Dispenser drive motor 24 V', 'regional'),
  'DRV-DSP-01': part('DRV-DSP-01', 'Dispenser motor driver board', 'regional'),
  'PSU-DEV-24V': part('PSU-DEV-24V', 'Device switching power supply 24 V', 'regional'),
  'RFID-RDR-01': part('RFID-RDR-01', 'RFID badge reader module', 'regional'),
  'SCREEN-10IN': part('SCREEN-10IN', 'Device touch screen 10 inch', 'regional'),
  'IPC-DEV-01': part('IPC-DEV-01', 'Device industrial PC', 'regional'),
  'MOTOR-RCY-24V': part('MOTOR-RCY-24V', 'Recycler conveyor motor 24 V', 'regional'),
  'LOCK-CAB-01': part('LOCK-CAB-01', 'Cabinet door lock actuator', 'regional'),
  'MOTOR-GATE-01': part('MOTOR-GATE-01', 'Access gate wing motor', 'regional'),
  'CTRL-GATE-01': part('CTRL-GATE-01', 'Access gate controller board', 'regional'),
  'BS-UNIT-01': part('BS-UNIT-01', 'Positioning base station unit', 'regional'),
  'BCN-UNIT-01': part('BCN-UNIT-01', 'BLE beacon unit', 'regional'),
  'WB-UNIT-01': part('WB-UNIT-01', 'Staff wristband unit', 'regional'),
  'PDA-UNIT-01': part('PDA-UNIT-01', 'Mobile terminal (PDA)', 'regional'),
  'BATT-PDA-01': part('BATT-PDA-01', 'PDA battery pack', 'regional'),
} as const satisfies Record<string, PartDefinition>;

export type PartNumber = keyof typeof PART_CATALOG;
