import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { StoreTier } from '@orfleet/sla';

export const PART_CLASSES = ['common', 'special'] as const;
export type PartClass = (typeof PART_CLASSES)[number];

@Entity('part')
export class Part {
  @PrimaryColumn({ name: 'part_number', type: 'text' }) partNumber!: string;
  @Column('text') name!: string;
  /** contract: common parts (memory, disk, PSU) vs special parts (48 h national transfer). */
  @Column('text') class!: PartClass;
  @Column({ name: 'default_tier', type: 'text' }) defaultTier!: StoreTier;
  @Column({ name: 'fits_kinds', type: 'text', array: true }) fitsKinds!: string[];
  @Column({ name: 'fits_models', type: 'text', array: true }) fitsModels!: string[];
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
}
