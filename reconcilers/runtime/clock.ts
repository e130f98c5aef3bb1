/**
 * The clock port: wall time and timers, behind an interface so that the runtime's delays
 * (queue, informer retries, leader election) and the trigger's windows and cooldowns can be
 * driven by a fake clock in tests, which then assert exact delays instead of wall-clock bounds.
 */

/** A pending timer: an opaque handle, only for {@link Clock.clearTimeout}. */
export type Timer = object;

/** Wall time and one-shot timers. Never blocks; callbacks run later, never inside the call. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once, `ms` from now; never synchronously. */
  setTimeout(fn: () => void, ms: number): Timer;
  /** Cancels a pending timer; a no-op for one that fired, was cleared, or is undefined. */
  clearTimeout(timer: Timer | undefined): void;
}

/** The process's clock: `Date.now` and the global timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};
