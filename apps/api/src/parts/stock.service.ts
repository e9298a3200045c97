import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { PartsError } from './parts.errors';
import { raiseReplenishmentIfLow, recordMove, returning } from './stock-ledger';
import type { StockRow } from './stock-ledger';
import { StockMove } from './stock-move.entity';

/** One part's stock in one store, as the API shows it. */
export interface StockLine {
  readonly storeId: string;
  readonly partNumber: string;
  readonly partName: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
  readonly reorderPoint: number | null;
  readonly reorderQty: number | null;
}

export interface TransferResult {
  readonly from: StockLine;
  readonly to: StockLine;
}

export interface MoveFilter {
  readonly partNumber?: string | undefined;
  readonly storeId?: string | undefined;
  readonly limit: number;
}

const STOCK_LINE = `
  SELECT s.store_id AS "storeId", s.part_number AS "partNumber", p.name AS "partName",
         s.on_hand AS "onHand", s.reserved, s.on_hand - s.reserved AS available,
         s.reorder_point AS "reorderPoint", s.reorder_qty AS "reorderQty"
    FROM stock s JOIN part p ON p.part_number = s.part_number`;

/**
 * Stock in and out, by the parts administrator. Each change and its ledger row commit in one
 * transaction; decreases are guarded statements, so reserved units never leave a store.
 */
