import { CHANNELS } from '@orfleet/devices';

/** This instance's part of the fleet: sites whose hash modulo `count` is `index - 1`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export type ShardParse =
  { readonly ok: true; readonly shard: Shard } | { readonly ok: false; readonly problem: string };

/** `k/n` with 1 ≤ k ≤ n ≤ 1024, e.g. `2/4`. */
export function parseShard(text: string): ShardParse {
  const match = /^(\d{1,4})\/(\d{1,4})$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || count > 1024 || index < 1 || index > count) {
    return { ok: false, problem: `expected k/n with 1 <= k <= n <= 1024, like 2/4; got "${text}"` };
  }
  return { ok: true, shard: { index, count } };
}

/**
 * FNV-1a (32 bit) of the site id's UTF-16 code units: stable across processes, machines and
 * releases, which is all a shard assignment needs (it is not a security boundary).
 */
export function siteHash(siteId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < siteId.length; i++) {
    hash ^= siteId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function inShard(siteId: string, shard: Shard): boolean {
  return siteHash(siteId) % shard.count === shard.index - 1;
}

/**
 * The topic filters this instance subscribes to: every device channel of every site for a
 * single instance (`or/+/+/+/heartbeat`…), else the channels of each site in the shard.
 */
export function shardFilters(shard: Shard, siteIds: readonly string[]): string[] {
  if (shard.count === 1) return CHANNELS.map((channel) => `or/+/+/+/${channel}`);
  return siteIds
    .filter((site) => inShard(site, shard))
    .sort()
    .flatMap((site) => CHANNELS.map((channel) => `or/${site}/+/+/${channel}`));
}
