/**
 * A controller: a work queue of object keys drained by a bounded number of workers, each
 * calling the reconciler for one key. Outcomes: success (forget the key's failures, requeue
 * after `requeueAfterMs` when asked); a 409 Conflict (stale read: silent immediate requeue);
 * any other throw (transient: logged, counted, retried with per-key exponential backoff).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { apiErrorCode, keyOf } from './kube.ts';
import { realClock, type Clock, type Timer } from './clock.ts';
import type { Informer } from './informer.ts';
import type { Logger } from './log.ts';
import { queueDepth, reconcileErrors, reconcileTotal } from './metrics.ts';
import { WorkQueue, type BackoffOptions } from './queue.ts';

/** What a reconcile asks for after a successful pass. */
export interface ReconcileResult {
  /** Look again after this many milliseconds (polling a condition that sends no event). */
  requeueAfterMs?: number;
}

/**
 * Brings the world in line with the object named by `key` (`namespace/name`). Reads all state
 * on every pass; must be idempotent. Throw for transient errors (retried with backoff); an
 * ApiException 409 is requeued at once without logging.
 */
export interface Reconciler {
  reconcile(key: string): Promise<ReconcileResult | void>;
}

export interface ControllerOptions {
  /** Names the controller in logs and metrics, e.g. `migration`. */
  name: string;
  reconciler: Reconciler;
  log: Logger;
  /** Keys reconciled in parallel (never the same key twice at once). Default 4. */
  concurrency?: number;
  backoff?: BackoffOptions;
  /** Times the queue's delays and the stop's grace period. Default: the real clock. */
  clock?: Clock;
}

/** Maps an object event to the keys to reconcile; undefined or [] means none. */
export type KeyMapper<T> = (obj: T) => string | string[] | undefined;

export class Controller {
  readonly name: string;
  private readonly queue: WorkQueue;
  private readonly log: Logger;
  private readonly clock: Clock;
  private workers: Promise<void>[] = [];
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly opts: ControllerOptions) {
    this.name = opts.name;
    this.log = opts.log.child({ controller: opts.name });
    this.clock = opts.clock ?? realClock;
    const onDepth = (d: number): void => queueDepth.set({ controller: this.name }, d);
    this.queue = new WorkQueue(opts.backoff, onDepth, this.clock);
  }

  /** Queues a key for reconciliation now. */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Queues a key for reconciliation after `ms`. */
  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /**
   * Reconciles the keys `map` returns for every add, update and delete the informer sees
   * (default: the object's own key); updates only when `changed` says so (default: all). Call
   * before {@link start}; undone by {@link stop}.
   */
  watch<T extends KubernetesObject>(
    informer: Informer<T>,
    map: KeyMapper<T> = keyOf,
    changed: (obj: T, old: T) => boolean = () => true,
  ): void {
    const handler = (obj: T): void => {
      const keys = map(obj);
      for (const key of keys === undefined ? [] : Array.isArray(keys) ? keys : [keys]) {
        this.enqueue(key);
      }
    };
    this.unsubscribe.push(informer.on('add', handler));
    this.unsubscribe.push(informer.on('update', (obj, old) => changed(obj, old) && handler(obj)));
    this.unsubscribe.push(informer.on('delete', handler));
  }

  /** Starts the workers; returns at once. */
  start(): void {
    const n = Math.max(1, this.opts.concurrency ?? 4);
    this.workers = Array.from({ length: n }, () => this.work());
    this.log.info({ concurrency: n }, 'controller started');
  }

  /**
   * Stops taking keys and waits for in-flight reconciles, at most `graceMs`; resolves true when
   * they all finished in time.
   */
  async stop(graceMs = 10_000): Promise<boolean> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.queue.close();
    let timer: Timer | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(false), graceMs);
    });
    const finished = await Promise.race([Promise.all(this.workers).then(() => true), timeout]);
    this.clock.clearTimeout(timer);
    this.log.info({ finished }, 'controller stopped');
    return finished;
  }

  private async work(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      await this.process(key);
      this.queue.done(key);
    }
  }

  private async process(key: string): Promise<void> {
    const labels = { controller: this.name };
    try {
      const result = await this.opts.reconciler.reconcile(key);
      this.queue.forget(key);
      reconcileTotal.inc({ ...labels, outcome: 'success' });
      if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (apiErrorCode(err) === 409) {
        reconcileTotal.inc({ ...labels, outcome: 'conflict' });
        this.queue.add(key);
        return;
      }
      reconcileTotal.inc({ ...labels, outcome: 'error' });
      reconcileErrors.inc(labels);
      const retryInMs = this.queue.addRateLimited(key);
      this.log.warn({ key, err: String(err), retryInMs }, 'reconcile failed');
    }
  }
}
