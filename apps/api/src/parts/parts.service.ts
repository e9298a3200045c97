import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeviceKind } from '@orfleet/devices';
import type { StoreTier } from '@orfleet/sla';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { catalogParts } from './part-catalog.rules';
import { Part } from './part.entity';
import type { PartClass } from './part.entity';
import { PartsError } from './parts.errors';

export interface NewPart {
  readonly partNumber: string;
  readonly name: string;
  readonly class: PartClass;
  readonly defaultTier: StoreTier;
  readonly fitsKinds: readonly DeviceKind[];
  readonly fitsModels: readonly string[];
}

export interface CatalogImportResult {
  readonly total: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

/** The parts catalog: what can be stocked and reserved. */
@Injectable()
export class PartsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(input: NewPart, actor: string): Promise<Part> {
    const inserted = await this.dataSource.query<unknown[]>(
      `INSERT INTO part (part_number, name, class, default_tier, fits_kinds, fits_models,
                         created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (part_number) DO NOTHING
       RETURNING part_number`,
      [
        input.partNumber,
        input.name,
        input.class,
        input.defaultTier,
        unique(input.fitsKinds),
        unique(input.fitsModels),
        this.clock.now(),
        actor,
      ],
    );
    if (inserted.length === 0)
      throw new PartsError('PART_EXISTS', `part ${input.partNumber} already exists`);
    return this.get(input.partNumber);
  }

  list(kind?: DeviceKind): Promise<Part[]> {
    const query = this.dataSource
      .getRepository(Part)
      .createQueryBuilder('p')
      .orderBy('p.part_number', 'ASC');
    if (kind !== undefined) query.where(':kind = ANY(p.fits_kinds)', { kind });
    return query.getMany();
  }

  async get(partNumber: string): Promise<Part> {
    const part = await this.dataSource.getRepository(Part).findOneBy({ partNumber });
    if (part === null) throw new PartsError('PART_NOT_FOUND', `no part ${partNumber}`);
    return part;
  }

  /**
   * Upserts every part of the device library's catalog (name, class, tier and fitting kinds
   * follow the catalog; fitsModels set by hand are kept). Running it twice changes nothing.
   */
  async importCatalog(actor: string): Promise<CatalogImportResult> {
    const parts = catalogParts();
    const now = this.clock.now();
    return this.dataSource.transaction(async (manager) => {
      let created = 0;
      let updated = 0;
      for (const p of parts) {
        // Rows left alone by the WHERE are not returned; xmax = 0 marks a fresh insert.
        const [row] = await manager.query<{ inserted: boolean }[]>(
          `INSERT INTO part AS p (part_number, name, class, default_tier, fits_kinds, created_at,
                                  created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (part_number) DO UPDATE
             SET name = EXCLUDED.name, class = EXCLUDED.class,
                 default_tier = EXCLUDED.default_tier, fits_kinds = EXCLUDED.fits_kinds
             WHERE (p.name, p.class, p.default_tier, p.fits_kinds)
                   IS DISTINCT FROM
                   (EXCLUDED.name, EXCLUDED.class, EXCLUDED.default_tier, EXCLUDED.fits_kinds)
           RETURNING (xmax = 0) AS inserted`,
          [p.partNumber, p.name, p.class, p.defaultTier, p.fitsKinds, now, actor],
        );
        if (row === undefined) continue;
        if (row.inserted) created += 1;
        else updated += 1;
      }
      return { total: parts.length, created, updated, unchanged: parts.length - created - updated };
    });
  }
}
