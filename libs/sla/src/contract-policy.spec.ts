import { CONTRACT_POLICY } from './contract-policy';
import { MILESTONE_CODES, milestoneDef } from './policy';
import type { MilestoneScope, TriggerEventType } from './policy';

// Which events carry the id a visit- or reservation-scoped milestone needs.
const CARRIES: Record<Exclude<MilestoneScope, 'ticket'>, readonly TriggerEventType[]> = {
  visit: [
    'visit_dispatched',
    'visit_arrived',
    'visit_diagnosed',
    'visit_cancelled',
    'verification_started',
    'verification_passed',
    'verification_failed',
    'visit_departed',
    'report_submitted',
  ],
  reservation: ['part_reserved', 'part_eta_changed', 'part_delivered', 'part_released'],
};

describe('CONTRACT_POLICY', () => {
  it('is plain data (survives a JSON round trip, so it can be stored and versioned)', () => {
    expect(JSON.parse(JSON.stringify(CONTRACT_POLICY))).toEqual(CONTRACT_POLICY);
  });

  it('defines every milestone code exactly once', () => {
    expect(CONTRACT_POLICY.milestones.map((def) => def.code)).toEqual([...MILESTONE_CODES]);
  });

  it.each(CONTRACT_POLICY.milestones)('$code has triggers its scope can route', (def) => {
    for (const trigger of [...def.startsOn, ...def.stopsOn, ...def.cancelOn]) {
      if (def.scope !== 'ticket') expect(CARRIES[def.scope]).toContain(trigger.on);
    }
    expect(def.startsOn.length).toBeGreaterThan(0);
    expect(def.stopsOn.length).toBeGreaterThan(0);
  });

  it.each(CONTRACT_POLICY.milestones)('$code has sane warnings and positive targets', (def) => {
    for (const w of def.warnings) expect(w > 0 && w < 1).toBe(true);
    const target = def.target;
    const amounts = target.type === 'fixed' ? [target.ms] : Object.values(target.ms);
    for (const ms of amounts) expect(ms).toBeGreaterThan(0);
  });

  it('lets no milestone pause for a part (contract: waiting for a part does not pause Resolve)', () => {
    for (const def of CONTRACT_POLICY.milestones)
      expect(def.pauseReasons).not.toContain('awaiting_part');
  });

  it('makes VERIFY the only minimum duration', () => {
    expect(
      CONTRACT_POLICY.milestones.filter((d) => d.kind === 'min_duration').map((d) => d.code),
    ).toEqual(['VERIFY']);
    expect(milestoneDef(CONTRACT_POLICY, 'VERIFY')?.target).toEqual({
      type: 'fixed',
      ms: 2 * 3_600_000,
    });
  });
});
