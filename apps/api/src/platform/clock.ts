/** Time is injected (STYLE.md): services ask the Clock, tests hand in their own. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('Clock');

export const systemClock: Clock = { now: () => new Date() };
