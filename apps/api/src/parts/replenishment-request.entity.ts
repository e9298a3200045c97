import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Raised when a consume takes a store's stock of a part below its reorder point. */
@Entity('replenishment_request')
export class ReplenishmentRequest {
  // bigserial: pg returns it as a string, which keeps every id exact.
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column({ name: 'part_number', type: 'text' }) partNumber!: string;
  @Column({ name: 'store_id', type: 'text' }) storeId!: string;
  @Column('int') qty!: number;
  @Column({ name: 'on_hand', type: 'int' }) onHand!: number;
  @Column({ name: 'reorder_point', type: 'int' }) reorderPoint!: number;
  @Column('text') status!: 'open' | 'ordered' | 'received' | 'cancelled';
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  /** When and by whom the status last changed (the creation, until then). */
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'updated_by', type: 'text' }) updatedBy!: string;
}
