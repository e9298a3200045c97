import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TrackedState } from './device-health.rules';

/**
 * The rules engine's snapshot of one device (written in batches by DeviceHealthStore). No row:
 * the device was never seen since tracking began.
 */
@Entity('device_health')
export class DeviceHealth {
  @PrimaryColumn({ name: 'device_id', type: 'text' }) deviceId!: string;
  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true }) lastSeenAt!: Date | null;
  @Column('text') state!: TrackedState;
  @Column({ name: 'state_since', type: 'timestamptz' }) stateSince!: Date;
  @Column({ name: 'missed_beats', type: 'int' }) missedBeats!: number;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
