import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One entry of a ticket's append-only log (a trigger refuses updates and deletes). */
@Entity('ticket_event')
export class TicketEvent {
  // bigserial: pg returns it as a string, which keeps every id exact.
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column({ name: 'ticket_id', type: 'uuid' }) ticketId!: string;
  /** 1, 2, 3… per ticket. */
  @Column('int') seq!: number;
  @Column('text') type!: string;
  /** When it happened (may be earlier than recordedAt for events logged late). */
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ name: 'recorded_at', type: 'timestamptz' }) recordedAt!: Date;
  @Column('text') actor!: string;
  @Column('jsonb') payload!: Record<string, unknown>;
}
