import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { StoreTier } from '@orfleet/sla';

/** A spare-parts store: one hospital store per site, one regional per region, one national. */
@Entity('store')
export class Store {
  @PrimaryColumn('text') id!: string;
  @Column('text') name!: string;
  @Column('text') tier!: StoreTier;
  @Column({ name: 'site_id', type: 'text', nullable: true }) siteId!: string | null;
  @Column({ type: 'text', nullable: true }) region!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
}
