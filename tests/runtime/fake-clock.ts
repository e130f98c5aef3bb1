/**
 * A {@link Clock} for pure tests: time stands still until the test moves it with
 * {@link FakeClock.advance}, which fires the timers due on the way, so tests assert exact delays.
 */
import { setImmediate } from 'node:timers/promises';
import type { Clock, Timer } from '../../reconcilers/runtime/clock.ts';

interface FakeTimer {
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private readonly timers = new Set<FakeTimer>();

  /** Starts at `time` (ms since the epoch). */
  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { at: this.time + Math.max(0, ms), fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(timer: Timer | undefined): void {
    this.timers.delete(timer as FakeTimer);
  }

  /** Resolves when the clock has been advanced by `ms` (a fake sleep for the code under test). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** How far ahead the pending timers are due, soonest first. */
  pending(): number[] {
    return [...this.timers].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /**
   * Moves time forward by `ms`: fires the timers due on the way, each at its own time and in
   * order, and lets the promise jobs they start settle before the next one (so a timer set by
   * them fires too when it is due in time).
   */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await setImmediate();
    for (let next = this.due(end); next; next = this.due(end)) {
      this.timers.delete(next);
      this.time = next.at;
      next.fn();
      await setImmediate();
    }
    this.time = end;
  }

  private due(end: number): FakeTimer | undefined {
    let soonest: FakeTimer | undefined;
    for (const t of this.timers) if (t.at <= end && (!soonest || t.at < soonest.at)) soonest = t;
    return soonest;
  }
}
