import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Zone } from '@orfleet/sla';

@Entity('site')
export class Site {
  @PrimaryColumn('text') id!: string;
  @Column('text') name!: string;
  @Column('text') zone!: Zone;
  /** IANA time zone of the hospital, for reports and calendars. */
  @Column('text') timezone!: string;
  /** The regional warehouse that serves this site (tier-2 store). */
  @Column('text') region!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'updated_by', type: 'text' }) updatedBy!: string;
}
