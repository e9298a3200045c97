/**
 * One description of a payload field. The validators, the JSON Schemas in docs/device-protocol
 * and the InfluxDB field types are all derived from it, so they cannot drift apart.
 */
export type FieldSpec =
  | {
      readonly type: 'integer' | 'number';
      readonly min: number;
      readonly max: number;
      readonly unit?: string;
      readonly description: string;
    }
  | {
      readonly type: 'string';
      readonly minLength: number;
      readonly maxLength: number;
      readonly description: string;
    }
  | { readonly type: 'boolean'; readonly description: string }
  | { readonly type: 'id'; readonly description: string }
  | { readonly type: 'enum'; readonly values: readonly string[]; readonly description: string };

export type FieldSpecs = Readonly<Record<string, FieldSpec>>;

const MAX_UINT32 = 4_294_967_295;

export const int = (min: number, max: number, description: string, unit?: string): FieldSpec =>
  unit === undefined
    ? { type: 'integer', min, max, description }
    : { type: 'integer', min, max, unit, description };

export const num = (min: number, max: number, description: string, unit?: string): FieldSpec =>
  unit === undefined
    ? { type: 'number', min, max, description }
    : { type: 'number', min, max, unit, description };

export const str = (maxLength: number, description: string): FieldSpec => ({
  type: 'string',
  minLength: 1,
  maxLength,
  description,
});

export const bool = (description: string): FieldSpec => ({ type: 'boolean', description });

/** An identifier per ids.ts (`[a-z0-9][a-z0-9-]{1,62}`). */
export const id = (description: string): FieldSpec => ({ type: 'id', description });

export const oneOf = (values: readonly string[], description: string): FieldSpec => ({
  type: 'enum',
  values,
  description,
});

/** Device clock in ms since the Unix epoch; the receiver's clock is used when absent or skewed. */
export const TS_FIELD = int(
  0,
  8_640_000_000_000_000,
  'Device clock at the event',
  'ms since epoch',
);

/** Heartbeat payload (every MQTT-connected kind). All fields optional: `{}` is a valid beat. */
export const HEARTBEAT_FIELDS: FieldSpecs = {
  ts: TS_FIELD,
  seq: int(0, MAX_UINT32, 'Heartbeat sequence number, wraps at 2^32'),
  fw: str(64, 'Firmware version string'),
  uptime_s: int(0, MAX_UINT32, 'Seconds since boot', 's'),
  battery_pct: num(0, 100, 'Battery or UPS charge', '%'),
  rssi_dbm: num(-130, 0, 'Radio signal strength of the uplink', 'dBm'),
  temp_c: num(-40, 125, 'Board temperature', '°C'),
};

export const MOTOR_STATES = ['ok', 'stalled', 'overcurrent', 'fault'] as const;
export type MotorState = (typeof MOTOR_STATES)[number];

/**
 * Every telemetry field any kind may send. A field name has one type fleet-wide because all
 * kinds share the InfluxDB `telemetry` measurement, where a type conflict rejects the write.
 */
export const TELEMETRY_FIELDS = {
  motor_state: oneOf(MOTOR_STATES, 'Drive motor state'),
  motor_current_ma: num(0, 20_000, 'Drive motor current', 'mA'),
  stock_level: int(0, 10_000, 'Items left to dispense', 'items'),
  stock_capacity: int(0, 10_000, 'Items the device holds when full', 'items'),
  door_open: bool('Service or dispensing door open'),
  cycles_total: int(0, Number.MAX_SAFE_INTEGER, 'Dispensing or recycling cycles since install'),
  rfid_ok: bool('RFID badge reader healthy'),
  bin_fill_pct: num(0, 100, 'Recycling bin fill level', '%'),
  doors_open: int(0, 500, 'Cabinet doors open now', 'doors'),
  lockers_in_use: int(0, 500, 'Lockers holding garments', 'lockers'),
  gate_state: oneOf(['open', 'closed', 'blocked', 'fault'], 'Gate wing state'),
  passages_total: int(0, Number.MAX_SAFE_INTEGER, 'Passages since install'),
  cpu_pct: num(0, 100, 'CPU utilisation', '%'),
  mem_pct: num(0, 100, 'Memory utilisation', '%'),
  disk_pct: num(0, 100, 'Fullest disk utilisation', '%'),
  load1: num(0, 10_000, 'One-minute load average'),
  psu_ok: bool('All power supplies healthy'),
  raid_ok: bool('Disk array healthy'),
  ports_up: int(0, 1_024, 'Switch ports with link', 'ports'),
  ports_total: int(0, 1_024, 'Switch ports', 'ports'),
  uplink_ok: bool('Uplink port has link'),
  ble_devices_heard: int(0, 100_000, 'Distinct BLE devices heard in the last report window'),
  queue_depth: int(0, 1_000_000, 'Sightings waiting to be sent', 'messages'),
  wifi_rssi_dbm: num(-130, 0, 'Wi-Fi signal strength', 'dBm'),
  charging: bool('On charger'),
  temp_c: num(-40, 125, 'Enclosure temperature', '°C'),
} as const satisfies FieldSpecs;

export type TelemetryField = keyof typeof TELEMETRY_FIELDS;

/** Fault payload; `code` is narrowed per kind to the faults that kind may raise. */
export const FAULT_STATES = ['raised', 'cleared'] as const;
export type FaultState = (typeof FAULT_STATES)[number];

export const FAULT_COMMON_FIELDS: FieldSpecs = {
  ts: TS_FIELD,
  state: oneOf(FAULT_STATES, 'raised when the fault starts, cleared when it ends'),
  component: str(64, 'Sub-assembly that failed, e.g. "motor-2" or "psu-b"'),
  detail: str(1_024, 'Free text from the firmware'),
};

export const MAX_SIGHTINGS = 1_000;

export const SIGHTING_ENTRY_FIELDS: FieldSpecs = {
  id: id('Id of the BLE device heard (beacon or wristband)'),
  rssi_dbm: num(-130, 0, 'Signal strength the base station measured', 'dBm'),
  battery_pct: num(0, 100, 'Battery reported in the advertisement', '%'),
};
