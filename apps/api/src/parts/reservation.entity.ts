import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { StoreTier } from '@orfleet/sla';

export const RESERVATION_STATUSES = [
  'reserved',
  'backordered',
  'delivered',
  'consumed',
  'released',
] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

@Entity('reservation')
export class Reservation {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'idempotency_key', type: 'text' }) idempotencyKey!: string;
  @Column({ name: 'ticket_id', type: 'uuid' }) ticketId!: string;
  @Column({ name: 'part_number', type: 'text' }) partNumber!: string;
  @Column('int') qty!: number;
  @Column('text') status!: ReservationStatus;
  /** Null while backordered. */
  @Column({ name: 'store_id', type: 'text', nullable: true }) storeId!: string | null;
  @Column({ type: 'text', nullable: true }) tier!: StoreTier | null;
  @Column({ type: 'timestamptz', nullable: true }) eta!: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt!: Date | null;
  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true }) consumedAt!: Date | null;
  @Column({ name: 'released_at', type: 'timestamptz', nullable: true }) releasedAt!: Date | null;
  @Column({ name: 'release_reason', type: 'text', nullable: true }) releaseReason!: string | null;
}
