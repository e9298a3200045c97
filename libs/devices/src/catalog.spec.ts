import { SEVERITIES, STORE_TIERS } from '@orfleet/sla';
import { DEVICE_CATALOG, DEVICE_KINDS, missingAfterMs } from './catalog';
import { FAULT_CATALOG, FAULT_CODES } from './faults';
import { TELEMETRY_FIELDS } from './field-spec';
import { PART_CATALOG } from './parts';

describe('device catalog against contract.md "Device health rules"', () => {
  it.each([
    // kind, transport, interval s, misses, severity when missing, a part to reserve
    ['base_station', 'mqtt', 10, 3, 'red', 'BS-UNIT-01'],
    ['gown_dispenser', 'mqtt', 30, 3, 'red', 'PSU-DEV-24V'],
    ['shoe_dispenser', 'mqtt', 30, 3, 'red', 'PSU-DEV-24V'],
    ['recycler', 'mqtt', 30, 3, 'yellow', 'PSU-DEV-24V'],
    ['changing_cabinet', 'mqtt', 30, 3, 'yellow', 'IPC-DEV-01'],
    ['access_gate', 'mqtt', 30, 3, 'red', 'CTRL-GATE-01'],
    ['server', 'mqtt', 30, 3, 'red', 'PSU-SRV-800'],
    ['network_switch', 'mqtt', 30, 3, 'red', 'PSU-SW-250'],
    ['beacon', 'ble', 60, 5, 'green', 'BCN-UNIT-01'],
    ['wristband', 'ble', 60, 5, 'green', 'WB-UNIT-01'],
    ['pda', 'mqtt', 300, 3, 'green', 'PDA-UNIT-01'],
  ] as const)(
    '%s: %s, %i s × %i, %s, reserves %s',
    (kind, transport, interval, misses, severity, part) => {
      const d = DEVICE_CATALOG[kind];
      expect([
        d.transport,
        d.heartbeatIntervalS,
        d.missesBeforeMissing,
        d.severityWhenMissing,
      ]).toEqual([transport, interval, misses, severity]);
      expect(d.missingParts).toContain(part);
      expect(missingAfterMs(d)).toBe(interval * misses * 1_000);
    },
  );

  it.each(DEVICE_KINDS)('%s is internally consistent', (kind) => {
    const d = DEVICE_CATALOG[kind];
    expect(d.kind).toBe(kind);
    if (d.transport === 'ble') expect(d.channels).toEqual([]);
    else expect(d.channels).toEqual(expect.arrayContaining(['heartbeat', 'telemetry', 'fault']));
    expect(d.channels.includes('sightings')).toBe(kind === 'base_station');
    for (const field of d.telemetry) expect(TELEMETRY_FIELDS).toHaveProperty(field);
    for (const [code, rule] of Object.entries(d.faults)) {
      expect(FAULT_CODES).toContain(code);
      expect(SEVERITIES).toContain(rule.severity);
      for (const part of rule.parts) expect(PART_CATALOG).toHaveProperty(part);
    }
    for (const part of d.missingParts) expect(PART_CATALOG).toHaveProperty(part);
  });

  it('dispensers expose the motor, stock and door telemetry rules depend on', () => {
    for (const kind of ['gown_dispenser', 'shoe_dispenser'] as const) {
      expect(DEVICE_CATALOG[kind].telemetry).toEqual(
        expect.arrayContaining([
          'motor_state',
          'motor_current_ma',
          'stock_level',
          'door_open',
          'cycles_total',
        ]),
      );
    }
  });

  it.each([
    // contract: red where the device becomes unusable, yellow where degraded, green preventive
    ['gown_dispenser', 'MOTOR_STALL', 'red'],
    ['shoe_dispenser', 'JAM', 'red'],
    ['gown_dispenser', 'MOTOR_OVERCURRENT', 'yellow'],
    ['recycler', 'MOTOR_STALL', 'yellow'],
    ['access_gate', 'DOOR_STUCK', 'red'],
    ['changing_cabinet', 'DOOR_STUCK', 'yellow'],
    ['server', 'POWER_FAIL', 'red'],
    ['server', 'DISK_FAIL', 'yellow'],
    ['pda', 'BATTERY_LOW', 'green'],
    ['wristband', 'BATTERY_LOW', 'green'],
  ] as const)('%s %s is %s', (kind, code, severity) => {
    expect(DEVICE_CATALOG[kind].faults[code]?.severity).toBe(severity);
  });

  it('every fault code is raised by some kind and described in English', () => {
    for (const code of FAULT_CODES) {
      expect(DEVICE_KINDS.some((kind) => DEVICE_CATALOG[kind].faults[code] !== undefined)).toBe(
        true,
      );
      expect(FAULT_CATALOG[code].description).toMatch(/^[A-Z].{20,}\.$/);
    }
  });

  it('an empty stock is a refill notice, not a repair ticket', () => {
    expect(FAULT_CATALOG.STOCK_EMPTY.action).toBe('notice');
    expect(FAULT_CODES.filter((c) => FAULT_CATALOG[c].action === 'notice')).toEqual([
      'STOCK_EMPTY',
    ]);
  });

  it('parts use the contract tiers: server and network parts at the hospital, device parts regional', () => {
    for (const part of Object.values(PART_CATALOG)) expect(STORE_TIERS).toContain(part.defaultTier);
    expect(PART_CATALOG['PSU-SRV-800'].defaultTier).toBe('hospital');
    expect(PART_CATALOG['DISK-SRV-1T9'].defaultTier).toBe('hospital');
    expect(PART_CATALOG['NIC-SRV-10G'].defaultTier).toBe('hospital');
    expect(PART_CATALOG['MOTOR-DSP-24V'].defaultTier).toBe('regional');
    expect(PART_CATALOG['BS-UNIT-01'].defaultTier).toBe('regional');
    expect(PART_CATALOG['WB-UNIT-01'].defaultTier).toBe('regional');
  });
});
