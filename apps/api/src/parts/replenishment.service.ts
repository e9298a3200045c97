import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { PartsError } from './parts.errors';
import { ReplenishmentRequest } from './replenishment-request.entity';
import { replenishmentTransitionAllowed } from './stock.rules';
import type { ReplenishmentStatus } from './stock.rules';

/**
 * Replenishment requests (opened by the ledger when stock falls to its reorder point) and their
 * follow-up by the parts administrator. Marking one received changes no stock: the counted
 * delivery is booked with a stock receive.
 */
@Injectable()
export class ReplenishmentService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  list(status: ReplenishmentStatus | undefined, limit: number): Promise<ReplenishmentRequest[]> {
    return this.dataSource.getRepository(ReplenishmentRequest).find({
      where: status === undefined ? {} : { status },
      order: { id: 'DESC' },
      take: limit,
    });
  }

  setStatus(id: string, status: ReplenishmentStatus, actor: string): Promise<ReplenishmentRequest> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (m) => {
      const found = /^[1-9][0-9]{0,17}$/.test(id)
        ? await m.findOne(ReplenishmentRequest, {
            where: { id },
            lock: { mode: 'pessimistic_write' },
          })
        : null;
      if (found === null)
        throw new PartsError('REPLENISHMENT_NOT_FOUND', `no replenishment request ${id}`);
      if (!replenishmentTransitionAllowed(found.status, status)) {
        throw new PartsError(
          'REPLENISHMENT_STATE_INVALID',
          `a replenishment request that is ${found.status} cannot become ${status}`,
          { status: found.status },
        );
      }
      await m.update(ReplenishmentRequest, { id }, { status, updatedAt: now, updatedBy: actor });
      return m.findOneByOrFail(ReplenishmentRequest, { id });
    });
  }
}
