import type { Severity } from '@orfleet/sla';
import type { FaultCode } from './faults';
import type { PartNumber } from './parts';
import type { TelemetryField } from './field-spec';

export const DEVICE_KINDS = [
  'base_station',
  'beacon',
  'wristband',
  'gown_dispenser',
  'shoe_dispenser',
  'recycler',
  'changing_cabinet',
  'access_gate',
  'server',
  'network_switch',
  'pda',
] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Channels a device publishes on; `cmd/#` is server → device and never published by devices. */
export const CHANNELS = ['heartbeat', 'telemetry', 'fault', 'sightings'] as const;
export type Channel = (typeof CHANNELS)[number];

/** `mqtt`: the device holds its own MQTT session. `ble`: it is only heard by base stations. */
export type Transport = 'mqtt' | 'ble';

export interface FaultRule {
  readonly severity: Severity;
  /** Parts that typically fix this fault on this kind, most likely first. */
  readonly parts: readonly PartNumber[];
}

export interface DeviceKindDefinition {
  readonly kind: DeviceKind;
  readonly label: string;
  readonly transport: Transport;
  /** Channels this kind may publish on (empty for BLE devices: they have no MQTT session). */
  readonly channels: readonly Channel[];
  /** Expected heartbeat (or sighting, for BLE) interval. */
  readonly heartbeatIntervalS: number;
  /** Beats missed before the device counts as missing: missing when now > lastSeen + interval × misses. */
  readonly missesBeforeMissing: number;
  readonly severityWhenMissing: Severity;
  /** Parts reserved when the device goes silent: its replacement unit or the typical culprit. */
  readonly missingParts: readonly PartNumber[];
  readonly telemetry: readonly TelemetryField[];
  readonly faults: Readonly<Partial<Record<FaultCode, FaultRule>>>;
}

const MQTT_CHANNELS: readonly Channel[] = ['heartbeat', 'telemetry', 'fault'];

const fault = (severity: Severity, ...parts: PartNumber[]): FaultRule => ({ severity, parts });

const DISPENSER_TELEMETRY: readonly TelemetryField[] = [
  'motor_state',
  'motor_current_ma',
  'stock_level',
  'stock_capacity',
  'door_open',
  'cycles_total',
  'rfid_ok',
  'temp_c',
];

// contract: gown/shoe dispenser missing → red, "staff cannot gown/shoe: device unusable";
// parts by fault: motor, driver board, PSU (tier 2).
const DISPENSER_FAULTS: DeviceKindDefinition['faults'] = {
  MOTOR_STALL: fault('red', 'MOTOR-DSP-24V', 'DRV-DSP-01'),
  MOTOR_OVERCURRENT: fault('yellow', 'MOTOR-DSP-24V', 'DRV-DSP-01'),
  JAM: fault('red'),
  DOOR_STUCK: fault('red', 'DRV-DSP-01'),
  STOCK_EMPTY: fault('green'),
  RFID_READER_FAIL: fault('red', 'RFID-RDR-01'),
  POWER_FAIL: fault('red', 'PSU-DEV-24V'),
  PSU_FAIL: fault('red', 'PSU-DEV-24V'),
  OVERHEAT: fault('yellow', 'PSU-DEV-24V'),
};

const dispenser = (kind: 'gown_dispenser' | 'shoe_dispenser', label: string) =>
  ({
    kind,
    label,
    transport: 'mqtt',
    channels: MQTT_CHANNELS,
    heartbeatIntervalS: 30,
    missesBeforeMissing: 3,
    severityWhenMissing: 'red',
    missingParts: ['PSU-DEV-24V', 'DRV-DSP-01'],
    telemetry: DISPENSER_TELEMETRY,
    faults: DISPENSER_FAULTS,
  }) satisfies DeviceKindDefinition;

