import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A warning point or breach the scheduler announced: unique per (ticket, milestone, kind). */
@Entity('sla_alert')
export class SlaAlert {
  // bigserial: pg returns it as a string, which keeps every id exact.
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column({ name: 'ticket_id', type: 'uuid' }) ticketId!: string;
  @Column({ name: 'milestone_key', type: 'text' }) milestoneKey!: string;
  /** `warning:0.5`, `warning:0.75`, `breach`. */
  @Column('text') kind!: string;
  @Column({ name: 'due_at', type: 'timestamptz' }) dueAt!: Date;
  @Column({ name: 'raised_at', type: 'timestamptz' }) raisedAt!: Date;
}
