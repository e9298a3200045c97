import type { ValueTransformer } from 'typeorm';

/** pg returns bigint as a string; our bigints (ms durations, ids) fit in a double. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
