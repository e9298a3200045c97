import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { StoreTier } from '@orfleet/sla';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { PartsError } from './parts.errors';
import { storeShapeProblems } from './stock.rules';
import { Store } from './store.entity';

export interface NewStore {
  readonly id: string;
  readonly name: string;
  readonly tier: StoreTier;
  readonly siteId?: string | undefined;
  readonly region?: string | undefined;
}

/** Spare-parts stores: one per hospital site, one per region, one national. */
@Injectable()
export class StoresService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(input: NewStore, actor: string): Promise<Store> {
    const problems = storeShapeProblems(input);
    if (problems.length > 0)
      throw new PartsError('STORE_INVALID', problems.join('; '), { problems });
    const siteId = input.siteId ?? null;
    if (siteId !== null) {
      const site = await this.dataSource.query<unknown[]>('SELECT 1 FROM site WHERE id = $1', [
        siteId,
      ]);
      if (site.length === 0) throw new PartsError('SITE_NOT_FOUND', `no site ${siteId}`);
    }
    // No conflict target: the id and the one-store-per-site/region/national indexes all count.
    const inserted = await this.dataSource.query<unknown[]>(
      `INSERT INTO store (id, name, tier, site_id, region, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [input.id, input.name, input.tier, siteId, input.region ?? null, this.clock.now(), actor],
    );
    if (inserted.length === 0) {
      const [taken] = await this.dataSource.query<{ id: string }[]>(
        `SELECT id FROM store
          WHERE id = $1 OR (tier = $2 AND (tier = 'national' OR site_id = $3 OR region = $4))`,
        [input.id, input.tier, siteId, input.region ?? null],
      );
      throw new PartsError(
        'STORE_EXISTS',
        taken?.id === input.id
          ? `store ${input.id} already exists`
          : `store ${taken?.id ?? '?'} already serves this ${input.tier === 'hospital' ? 'site' : input.tier === 'regional' ? 'region' : 'country'}`,
        { existing: taken?.id ?? null },
      );
    }
    return this.get(input.id);
  }

  list(): Promise<Store[]> {
    return this.dataSource.getRepository(Store).find({ order: { id: 'ASC' } });
  }

  async get(id: string): Promise<Store> {
    const store = await this.dataSource.getRepository(Store).findOneBy({ id });
    if (store === null) throw new PartsError('STORE_NOT_FOUND', `no store ${id}`);
    return store;
  }
}
