import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeviceKind } from '@orfleet/devices';

export const DEVICE_STATUSES = ['active', 'retired'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];
export const CRITICALITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

@Entity('device')
export class Device {
  @PrimaryColumn('text') id!: string;
  @Column('text') kind!: DeviceKind;
  @Column('text') model!: string;
  @Column('text') serial!: string;
  @Column({ name: 'site_id', type: 'text' }) siteId!: string;
  @Column({ type: 'text', nullable: true }) room!: string | null;
  @Column({ name: 'parent_id', type: 'text', nullable: true }) parentId!: string | null;
  @Column('text') criticality!: Criticality;
  @Column({ name: 'install_date', type: 'date' }) installDate!: string;
  @Column({ name: 'warranty_end', type: 'date' }) warrantyEnd!: string;
  @Column('text') status!: DeviceStatus;
  /** Own heartbeat interval; null: the kind's (contract table). */
  @Column({ name: 'heartbeat_interval_s', type: 'integer', nullable: true })
  heartbeatIntervalS!: number | null;
  /** Own beats missed before missing; null: the kind's. */
  @Column({ name: 'misses_before_missing', type: 'integer', nullable: true })
  missesBeforeMissing!: number | null;
  @Column({ name: 'secret_sha256', type: 'char', length: 64, select: false }) secretSha256!: string;
  @Column({ name: 'secret_rotated_at', type: 'timestamptz' }) secretRotatedAt!: Date;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'updated_by', type: 'text' }) updatedBy!: string;
}
