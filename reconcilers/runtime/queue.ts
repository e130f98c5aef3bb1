/**
 * A work queue of string keys, as client-go's: a key is processed by one worker at a time;
 * adding a key that is already waiting collapses into one entry; adding a key that is being
 * processed marks it dirty, so it runs once more after the current run finishes. Delays and
 * per-key exponential backoff are timers (of the injected {@link Clock}) that add the key when
 * they fire.
 */
import { backoffDelay, type Backoff } from './backoff.ts';
import { realClock, type Clock, type Timer } from './clock.ts';

export interface BackoffOptions {
  /** First retry delay; doubled on each consecutive failure of the key. Default 200 ms. */
  baseMs?: number;
  /** Cap of the retry delay. Default 60 s. */
  maxMs?: number;
}

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly waiting = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: Timer }>();
  private readonly failures = new Map<string, number>();
  private readonly wakers: Array<() => void> = [];
  private closed = false;
  private readonly backoff: Backoff;

  /** `onDepth` is told the number of ready keys whenever it changes (metrics). */
  constructor(
    backoff: BackoffOptions = {},
    private readonly onDepth: (depth: number) => void = () => {},
    private readonly clock: Clock = realClock,
  ) {
    this.backoff = { baseMs: backoff.baseMs ?? 200, maxMs: backoff.maxMs ?? 60_000 };
  }

  /**
   * Adds the key now; a no-op when it is already waiting or after {@link close}. A pending
   * delayed add of the key stays (it collapses or runs once more: reconciles are idempotent).
   */
  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.ready.push(key);
    this.onDepth(this.ready.length);
    this.wakers.shift()?.();
  }

  /** Adds the key after `ms`; an earlier pending delay for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.timer);
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { at, timer });
  }

  /** Adds the key after its backoff delay and counts one more failure; returns the delay. */
  addRateLimited(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = backoffDelay(n, this.backoff);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the key's failure count (after a successful run). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Consecutive failures of the key. */
  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Ready keys (not counting delayed or in-flight ones). */
  get depth(): number {
    return this.ready.length;
  }

  /** Resolves with the next key to process (marking it in flight), or undefined once closed. */
  async get(): Promise<string | undefined> {
    while (!this.closed && this.ready.length === 0) {
      await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
    if (this.closed) return undefined;
    const key = this.ready.shift() as string;
    this.waiting.delete(key);
    this.processing.add(key);
    this.onDepth(this.ready.length);
    return key;
  }

  /** Marks the key's run finished; re-adds it when it was added meanwhile. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Stops handing out keys, drops timers and waiting keys; {@link get} resolves undefined. */
  close(): void {
    this.closed = true;
    for (const { timer } of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.ready.length = 0;
    this.waiting.clear();
    this.onDepth(0);
    for (const wake of this.wakers.splice(0)) wake();
  }
}
