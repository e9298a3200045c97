import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '../database/transformers';

/**
 * One milestone instance of a ticket as libs/sla last computed it from the event log. Derived
 * data for querying (due, state, breached-at): recomputed, never hand-edited.
 */
@Entity('ticket_milestone')
export class TicketMilestone {
  @PrimaryColumn({ name: 'ticket_id', type: 'uuid' }) ticketId!: string;
  @PrimaryColumn('text') key!: string;
  @Column('text') code!: string;
  @Column('text') scope!: string;
  @Column({ name: 'scope_id', type: 'text', nullable: true }) scopeId!: string | null;
  @Column('text') kind!: string;
  @Column('text') state!: string;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'due_at', type: 'timestamptz', nullable: true }) dueAt!: Date | null;
  @Column({ name: 'original_due_at', type: 'timestamptz', nullable: true })
  originalDueAt!: Date | null;
  @Column({ name: 'met_at', type: 'timestamptz', nullable: true }) metAt!: Date | null;
  @Column({ name: 'breached_at', type: 'timestamptz', nullable: true }) breachedAt!: Date | null;
  @Column({ name: 'lateness_ms', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  latenessMs!: number | null;
  @Column({ name: 'paused_ms', type: 'bigint', transformer: bigintAsNumber }) pausedMs!: number;
  @Column({ name: 'next_warning_at', type: 'timestamptz', nullable: true })
  nextWarningAt!: Date | null;
  @Column({ name: 'forecast_at', type: 'timestamptz', nullable: true }) forecastAt!: Date | null;
  @Column({ name: 'at_risk', type: 'boolean' }) atRisk!: boolean;
  @Column({ type: 'text', nullable: true }) severity!: string | null;
}
