import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A ticket a maintenance window kept from opening: one row per window and fingerprint. */
@Entity('maintenance_suppression')
export class MaintenanceSuppression {
  // bigserial: pg returns it as a string, which keeps every id exact.
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column({ name: 'window_id', type: 'uuid' }) windowId!: string;
  @Column({ name: 'device_id', type: 'text', nullable: true }) deviceId!: string | null;
  @Column({ name: 'site_id', type: 'text' }) siteId!: string;
  @Column('text') rule!: string;
  @Column('text') fingerprint!: string;
  /** The first suppressed occurrence. */
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ name: 'last_at', type: 'timestamptz' }) lastAt!: Date;
  @Column('int') occurrences!: number;
}
