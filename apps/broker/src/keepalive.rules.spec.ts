import { keepaliveVerdict } from './keepalive.rules';

describe('keepaliveVerdict', () => {
  const bounds = { minS: 5, maxS: 600 };

  it('accepts keepalives within the bounds, both ends included', () => {
    expect(keepaliveVerdict(5, bounds)).toEqual({ ok: true });
    expect(keepaliveVerdict(60, bounds)).toEqual({ ok: true });
    expect(keepaliveVerdict(600, bounds)).toEqual({ ok: true });
  });

  it('refuses keepalive 0, which would let a device vanish unnoticed', () => {
    expect(keepaliveVerdict(0, { minS: 0, maxS: 600 })).toEqual({
      ok: false,
      detail: 'keepalive 0 (disabled) is not accepted',
    });
  });

  it('refuses keepalives below the minimum or above the maximum, saying the bounds', () => {
    expect(keepaliveVerdict(4, bounds)).toEqual({
      ok: false,
      detail: 'keepalive 4 s outside 5..600 s',
    });
    expect(keepaliveVerdict(601, bounds)).toEqual({
      ok: false,
      detail: 'keepalive 601 s outside 5..600 s',
    });
    expect(keepaliveVerdict(65_535, bounds).ok).toBe(false);
  });
});
