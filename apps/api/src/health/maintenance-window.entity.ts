import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A maintenance window on one device or one whole site (maintenance.rules.ts). */
@Entity('maintenance_window')
export class MaintenanceWindow {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** Exactly one of siteId and deviceId is set. */
  @Column({ name: 'site_id', type: 'text', nullable: true }) siteId!: string | null;
  @Column({ name: 'device_id', type: 'text', nullable: true }) deviceId!: string | null;
  @Column({ name: 'starts_at', type: 'timestamptz' }) startsAt!: Date;
  /** The planned end; an early end is `endedAt`. */
  @Column({ name: 'ends_at', type: 'timestamptz' }) endsAt!: Date;
  @Column('text') reason!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
  @Column({ name: 'ended_by', type: 'text', nullable: true }) endedBy!: string | null;
}
