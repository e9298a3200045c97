import fc from 'fast-check';
import { ID_PATTERN, isValidId } from './ids';

describe('isValidId', () => {
  it.each([
    ['gd-01', true],
    ['a1', true],
    ['0-', true],
    ['a'.repeat(63), true],
    ['a', false],
    ['a'.repeat(64), false],
    ['-a', false],
    ['Ab', false],
    ['a_b', false],
    ['a b', false],
    ['a/b', false],
    ['a+', false],
    ['é1', false],
    ['', false],
    [42, false],
    [null, false],
  ])('%j → %s', (value, valid) => {
    expect(isValidId(value)).toBe(valid);
  });

  it('agrees with the documented pattern on any string', () => {
    const pattern = new RegExp(ID_PATTERN);
    const idish = fc.stringMatching(/^[a-z0-9A-Z_ -]{0,70}$/);
    fc.assert(
      fc.property(fc.oneof(idish, fc.string()), (s) => isValidId(s) === pattern.test(s)),
      {
        numRuns: 5_000,
      },
    );
  });
});
