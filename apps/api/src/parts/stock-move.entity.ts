import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const STOCK_MOVE_TYPES = [
  'receive',
  'reserve',
  'release',
  'consume',
  'transfer_out',
  'transfer_in',
  'return',
  'adjust',
] as const;
export type StockMoveType = (typeof STOCK_MOVE_TYPES)[number];

/** Append-only stock ledger (a trigger refuses updates and deletes). */
@Entity('stock_move')
export class StockMove {
  // bigserial: pg returns it as a string, which keeps every id exact.
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column({ name: 'part_number', type: 'text' }) partNumber!: string;
  @Column({ name: 'store_id', type: 'text' }) storeId!: string;
  @Column('text') type!: StockMoveType;
  /** Signed change of the quantity the move is about (on hand, or reserved for reserve/release). */
  @Column('int') qty!: number;
  @Column({ name: 'reservation_id', type: 'uuid', nullable: true }) reservationId!: string | null;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column('text') actor!: string;
  @Column({ type: 'text', nullable: true }) note!: string | null;
}
