import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Stock of one part in one store; the DB guarantees 0 <= reserved <= on_hand. */
@Entity('stock')
export class Stock {
  @PrimaryColumn({ name: 'part_number', type: 'text' }) partNumber!: string;
  @PrimaryColumn({ name: 'store_id', type: 'text' }) storeId!: string;
  @Column({ name: 'on_hand', type: 'int' }) onHand!: number;
  @Column('int') reserved!: number;
  @Column({ name: 'reorder_point', type: 'int', nullable: true }) reorderPoint!: number | null;
  @Column({ name: 'reorder_qty', type: 'int', nullable: true }) reorderQty!: number | null;
}