@Injectable()
export class StockService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async stockOf(storeId: string): Promise<StockLine[]> {
    await this.mustExist(this.dataSource.manager, storeId);
    return this.dataSource.query<StockLine[]>(
      `${STOCK_LINE} WHERE s.store_id = $1 ORDER BY s.part_number`,
      [storeId],
    );
  }

  receive(
    storeId: string,
    partNumber: string,
    qty: number,
    note: string | undefined,
    actor: string,
  ): Promise<StockLine> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (m) => {
      await this.mustExist(m, storeId, partNumber);
      await this.addOnHand(m, storeId, partNumber, qty);
      await recordMove(m, { partNumber, storeId, type: 'receive', qty, actor, at: now, note });
      return this.line(m, storeId, partNumber);
    });
  }

  /** A counted correction; never takes on hand below what is reserved. */
  adjust(
    storeId: string,
    partNumber: string,
    delta: number,
    note: string,
    actor: string,
  ): Promise<StockLine> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (m) => {
      await this.mustExist(m, storeId, partNumber);
      if (delta > 0) {
        await this.addOnHand(m, storeId, partNumber, delta);
      } else {
        const [row] = await returning<StockRow>(
          m,
          `UPDATE stock SET on_hand = on_hand + $3
            WHERE part_number = $1 AND store_id = $2 AND on_hand + $3 >= reserved
            RETURNING *`,
          [partNumber, storeId, delta],
        );
        if (row === undefined) await this.insufficient(m, storeId, partNumber, -delta, 'remove');
        else await raiseReplenishmentIfLow(m, row, actor, now);
      }
      await recordMove(m, {
        partNumber,
        storeId,
        type: 'adjust',
        qty: delta,
        actor,
        at: now,
        note,
      });
      return this.line(m, storeId, partNumber);
    });
  }

  setReorder(
    storeId: string,
    partNumber: string,
    reorderPoint: number,
    reorderQty: number | null,
  ): Promise<StockLine> {
    return this.dataSource.transaction(async (m) => {
      await this.mustExist(m, storeId, partNumber);
      await m.query(
        `INSERT INTO stock (part_number, store_id, reorder_point, reorder_qty)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (part_number, store_id) DO UPDATE
           SET reorder_point = EXCLUDED.reorder_point, reorder_qty = EXCLUDED.reorder_qty`,
        [partNumber, storeId, reorderPoint, reorderQty],
      );
      return this.line(m, storeId, partNumber);
    });
  }

  /** Moves available (unreserved) units between stores, at once (no in-transit state yet). */
  transfer(
    partNumber: string,
    fromStoreId: string,
    toStoreId: string,
    qty: number,
    note: string | undefined,
    actor: string,
  ): Promise<TransferResult> {
    if (fromStoreId === toStoreId)
      throw new PartsError('STOCK_INVALID', 'a transfer needs two different stores');
    const now = this.clock.now();
    return this.dataSource.transaction(async (m) => {
      await this.mustExist(m, fromStoreId, partNumber);
      await this.mustExist(m, toStoreId);
      // Lock both rows in one order first: two opposite transfers would otherwise deadlock.
      await m.query(
        `SELECT 1 FROM stock WHERE part_number = $1 AND store_id = ANY($2)
          ORDER BY store_id FOR UPDATE`,
        [partNumber, [fromStoreId, toStoreId]],
      );
      const [row] = await returning<StockRow>(
        m,
        `UPDATE stock SET on_hand = on_hand - $3
          WHERE part_number = $1 AND store_id = $2 AND on_hand - reserved >= $3
          RETURNING *`,
        [partNumber, fromStoreId, qty],
      );
      if (row === undefined) return this.insufficient(m, fromStoreId, partNumber, qty, 'transfer');
      await this.addOnHand(m, toStoreId, partNumber, qty);
      const move = { partNumber, actor, at: now, note };
      await recordMove(m, { ...move, storeId: fromStoreId, type: 'transfer_out', qty: -qty });
      await recordMove(m, { ...move, storeId: toStoreId, type: 'transfer_in', qty });
      await raiseReplenishmentIfLow(m, row, actor, now);
      return {
        from: await this.line(m, fromStoreId, partNumber),
        to: await this.line(m, toStoreId, partNumber),
      };
    });
  }

  moves(filter: MoveFilter): Promise<StockMove[]> {
    return this.dataSource.getRepository(StockMove).find({
      where: {
        ...(filter.partNumber !== undefined && { partNumber: filter.partNumber }),
        ...(filter.storeId !== undefined && { storeId: filter.storeId }),
      },
      order: { id: 'DESC' },
      take: filter.limit,
    });
  }

  private async addOnHand(
    m: EntityManager,
    storeId: string,
    partNumber: string,
    qty: number,
  ): Promise<void> {
    await m.query(
      `INSERT INTO stock (part_number, store_id, on_hand) VALUES ($1, $2, $3)
       ON CONFLICT (part_number, store_id) DO UPDATE SET on_hand = stock.on_hand + EXCLUDED.on_hand`,
      [partNumber, storeId, qty],
    );
  }

  private async line(m: EntityManager, storeId: string, partNumber: string): Promise<StockLine> {
    const [line] = await m.query<StockLine[]>(
      `${STOCK_LINE} WHERE s.store_id = $1 AND s.part_number = $2`,
      [storeId, partNumber],
    );
    if (line === undefined) throw new Error(`stock ${partNumber}@${storeId} vanished`);
    return line;
  }

  private async insufficient(
    m: EntityManager,
    storeId: string,
    partNumber: string,
    qty: number,
    what: 'remove' | 'transfer',
  ): Promise<never> {
    const [row] = await m.query<{ on_hand: number; reserved: number }[]>(
      'SELECT on_hand, reserved FROM stock WHERE part_number = $1 AND store_id = $2',
      [partNumber, storeId],
    );
    const onHand = row?.on_hand ?? 0;
    const reserved = row?.reserved ?? 0;
    throw new PartsError(
      'STOCK_INSUFFICIENT',
      `cannot ${what} ${qty} of ${partNumber} in ${storeId}: ${onHand - reserved} available (${onHand} on hand, ${reserved} reserved)`,
      { onHand, reserved, available: onHand - reserved, requested: qty },
    );
  }

  private async mustExist(m: EntityManager, storeId: string, partNumber?: string): Promise<void> {
    const [found] = await m.query<{ store: boolean; part: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM store WHERE id = $1) AS store,
              EXISTS (SELECT 1 FROM part WHERE part_number = $2) AS part`,
      [storeId, partNumber ?? null],
    );
    if (found?.store !== true) throw new PartsError('STORE_NOT_FOUND', `no store ${storeId}`);
    if (partNumber !== undefined && found.part !== true)
      throw new PartsError('PART_NOT_FOUND', `no part ${partNumber}`);
  }
}