/** The device catalog: one entry per kind (contract.md "Device health rules"). */
export const DEVICE_CATALOG: Readonly<Record<DeviceKind, DeviceKindDefinition>> = {
  // contract: base station 10 s × 3, red (positioning down in its area), base-station unit (tier 2)
  base_station: {
    kind: 'base_station',
    label: 'Positioning base station',
    transport: 'mqtt',
    channels: ['heartbeat', 'telemetry', 'fault', 'sightings'],
    heartbeatIntervalS: 10,
    missesBeforeMissing: 3,
    severityWhenMissing: 'red',
    missingParts: ['BS-UNIT-01'],
    telemetry: ['ble_devices_heard', 'queue_depth', 'cpu_pct', 'temp_c'],
    faults: {
      POWER_FAIL: fault('red', 'BS-UNIT-01'),
      NIC_FAIL: fault('red', 'BS-UNIT-01'),
      OVERHEAT: fault('yellow', 'BS-UNIT-01'),
    },
  },
  // contract: beacon, wristband 60 s × 5, green alone (yellow when > 10% of a site's tags of that
  // kind are missing: a health rule, not a catalog fact), replacement unit (tier 2)
  beacon: {
    kind: 'beacon',
    label: 'BLE asset beacon',
    transport: 'ble',
    channels: [],
    heartbeatIntervalS: 60,
    missesBeforeMissing: 5,
    severityWhenMissing: 'green',
    missingParts: ['BCN-UNIT-01'],
    telemetry: [],
    faults: { BATTERY_LOW: fault('green', 'BCN-UNIT-01') },
  },
  wristband: {
    kind: 'wristband',
    label: 'Staff wristband',
    transport: 'ble',
    channels: [],
    heartbeatIntervalS: 60,
    missesBeforeMissing: 5,
    severityWhenMissing: 'green',
    missingParts: ['WB-UNIT-01'],
    telemetry: [],
    faults: { BATTERY_LOW: fault('green', 'WB-UNIT-01') },
  },
  gown_dispenser: dispenser('gown_dispenser', 'Smart gown dispenser'),
  shoe_dispenser: dispenser('shoe_dispenser', 'Smart shoe dispenser'),
  // contract: recycling machine 30 s × 3, yellow (part of the business), by fault (tier 2)
  recycler: {
    kind: 'recycler',
    label: 'Smart recycling machine',
    transport: 'mqtt',
    channels: MQTT_CHANNELS,
    heartbeatIntervalS: 30,
    missesBeforeMissing: 3,
    severityWhenMissing: 'yellow',
    missingParts: ['PSU-DEV-24V', 'IPC-DEV-01'],
    telemetry: [
      'motor_state',
      'motor_current_ma',
      'bin_fill_pct',
      'door_open',
      'cycles_total',
      'rfid_ok',
      'temp_c',
    ],
    faults: {
      MOTOR_STALL: fault('yellow', 'MOTOR-RCY-24V', 'DRV-DSP-01'),
      MOTOR_OVERCURRENT: fault('yellow', 'MOTOR-RCY-24V'),
      JAM: fault('yellow'),
      DOOR_STUCK: fault('yellow', 'LOCK-CAB-01'),
      RFID_READER_FAIL: fault('yellow', 'RFID-RDR-01'),
      POWER_FAIL: fault('yellow', 'PSU-DEV-24V'),
      PSU_FAIL: fault('yellow', 'PSU-DEV-24V'),
      OVERHEAT: fault('yellow', 'PSU-DEV-24V'),
    },
  },
  // contract: changing cabinet 30 s × 3, yellow, by fault (tier 2)
  changing_cabinet: {
    kind: 'changing_cabinet',
    label: 'Smart changing cabinet',
    transport: 'mqtt',
    channels: MQTT_CHANNELS,
    heartbeatIntervalS: 30,
    missesBeforeMissing: 3,
    severityWhenMissing: 'yellow',
    missingParts: ['IPC-DEV-01', 'PSU-DEV-24V'],
    telemetry: ['doors_open', 'lockers_in_use', 'stock_level', 'rfid_ok', 'temp_c'],
    faults: {
      DOOR_STUCK: fault('yellow', 'LOCK-CAB-01'),
      STOCK_EMPTY: fault('green'),
      // Badge-less staff cannot open any locker: the cabinet is unusable.
      RFID_READER_FAIL: fault('red', 'RFID-RDR-01'),
      POWER_FAIL: fault('yellow', 'PSU-DEV-24V'),
      PSU_FAIL: fault('yellow', 'PSU-DEV-24V'),
    },
  },
  // contract: access-control gate 30 s × 3, red (OR access), by fault (tier 2)
  access_gate: {
    kind: 'access_gate',
    label: 'Access-control gate',
    transport: 'mqtt',
    channels: MQTT_CHANNELS,
    heartbeatIntervalS: 30,
    missesBeforeMissing: 3,
    severityWhenMissing: 'red',
    missingParts: ['CTRL-GATE-01', 'PSU-DEV-24V'],
    telemetry: ['gate_state', 'passages_total', 'motor_current_ma', 'rfid_ok', 'temp_c'],
    faults: {
      MOTOR_STALL: fault('red', 'MOTOR-GATE-01', 'CTRL-GATE-01'),
      MOTOR_OVERCURRENT: fault('yellow', 'MOTOR-GATE-01'),
      JAM: fault('red'),
      DOOR_STUCK: fault('red', 'MOTOR-GATE-01'),
      RFID_READER_FAIL: fault('red', 'RFID-RDR-01'),
      POWER_FAIL: fault('red', 'PSU-DEV-24V'),
      PSU_FAIL: fault('red', 'PSU-DEV-24V'),
    },
  },
  // contract: server 30 s × 3, red (system down), PSU, disk, NIC (tier 1). Servers run redundant
  // supplies, disk arrays and bonded NICs, so a single failure degrades (yellow), not stops.
  server: {
    kind: 'server',
    label: 'Server',
    transport: 'mqtt',
    channels: MQTT_CHANNELS,
    heartbeatIntervalS: 30,
    missesBeforeMissing: 3,
    severityWhenMissing: 'red',
    missingParts: ['PSU-SRV-800', 'NIC-SRV-10G'],
    telemetry: ['cpu_pct', 'mem_pct', 'disk_pct', 'load1', 'psu_ok', 'raid_ok', 'temp_c'],
    faults: {
      POWER_FAIL: fault('red', 'PSU-SRV-800'),
      PSU_FAIL: fault('yellow', 'PSU-SRV-800'),
      DISK_FAIL: fault('yellow', 'DISK-SRV-1T9'),
      NIC_FAIL: fault('yellow', 'NIC-SRV-10G'),
      OVERHEAT: fault('yellow'),
    },
  },
  // contract: network switch 30 s × 3, red (system down), PSU, NIC (tier 1)
  network_switch: {
    kind: 'network_switch',
    label: 'Network switch',
    transport: 'mqtt',
    channels: MQTT_CHANNELS,
    heartbeatIntervalS: 30,
    missesBeforeMissing: 3,
    severityWhenMissing: 'red',
    missingParts: ['PSU-SW-250'],
    telemetry: ['ports_up', 'ports_total', 'uplink_ok', 'cpu_pct', 'psu_ok', 'temp_c'],
    faults: {
      POWER_FAIL: fault('red', 'PSU-SW-250'),
      PSU_FAIL: fault('yellow', 'PSU-SW-250'),
      NIC_FAIL: fault('red', 'SFP-10G-SR'),
      OVERHEAT: fault('yellow'),
    },
  },
  // contract: PDA 300 s × 3, green, replacement terminal (tier 2)
  pda: {
    kind: 'pda',
    label: 'Mobile terminal (PDA)',
    transport: 'mqtt',
    channels: MQTT_CHANNELS,
    heartbeatIntervalS: 300,
    missesBeforeMissing: 3,
    severityWhenMissing: 'green',
    missingParts: ['PDA-UNIT-01'],
    telemetry: ['wifi_rssi_dbm', 'charging', 'cpu_pct', 'mem_pct'],
    faults: {
      BATTERY_LOW: fault('green', 'BATT-PDA-01'),
      RFID_READER_FAIL: fault('yellow', 'PDA-UNIT-01'),
      NIC_FAIL: fault('yellow', 'PDA-UNIT-01'),
    },
  },
};

export function isDeviceKind(value: string): value is DeviceKind {
  return Object.prototype.hasOwnProperty.call(DEVICE_CATALOG, value);
}

/** Silence allowed before a device counts as missing: interval × misses, in ms. */
export function missingAfterMs(definition: DeviceKindDefinition): number {
  return definition.heartbeatIntervalS * definition.missesBeforeMissing * 1_000;
}
