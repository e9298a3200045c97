import { Inject, Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import type { Repository } from 'typeorm';
import { performance } from 'node:perf_hooks';
import { ReadCache } from '../platform/read-cache';
import { API_CONFIG } from '../platform/tokens';
import type { ApiConfig } from '../config';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { ApiToken } from './api-token.entity';
import { AuthError } from './auth.errors';
import { actorOf } from './principal';
import type { Principal } from './principal';
import type { Role } from './roles';
import { API_TOKEN_PREFIX, newSecret, sha256Hex } from './token-secret';

const CACHE_MAX = 10_000;
/** last_used_at is a hint, written at most this often per token. */
const LAST_USED_EVERY_MS = 60_000;

export interface CreatedToken {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** The bearer secret; shown once, never stored. */
  readonly token: string;
}

export async function createApiToken(
  repo: Repository<ApiToken>,
  input: { name: string; role: Role; createdBy: string; now: Date },
): Promise<CreatedToken> {
  const token = newSecret(API_TOKEN_PREFIX);
  const row = await repo.save(
    repo.create({
      name: input.name,
      role: input.role,
      secretSha256: sha256Hex(token),
      createdAt: input.now,
      createdBy: input.createdBy,
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
    }),
  );
  return { id: row.id, name: row.name, role: row.role, token };
}

/**
 * Verifies bearer tokens. Verified tokens are cached for `tokenCacheMs` (bounded), so a request
 * costs no query; a revoked token is refused once its cache entry expires (documented).
 */
@Injectable()
export class TokensService {
  private readonly repo: Repository<ApiToken>;
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly lastUsedWritten = new Map<string, number>();
  /** Bumped by every revocation: a lookup that started before it must not refill the cache. */
  private generation = 0;
  /** Unrevoked tokens by name, for the broker's service accounts (`svc:<name>`). */
  private readonly named: ReadCache<readonly { name: string; role: Role }[]>;

  constructor(
    dataSource: DataSource,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.repo = dataSource.getRepository(ApiToken);
    this.named = new ReadCache(config.tokenCacheMs, () => performance.now());
  }

  async verify(bearer: string): Promise<Principal> {
    const digest = sha256Hex(bearer);
    const now = this.clock.now().getTime();
    const hit = this.cache.get(digest);
    if (hit !== undefined && hit.until > now) return hit.principal;
    const generation = this.generation;
    // Looked up by digest through a unique index: equality on a hash of a 256-bit secret leaks
    // nothing useful to a timing attacker.
    const row = await this.repo.findOne({ where: { secretSha256: digest } });
    if (row === null || row.revokedAt !== null) {
      this.cache.delete(digest);
      throw new AuthError('AUTH_INVALID', 'unknown or revoked API token');
    }
    const principal: Principal = {
      tokenId: row.id,
      name: row.name,
      role: row.role,
      actor: actorOf(row.name, row.id),
    };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    if (generation === this.generation) {
      this.cache.set(digest, { principal, until: now + this.config.tokenCacheMs });
    }
    this.touch(row.id, now);
    return principal;
  }

  private touch(id: string, now: number): void {
    if ((this.lastUsedWritten.get(id) ?? 0) + LAST_USED_EVERY_MS > now) return;
    this.lastUsedWritten.set(id, now);
    this.repo.update({ id }, { lastUsedAt: new Date(now) }).catch(() => undefined);
  }

  /**
   * The unrevoked tokens named `name`: an external broker's ACL checks name a service account
   * (`svc:<name>`) without its secret. Cached like verify(); a revocation here applies at once.
   */
  activeNamed(name: string): Promise<readonly { name: string; role: Role }[]> {
    return this.named.get(name, () =>
      this.repo.find({ select: { name: true, role: true }, where: { name, revokedAt: IsNull() } }),
    );
  }

  async create(name: string, role: Role, createdBy: string): Promise<CreatedToken> {
    const created = await createApiToken(this.repo, {
      name,
      role,
      createdBy,
      now: this.clock.now(),
    });
    this.named.invalidate();
    return created;
  }

  list(): Promise<ApiToken[]> {
    return this.repo.find({ order: { createdAt: 'ASC' } });
  }

  async revoke(id: string, by: string): Promise<ApiToken> {
    const row = await this.repo.findOne({ where: { id } });
    if (row === null) throw new AuthError('TOKEN_NOT_FOUND', `no token ${id}`);
    if (row.revokedAt === null) {
      row.revokedAt = this.clock.now();
      row.revokedBy = by;
      await this.repo.save(row);
    }
    this.generation++;
    this.cache.clear();
    this.named.invalidate();
    return row;
  }

  activeAdminCount(): Promise<number> {
    return this.repo.count({ where: { role: 'admin', revokedAt: IsNull() } });
  }
}
