/**
 * Faults a device (or a health rule on its behalf) may report. Severity is set per kind in the
 * device catalog, because the same fault makes one device unusable and another only degraded
 * (contract.md: red where the device becomes unusable, yellow where it works degraded).
 */
export const FAULT_CODES = [
  'MOTOR_STALL',
  'MOTOR_OVERCURRENT',
  'JAM',
  'DOOR_STUCK',
  'STOCK_EMPTY',
  'RFID_READER_FAIL',
  'POWER_FAIL',
  'PSU_FAIL',
  'DISK_FAIL',
  'NIC_FAIL',
  'BATTERY_LOW',
  'OVERHEAT',
] as const;
export type FaultCode = (typeof FAULT_CODES)[number];

/**
 * What the platform does when the fault is raised: open a ticket, or send a notice to the people
 * who refill stock (an empty dispenser is a logistics task, not a repair).
 */
export type FaultAction = 'ticket' | 'notice';

export interface FaultDefinition {
  readonly code: FaultCode;
  readonly description: string;
  readonly action: FaultAction;
}

export const FAULT_CATALOG: Readonly<Record<FaultCode, FaultDefinition>> = {
  MOTOR_STALL: {
    code: 'MOTOR_STALL',
    description: 'The drive motor is powered but does not turn: nothing is dispensed or moved.',
    action: 'ticket',
  },
  MOTOR_OVERCURRENT: {
    code: 'MOTOR_OVERCURRENT',
    description: 'The drive motor draws more current than rated: wear or a partial blockage.',
    action: 'ticket',
  },
  JAM: {
    code: 'JAM',
    description: 'An item is stuck in the feed path; the mechanism stopped to protect itself.',
    action: 'ticket',
  },
  DOOR_STUCK: {
    code: 'DOOR_STUCK',
    description: 'A door or flap did not reach its commanded position within its time limit.',
    action: 'ticket',
  },
  STOCK_EMPTY: {
    code: 'STOCK_EMPTY',
    description: 'The device has nothing left to dispense and needs refilling.',
    action: 'notice',
  },
  RFID_READER_FAIL: {
    code: 'RFID_READER_FAIL',
    description: 'The RFID badge reader does not answer: staff cannot identify themselves.',
    action: 'ticket',
  },
  POWER_FAIL: {
    code: 'POWER_FAIL',
    description: 'Mains power was lost; the device runs on its backup battery or is shutting down.',
    action: 'ticket',
  },
  PSU_FAIL: {
    code: 'PSU_FAIL',
    description: 'A power supply unit failed or is out of tolerance.',
    action: 'ticket',
  },
  DISK_FAIL: {
    code: 'DISK_FAIL',
    description: 'A disk reported SMART failure or left its array.',
    action: 'ticket',
  },
  NIC_FAIL: {
    code: 'NIC_FAIL',
    description: 'A network interface or port lost link or reports hardware errors.',
    action: 'ticket',
  },
  BATTERY_LOW: {
    code: 'BATTERY_LOW',
    description: 'Battery below 20%: replace or recharge before the device stops (preventive).',
    action: 'ticket',
  },
  OVERHEAT: {
    code: 'OVERHEAT',
    description: 'Temperature above the rated limit; the device may throttle or shut down.',
    action: 'ticket',
  },
};
