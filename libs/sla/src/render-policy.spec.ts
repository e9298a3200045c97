import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONTRACT_POLICY } from './contract-policy';
import type { SlaPolicy } from './policy';
import { formatDuration, renderPolicyTable } from './render-policy';

const DOC = path.join(__dirname, '..', '..', '..', 'docs', 'sla.md');
const START = '<!-- policy-table:start -->';
const END = '<!-- policy-table:end -->';

describe('formatDuration', () => {
  it.each([
    [15 * 60_000, '15 min'],
    [2 * 3_600_000, '2 h'],
    [90 * 60_000, '1 h 30 min'],
    [1500, '1500 ms'],
  ])('%p ms -> %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('renderPolicyTable', () => {
  const table = renderPolicyTable(CONTRACT_POLICY);
  const rowOf = (code: string) =>
    table.split('\n').find((line) => line.startsWith(`| \`${code}\``));

  it('has one row per milestone', () => {
    expect(table.split('\n').filter((line) => line.startsWith('| `'))).toHaveLength(
      CONTRACT_POLICY.milestones.length,
    );
  });

  it.each([
    ['RESPOND', 'red 30 min, yellow 2 h, green 4 h'],
    ['ARRIVE', 'remote: as agreed at dispatch, else 24 h'],
    ['PART_DELIVERY', 'hospital 15 min, regional 2 h, national 48 h'],
    ['VERIFY', '| ≥ 2 h | min_duration |'],
    ['REPLACE_PARTS', '`visit_diagnosed` (needsParts=true)'],
    ['RESOLVE', '`or_in_use`, `no_site_access` | 50 %, 75 %'],
  ])('renders %s with %s', (code, fragment) => {
    expect(rowOf(code)).toContain(fragment);
  });

  it('follows the policy data', () => {
    const changed: SlaPolicy = {
      ...CONTRACT_POLICY,
      milestones: CONTRACT_POLICY.milestones.map((def) =>
        def.code === 'REPORT' ? { ...def, target: { type: 'fixed', ms: 12 * 3_600_000 } } : def,
      ),
    };
    expect(renderPolicyTable(changed)).not.toBe(table);
    expect(renderPolicyTable(changed)).toContain('| 12 h |');
  });

  it('matches the table in docs/sla.md', () => {
    const doc = readFileSync(DOC, 'utf8');
    const from = doc.indexOf(START);
    const to = doc.indexOf(END);
    expect(from).toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThan(from);
    const embedded = doc.slice(from + START.length, to).trim();
    if (embedded !== table) {
      throw new Error(
        `docs/sla.md is out of date with CONTRACT_POLICY. Replace the text between ${START} and ` +
          `${END} with:\n\n${table}\n`,
      );
    }
  });
});
