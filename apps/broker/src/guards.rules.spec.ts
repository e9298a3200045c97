import { ConnectionGuard, FloodGate, TokenBucket } from './guards.rules';
import type { ConnectionGuardConfig } from './guards.rules';

const config: ConnectionGuardConfig = {
  perIp: { ratePerS: 10, burst: 20 },
  perClient: { ratePerS: 1, burst: 3 },
  flapping: { maxConnects: 15, windowMs: 60_000, banMs: 300_000 },
  maxConnections: 100,
};

describe('TokenBucket', () => {
  it('spends its burst, then refills at its rate', () => {
    const bucket = new TokenBucket(2, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.waitMs(0)).toBe(500);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(10_000)).toBe(true); // never more than the burst saved up
    expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([
      true,
      true,
      false,
    ]);
  });
});

describe('ConnectionGuard', () => {
  it('limits connects per client id and per IP with token buckets', () => {
    const guard = new ConnectionGuard({
      ...config,
      flapping: { ...config.flapping, maxConnects: 1_000 },
    });
    const verdicts = Array.from({ length: 5 }, (_, i) => guard.admit(i, '10.0.0.1', 'gd-1', 0));
    expect(verdicts.map((v) => (v.ok ? 'ok' : v.reason))).toEqual([
      'ok',
      'ok',
      'ok',
      'CLIENT_RATE',
      'CLIENT_RATE',
    ]);
    expect(guard.admit(1_010, '10.0.0.1', 'gd-1', 0)).toEqual({ ok: true }); // refilled: 1/s
    const ips = Array.from({ length: 25 }, (_, i) => guard.admit(2_000, '10.0.0.2', `c-${i}`, 0));
    expect(ips.filter((v) => !v.ok).map((v) => (v.ok ? '' : v.reason))).toEqual([
      'IP_RATE',
      'IP_RATE',
      'IP_RATE',
      'IP_RATE',
      'IP_RATE',
    ]);
  });

  it('bans a flapping client id for the ban time, then lets it back', () => {
    const guard = new ConnectionGuard({ ...config, perClient: { ratePerS: 1_000, burst: 1_000 } });
    // 15 connects in a minute are tolerated (contract example: more than 15 → ban)
    for (let i = 0; i < 15; i++)
      expect(guard.admit(i * 1_000, '10.0.0.3', 'gd-9', 0).ok).toBe(true);
    expect(guard.admit(15_000, '10.0.0.3', 'gd-9', 0)).toEqual({ ok: false, reason: 'FLAPPING' });
    expect(guard.admit(16_000, '10.0.0.3', 'gd-9', 0)).toEqual({ ok: false, reason: 'BANNED' });
    expect(guard.bans(16_000)).toEqual([
      { key: 'client:gd-9', until: 315_000, reason: 'flapping' },
    ]);
    expect(guard.admit(314_999, '10.0.0.3', 'gd-9', 0)).toEqual({ ok: false, reason: 'BANNED' });
    expect(guard.admit(315_000, '10.0.0.3', 'gd-9', 0)).toEqual({ ok: true });
    expect(guard.bans(315_000)).toEqual([]);
  });

  it('forgives slow reconnects: 15 per minute never bans', () => {
    const guard = new ConnectionGuard({ ...config, perClient: { ratePerS: 1_000, burst: 1_000 } });
    for (let i = 0; i < 200; i++)
      expect(guard.admit(i * 4_100, '10.0.0.4', 'gd-8', 0).ok).toBe(true);
  });

  it('caps the number of connections', () => {
    const guard = new ConnectionGuard(config);
    expect(guard.admit(0, '10.0.0.5', 'gd-7', 100)).toEqual({
      ok: false,
      reason: 'TOO_MANY_CONNECTIONS',
    });
    expect(guard.admit(0, '10.0.0.5', 'gd-7', 99)).toEqual({ ok: true });
  });

  it('honours manual bans by IP and lifts them', () => {
    const guard = new ConnectionGuard(config);
    guard.ban('ip:10.0.0.6', 60_000, 'operator');
    expect(guard.admit(0, '10.0.0.6', 'x-1', 0)).toEqual({ ok: false, reason: 'BANNED' });
    expect(guard.unban('ip:10.0.0.6')).toBe(true);
    expect(guard.admit(0, '10.0.0.6', 'x-1', 0)).toEqual({ ok: true });
  });
});

describe('FloodGate', () => {
  it('passes within the rate, delays above it, disconnects a flood that outlasts the grace', () => {
    const gate = new FloodGate(10, 2_000, 0); // 10/s, burst 20
    for (let i = 0; i < 20; i++) expect(gate.admit(0).action).toBe('pass');
    expect(gate.admit(0)).toEqual({ action: 'delay', ms: 100 });
    // the flooder keeps the bucket empty: each publish waits, then passes on retry
    let now = 0;
    let outcome = gate.admit(now);
    while (outcome.action !== 'disconnect' && now < 5_000) {
      if (outcome.action === 'delay') now += outcome.ms;
      outcome = gate.admit(now, true);
      if (outcome.action === 'pass') outcome = gate.admit(now); // next queued publish at once
    }
    expect(outcome.action).toBe('disconnect');
    expect(now).toBeGreaterThan(2_000);
    expect(now).toBeLessThan(2_300);
  });

  it('forgets a burst once the client slows down', () => {
    const gate = new FloodGate(10, 2_000, 0);
    for (let i = 0; i < 21; i++) gate.admit(0);
    expect(gate.admit(1_000).action).toBe('pass'); // a publish that passes at once ends the spell
    for (let t = 1_000; t < 10_000; t += 200) expect(gate.admit(t).action).toBe('pass');
  });
});
