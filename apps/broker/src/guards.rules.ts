/**
 * Guard-rails aedes lacks and EMQX has (research/mqtt.md): connection rate limits per IP and per
 * client id, flapping detection with a ban list, a cap on connections, and flood throttling of
 * publishes. Pure: time is an argument; the broker holds one instance of each and feeds it.
 */

/** A token bucket: `ratePerS` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1_000) * this.ratePerS);
      this.at = now;
    }
  }

  /** Takes a token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (0 if one is). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerS) * 1_000);
  }
}

export interface ConnectionGuardConfig {
  readonly perIp: { readonly ratePerS: number; readonly burst: number };
  readonly perClient: { readonly ratePerS: number; readonly burst: number };
  /** More than `maxConnects` connects of one client id within `windowMs` → banned for `banMs`. */
  readonly flapping: {
    readonly maxConnects: number;
    readonly windowMs: number;
    readonly banMs: number;
  };
  readonly maxConnections: number;
}

export type ConnectRefusal =
  'BANNED' | 'IP_RATE' | 'CLIENT_RATE' | 'FLAPPING' | 'TOO_MANY_CONNECTIONS';

export interface Ban {
  readonly key: string;
  readonly until: number;
  readonly reason: string;
}

/** Keeps per-key state bounded: entries idle for longer than this are forgotten. */
const IDLE_MS = 10 * 60_000;
const PRUNE_EVERY = 10_000;

export class ConnectionGuard {
  private readonly ipBuckets = new Map<string, { bucket: TokenBucket; seen: number }>();
  private readonly clientBuckets = new Map<string, { bucket: TokenBucket; seen: number }>();
  private readonly connects = new Map<string, number[]>();
  private readonly banned = new Map<string, Ban>();
  private checks = 0;

  constructor(private readonly config: ConnectionGuardConfig) {}

  /** Decides on a CONNECT from `ip` with `clientId`, given how many connections are open. */
  admit(
    now: number,
    ip: string,
    clientId: string,
    open: number,
  ): { ok: true } | { ok: false; reason: ConnectRefusal } {
    if (++this.checks % PRUNE_EVERY === 0) this.prune(now);
    for (const key of [`ip:${ip}`, `client:${clientId}`]) {
      const ban = this.banned.get(key);
      if (ban !== undefined) {
        if (ban.until > now) return { ok: false, reason: 'BANNED' };
        this.banned.delete(key);
      }
    }
    if (open >= this.config.maxConnections) return { ok: false, reason: 'TOO_MANY_CONNECTIONS' };
    // flapping counts every attempt, refused or not: a reconnect loop is the symptom
    const times = (this.connects.get(clientId) ?? []).filter(
      (t) => t > now - this.config.flapping.windowMs,
    );
    times.push(now);
    this.connects.set(clientId, times);
    if (times.length > this.config.flapping.maxConnects) {
      this.ban(`client:${clientId}`, now + this.config.flapping.banMs, 'flapping');
      this.connects.delete(clientId);
      return { ok: false, reason: 'FLAPPING' };
    }
    if (!this.bucket(this.ipBuckets, ip, this.config.perIp, now).take(now))
      return { ok: false, reason: 'IP_RATE' };
    if (!this.bucket(this.clientBuckets, clientId, this.config.perClient, now).take(now)) {
      return { ok: false, reason: 'CLIENT_RATE' };
    }
    return { ok: true };
  }

  ban(key: string, until: number, reason: string): void {
    this.banned.set(key, { key, until, reason });
  }

  unban(key: string): boolean {
    return this.banned.delete(key);
  }

  /** Bans still in force. */
  bans(now: number): Ban[] {
    return [...this.banned.values()].filter((b) => b.until > now);
  }

  private bucket(
    map: Map<string, { bucket: TokenBucket; seen: number }>,
    key: string,
    limit: { ratePerS: number; burst: number },
    now: number,
  ): TokenBucket {
    let entry = map.get(key);
    if (entry === undefined) {
      entry = { bucket: new TokenBucket(limit.ratePerS, limit.burst, now), seen: now };
      map.set(key, entry);
    }
    entry.seen = now;
    return entry.bucket;
  }

  private prune(now: number): void {
    for (const map of [this.ipBuckets, this.clientBuckets]) {
      for (const [key, entry] of map) if (entry.seen < now - IDLE_MS) map.delete(key);
    }
    for (const [key, times] of this.connects) {
      if ((times[times.length - 1] ?? 0) < now - this.config.flapping.windowMs)
        this.connects.delete(key);
    }
    for (const [key, ban] of this.banned) if (ban.until <= now) this.banned.delete(key);
  }
}

/**
 * Publish flood control for one client: within its rate, publishes pass at once; above it each
 * waits for a token (the client is slowed: aedes reads its next packet only when this one is
 * authorised); a client still over its rate after `graceMs` of throttling is disconnected.
 */
export class FloodGate {
  private readonly bucket: TokenBucket;
  private throttledSince: number | undefined;

  constructor(
    ratePerS: number,
    private readonly graceMs: number,
    now: number,
  ) {
    this.bucket = new TokenBucket(ratePerS, Math.max(1, ratePerS * 2), now);
  }

  /**
   * `pass`, `delay` (by `ms`, then ask again with `retry`), or `disconnect`. Only a publish that
   * passes at its first asking ends a throttling spell: one that passed after waiting came from a
   * client that was still sending faster than its rate.
   */
  admit(
    now: number,
    retry = false,
  ): { action: 'pass' } | { action: 'delay'; ms: number } | { action: 'disconnect' } {
    if (this.bucket.take(now)) {
      if (!retry) this.throttledSince = undefined;
      return { action: 'pass' };
    }
    this.throttledSince ??= now;
    if (now - this.throttledSince > this.graceMs) return { action: 'disconnect' };
    return { action: 'delay', ms: this.bucket.waitMs(now) };
  }
}
