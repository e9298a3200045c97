import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Severity, Zone } from '@orfleet/sla';

export const TICKET_SOURCES = ['hotline', 'portal', 'health-rule', 'api'] as const;
export type TicketSource = (typeof TICKET_SOURCES)[number];

@Entity('ticket')
export class Ticket {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** Human number, `T-2026-000123`. */
  @Column('text') number!: string;
  @Column('text') severity!: Severity;
  @Column('text') title!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column('text') category!: string;
  @Column({ name: 'device_id', type: 'text', nullable: true }) deviceId!: string | null;
  @Column({ name: 'site_id', type: 'text' }) siteId!: string;
  /** The site's zone when the ticket was opened. */
  @Column('text') zone!: Zone;
  @Column('text') source!: TicketSource;
  /** Dedup key (device or site, rule, code), unique among open tickets. */
  @Column({ type: 'text', nullable: true }) fingerprint!: string | null;
  @Column('text') status!: string;
  @Column({ name: 'policy_id', type: 'text' }) policyId!: string;
  @Column({ name: 'policy_version', type: 'int' }) policyVersion!: number;
  @Column('int') occurrences!: number;
  @Column({ name: 'event_count', type: 'int' }) eventCount!: number;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt!: Date | null;
  @Column({ name: 'responded_at', type: 'timestamptz', nullable: true }) respondedAt!: Date | null;
  @Column({ name: 'restored_at', type: 'timestamptz', nullable: true }) restoredAt!: Date | null;
  @Column({ name: 'restored_how', type: 'text', nullable: true }) restoredHow!: string | null;
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true }) resolvedAt!: Date | null;
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true }) closedAt!: Date | null;
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true }) cancelledAt!: Date | null;
  /** Earliest due time among running deadline milestones (list order, "time to next due"). */
  @Column({ name: 'next_due_at', type: 'timestamptz', nullable: true }) nextDueAt!: Date | null;
  /** When the SLA state next changes by itself (a warning point or a breach): the scheduler's cue. */
  @Column({ name: 'next_change_at', type: 'timestamptz', nullable: true })
  nextChangeAt!: Date | null;
  @Column('boolean') breached!: boolean;
  @Column({ name: 'at_risk', type: 'boolean' }) atRisk!: boolean;
  @Column({ name: 'sla_computed_at', type: 'timestamptz', nullable: true })
  slaComputedAt!: Date | null;
}
