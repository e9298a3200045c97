import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Repository } from 'typeorm';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { isTimeZone } from './device.rules';
import { RegistryError } from './devices.errors';
import type { CreateSiteDto, UpdateSiteDto } from './registry.dto';
import { Site } from './site.entity';

@Injectable()
export class SitesService {
  private readonly repo: Repository<Site>;

  constructor(
    dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.repo = dataSource.getRepository(Site);
  }

  async create(input: CreateSiteDto, actor: string): Promise<Site> {
    if (!isTimeZone(input.timezone)) {
      throw new RegistryError(
        'SITE_INVALID',
        `timezone: "${input.timezone}" is not an IANA time zone`,
      );
    }
    if (await this.repo.exists({ where: { id: input.id } })) {
      throw new RegistryError('SITE_EXISTS', `site ${input.id} already exists`);
    }
    const now = this.clock.now();
    const site = this.repo.create({
      ...input,
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
      updatedBy: actor,
    });
    // a plain INSERT: save() would select, then update a row a racing request just inserted
    // (both answered 201); the primary key makes the loser a 23505, answered 409
    await this.repo.insert(site);
    return site;
  }

  list(): Promise<Site[]> {
    return this.repo.find({ order: { id: 'ASC' } });
  }

  async get(id: string): Promise<Site> {
    const site = await this.repo.findOne({ where: { id } });
    if (site === null) throw new RegistryError('SITE_NOT_FOUND', `no site ${id}`);
    return site;
  }

  async update(id: string, change: UpdateSiteDto, actor: string): Promise<Site> {
    const site = await this.get(id);
    if (change.timezone !== undefined && !isTimeZone(change.timezone)) {
      throw new RegistryError(
        'SITE_INVALID',
        `timezone: "${change.timezone}" is not an IANA time zone`,
      );
    }
    Object.assign(site, change, { updatedAt: this.clock.now(), updatedBy: actor });
    return this.repo.save(site);
  }
}
