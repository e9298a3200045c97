import fc from 'fast-check';
import {
  admit,
  afterAppend,
  settingsProblems,
  spoolLimits,
  stillFull,
  type SpoolSettings,
} from './spool.rules';

const limits = spoolLimits(1_000); // resume at 900

describe('admit', () => {
  it.each([
    { case: 'fits', full: false, used: 0, bytes: 300, admitted: true, nowFull: false },
    { case: 'fits exactly', full: false, used: 700, bytes: 300, admitted: true, nowFull: false },
    { case: 'one byte over', full: false, used: 950, bytes: 51, admitted: false, nowFull: true },
    { case: 'already full', full: true, used: 950, bytes: 1, admitted: false, nowFull: true },
    // at or below the resume mark a refusal leaves the spool open: smaller records still fit
    { case: 'too big, low', full: false, used: 900, bytes: 101, admitted: false, nowFull: false },
  ])('$case: admitted $admitted, full $nowFull', ({ full, used, bytes, admitted, nowFull }) => {
    const admission = admit(limits, full, used, bytes);
    expect(admission).toEqual(
      admitted ? { admitted, full: nowFull } : { admitted, full: nowFull, reason: 'full' },
    );
  });

  it.each([false, true])('refuses a record larger than the quota as such, full %p', (full) => {
    expect(admit(limits, full, 0, 1_001)).toEqual({ admitted: false, full, reason: 'too-large' });
  });
});

describe('stillFull', () => {
  it.each([
    { full: true, used: 901, expected: true },
    { full: true, used: 900, expected: false },
    { full: true, used: 0, expected: false },
    { full: false, used: 999, expected: false },
  ])('full $full at $used bytes → $expected', ({ full, used, expected }) => {
    expect(stillFull(limits, full, used)).toBe(expected);
  });

  it('rounds the resume mark down', () => {
    expect(spoolLimits(1_001, 0.9)).toEqual({ quotaBytes: 1_001, resumeBytes: 900 });
  });
});

describe('afterAppend', () => {
  it.each([
    { length: 1, windowOpen: false, maxGroup: 1_000, step: 'start-window' },
    { length: 2, windowOpen: true, maxGroup: 1_000, step: 'wait' },
    { length: 1_000, windowOpen: true, maxGroup: 1_000, step: 'commit-now' },
    { length: 1, windowOpen: false, maxGroup: 1, step: 'commit-now' },
  ])('$length of $maxGroup, window open $windowOpen → $step', (c) => {
    expect(afterAppend(c.length, c.windowOpen, c.maxGroup)).toBe(c.step);
  });
});

describe('quota invariants', () => {
  // any run of appends and removals, as the spool applies the rules
  const op = fc.oneof(
    fc.record({ append: fc.integer({ min: 1, max: 1_200 }) }),
    fc.record({ remove: fc.integer({ min: 0, max: 1_000 }) }),
  );

  it('never holds more than the quota; full only above the resume mark; admits what fits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000 }), fc.array(op), (quota, ops) => {
        const l = spoolLimits(quota);
        let used = 0;
        let full = false;
        for (const o of ops) {
          if ('append' in o) {
            const wasFull = full;
            const a = admit(l, full, used, o.append);
            if (!wasFull && used + o.append <= quota) expect(a.admitted).toBe(true);
            if (a.admitted) used += o.append;
            full = a.full;
          } else {
            used -= Math.min(used, o.remove);
            full = stillFull(l, full, used);
          }
          expect(used).toBeLessThanOrEqual(quota);
          if (full) expect(used).toBeGreaterThan(l.resumeBytes);
        }
      }),
    );
  });
});

describe('settingsProblems', () => {
  const good: SpoolSettings = {
    dir: '/var/lib/orfleet/spool',
    quotaBytes: 1 << 30,
    groupCommitMs: 2,
    maxGroup: 1_000,
    resumeRatio: 0.9,
  };

  it('accepts usable settings', () => {
    expect(settingsProblems(good)).toEqual([]);
    expect(settingsProblems({ ...good, groupCommitMs: 0, maxGroup: 1 })).toEqual([]);
  });

  it.each([
    { dir: '' },
    { quotaBytes: 0 },
    { quotaBytes: 1.5 },
    { groupCommitMs: -1 },
    { groupCommitMs: Number.NaN },
    { maxGroup: 0 },
    { resumeRatio: 1.1 },
    { resumeRatio: Number.NaN },
  ])('names %p', (bad) => {
    const problems = settingsProblems({ ...good, ...bad });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(Object.keys(bad)[0]);
  });
});
