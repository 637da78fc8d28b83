/**
 * Where a component reads the time, in ms since the epoch. Components that decide by time (a
 * cache's bound, a token's expiry, a memory window, a throttle) take one, `systemClock` unless a
 * test hands them a clock it moves itself (testkit's `ManualClock`), so edges are tested exactly.
 * Time kept by Redis or MySQL is not read through it: see docs/architecture.md, "Which clock decides".
 */
export interface Clock {
  now(): number
}

/** The process's own clock: `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() }
