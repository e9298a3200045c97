import { describeTicket, progressLine } from './progress.rules';
import type { ProgressSample } from './progress.rules';

const sample = (
  at: number,
  published: number,
  extra: Partial<ProgressSample> = {},
): ProgressSample => ({
  at,
  connected: 76,
  expected: 76,
  mqttDevices: 76,
  totalDevices: 316,
  published,
  publishErrors: 0,
  faultsInjected: 0,
  openTickets: 0,
  openedSinceStart: 0,
  ...extra,
});

describe('progressLine', () => {
  const t = Date.parse('2026-03-02T08:00:00Z');
  it('says connections, message rate, faults and tickets', () => {
    expect(
      progressLine(
        sample(t, 100),
        sample(t + 5_000, 162, { faultsInjected: 1, openTickets: 1, openedSinceStart: 1 }),
      ),
    ).toBe(
      '08:00:05  connected 76/76 of 316 devices  12.4 msg/s  faults 1  tickets 1 open, 1 opened since start',
    );
  });

  it('counts devices down by faults, and an API it could not ask', () => {
    expect(
      progressLine(
        undefined,
        sample(t, 0, { connected: 70, expected: 70, openTickets: undefined, publishErrors: 3 }),
      ),
    ).toBe(
      '08:00:00  connected 70/70 (6 down by faults) of 316 devices  0.0 msg/s  faults 0  tickets ?  publish errors 3',
    );
  });
});

describe('describeTicket', () => {
  it('shows severity, open clocks and the part reserved', () => {
    const lines = describeTicket({
      id: '5b0e',
      number: 'T-2026-000001',
      severity: 'red',
      title: 'Smart gown dispenser st-anne-gd-s1-1: MOTOR_STALL',
      status: 'new',
      createdAt: '2026-03-02T08:01:00.000Z',
      milestones: [
        { code: 'ACKNOWLEDGE', state: 'running', dueAt: '2026-03-02T08:16:00.000Z' },
        { code: 'RESPOND', state: 'running', dueAt: '2026-03-02T08:31:00.000Z' },
        { code: 'RESOLVE', state: 'running', dueAt: '2026-03-02T12:01:00.000Z' },
        { code: 'PART_DELIVERY', state: 'running', dueAt: '2026-03-02T08:01:00.000Z' },
        { code: 'ARRIVE', state: 'pending', dueAt: null },
      ],
      reservations: [
        {
          partNumber: 'MOTOR-DSP-24V',
          qty: 1,
          status: 'reserved',
          storeId: 'st-anne-it',
          tier: 'hospital',
          eta: '2026-03-02T08:01:00.000Z',
        },
      ],
    });
    expect(lines).toEqual([
      'ticket T-2026-000001 [RED] Smart gown dispenser st-anne-gd-s1-1: MOTOR_STALL',
      '  id 5b0e, new, opened 08:01:00Z',
      '  due: acknowledge by 08:16:00Z, respond by 08:31:00Z, resolve by 12:01:00Z',
      '  parts: 1 × MOTOR-DSP-24V reserved from st-anne-it (hospital), there by 08:01:00Z',
    ]);
  });

  it('says when nothing was reserved', () => {
    const lines = describeTicket({
      id: 'x',
      number: 'T-1',
      severity: 'green',
      title: 't',
      status: 'new',
      createdAt: '2026-03-02T08:00:00.000Z',
      milestones: [],
      reservations: [],
    });
    expect(lines.slice(2)).toEqual(['  due: nothing pending', '  parts: no part reserved']);
  });
});
