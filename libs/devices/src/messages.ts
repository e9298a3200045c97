import type { Channel } from './catalog';
import type { DecodeWarning } from './errors';
import type { FaultCode } from './faults';
import type { FaultState, MotorState } from './field-spec';
import type { DeviceAddress } from './topics';

export interface HeartbeatPayload {
  readonly ts?: number;
  readonly seq?: number;
  readonly fw?: string;
  readonly uptime_s?: number;
  readonly battery_pct?: number;
  readonly rssi_dbm?: number;
  readonly temp_c?: number;
}

/** Telemetry is kind-specific; the catalog says which of these a kind may send. */
export interface TelemetryPayload {
  readonly ts?: number;
  readonly motor_state?: MotorState;
  readonly motor_current_ma?: number;
  readonly stock_level?: number;
  readonly stock_capacity?: number;
  readonly door_open?: boolean;
  readonly cycles_total?: number;
  readonly [field: string]: number | string | boolean | undefined;
}

export interface FaultPayload {
  readonly code: FaultCode;
  readonly state: FaultState;
  readonly component?: string;
  readonly detail?: string;
  readonly ts?: number;
}

export interface SightingEntry {
  readonly id: string;
  readonly rssi_dbm: number;
  readonly battery_pct?: number;
}

export interface SightingsPayload {
  readonly ts: number;
  readonly devices: readonly SightingEntry[];
}

interface MessageBase<C extends Channel, P> {
  readonly channel: C;
  readonly address: DeviceAddress;
  readonly payload: P;
  /** When the receiver got the message (ms since epoch), recorded before any queueing. */
  readonly receivedAt: number;
  /**
   * The instant the message describes: the device's `ts` when present and plausible, else
   * `receivedAt`. Points are written at this time, so a redelivery overwrites, never duplicates.
   */
  readonly ts: number;
  readonly warnings: readonly DecodeWarning[];
}

export type HeartbeatMessage = MessageBase<'heartbeat', HeartbeatPayload>;
export type TelemetryMessage = MessageBase<'telemetry', TelemetryPayload>;
export type FaultMessage = MessageBase<'fault', FaultPayload>;
export type SightingsMessage = MessageBase<'sightings', SightingsPayload>;

export type DeviceMessage = HeartbeatMessage | TelemetryMessage | FaultMessage | SightingsMessage;
