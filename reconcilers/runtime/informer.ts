/**
 * A resilient informer: a cache of the objects at one API path (optionally filtered by label and
 * field selectors) kept current by list + watch, with add/update/delete handlers.
 *
 * Why not client-node's ListWatch as is: it stops for good on any watch error other than
 * 410, does not ask for bookmarks, and has no guard against a watch that silently stalls.
 * Here: 410 Gone → relist; any other failure → retry with exponential backoff (also keeping
 * reconnects infrequent, since every watch reconnect in client-node 1.x leaks a socket); each
 * watch asks the server to close it after a few minutes, and a watchdog aborts a watch that
 * stays silent past that deadline.
 *
 * Objects are the API server's JSON as is (timestamps are RFC 3339 strings, not Dates), less
 * metadata.managedFields, which nothing here reads and which is often the larger part of a pod.
 */
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { backoffDelay, type Backoff } from './backoff.ts';
import { realClock, type Clock, type Timer } from './clock.ts';
import { apiErrorCode, keyOf } from './kube.ts';
import { listAll } from './list.ts';
import type { Logger } from './log.ts';

export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
  /** Collection path, e.g. `/api/v1/pods`, `/apis/continuum.dev/v1alpha1/migrations`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * What the cache keeps of each object (after managedFields are dropped), applied page by page
   * as the list arrives and to every watch event: the fields its readers use, so that a large
   * collection costs little memory. Informers are shared by path and selectors: give one
   * collection one transform.
   */
  transform?: (obj: T) => T;
  /** Watch lifetime the server is asked for; default 240–360 s, randomised. */
  watchTimeoutSeconds?: number;
  /** Abort a watch silent for this long (default: its lifetime + 30 s). */
  watchdogMs?: number;
  /** Retry delays after failures: from `initialMs` (500), doubling up to `maxMs` (30 000). */
  backoff?: { initialMs?: number; maxMs?: number };
}

type Handlers<T> = {
  add: Array<(obj: T) => void>;
  update: Array<(obj: T, old: T) => void>;
  delete: Array<(obj: T) => void>;
};

export class Informer<T extends KubernetesObject> {
  private cache = new Map<string, T>();
  private resourceVersion = '';
  private readonly handlers: Handlers<T> = { add: [], update: [], delete: [] };
  private stopped = true;
  private abortWatch: (() => void) | undefined;
  private listAbort: AbortController | undefined;
  private wakeSleep: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private syncedResolve!: () => void;
  private readonly syncedPromise = new Promise<void>((r) => (this.syncedResolve = r));
  private isSynced = false;
  private readonly log: Logger;

  /** `clock` times the retries and the watchdog. */
  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: InformerOptions<T>,
    log: Logger,
    private readonly clock: Clock = realClock,
  ) {
    this.log = log.child({ informer: opts.path, labelSelector: opts.labelSelector });
  }

  /** Registers a handler; returns a function that unregisters it. Handlers must not throw. */
  on(event: 'add' | 'delete', fn: (obj: T) => void): () => void;
  on(event: 'update', fn: (obj: T, old: T) => void): () => void;
  on(event: keyof Handlers<T>, fn: (obj: T, old: T) => void): () => void {
    const list = this.handlers[event] as Array<(obj: T, old: T) => void>;
    list.push(fn);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** The cached object, by name (and namespace for namespaced kinds). */
  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Cached objects, all or of one namespace. */
  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  /** True once the first list has filled the cache. */
  hasSynced(): boolean {
    return this.isSynced;
  }

  /** Resolves once the first list has filled the cache. */
  synced(): Promise<void> {
    return this.syncedPromise;
  }

  /** Starts listing and watching in the background; returns at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Stops watching; the cache stays readable. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.();
    this.listAbort?.abort();
    this.wakeSleep?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const backoff: Backoff = {
      baseMs: this.opts.backoff?.initialMs ?? 500,
      maxMs: this.opts.backoff?.maxMs ?? 30_000,
    };
    let failures = 0;
    while (!this.stopped) {
      const started = this.clock.now();
      try {
        if (!this.resourceVersion) await this.relist();
        await this.watchOnce();
        // A watch that ends normally but at once (a proxy closing it) counts as a failure; it
        // waits as long as the failure after it would.
        if (this.clock.now() - started > 5_000) failures = 0;
        else await this.sleep(backoffDelay(++failures + 1, backoff));
      } catch (err) {
        if (this.stopped) break;
        if (apiErrorCode(err) === 410) {
          this.log.info('watch expired (410 Gone); relisting');
          this.resourceVersion = '';
          continue;
        }
        const delay = backoffDelay(++failures, backoff);
        this.log.warn({ err: String(err), retryInMs: delay }, 'list/watch failed; retrying');
        await this.sleep(delay);
      }
    }
  }

  private async relist(): Promise<void> {
    this.listAbort = new AbortController();
    const { items, resourceVersion } = await listAll<T>(
      this.kc,
      this.opts,
      this.listAbort.signal,
      (o) => this.trimmed(o),
    );
    const fresh = new Map(items.map((o) => [keyOf(o), o] as const));
    const old = this.cache;
    this.cache = fresh;
    this.resourceVersion = resourceVersion;
    for (const [key, obj] of old) if (!fresh.has(key)) this.emit('delete', obj);
    for (const [key, obj] of fresh) {
      const before = old.get(key);
      if (before) this.emit('update', obj, before);
      else this.emit('add', obj);
    }
    if (!this.isSynced) {
      this.isSynced = true;
      this.syncedResolve();
    }
  }

  /** Resolves when the watch ends normally; rejects on an error (410 included). */
  private watchOnce(): Promise<void> {
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 120);
    const watchdogMs = this.opts.watchdogMs ?? timeoutSeconds * 1000 + 30_000;
    const query: Record<string, string | boolean | number> = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
    };
    if (this.opts.labelSelector) query.labelSelector = this.opts.labelSelector;
    if (this.opts.fieldSelector) query.fieldSelector = this.opts.fieldSelector;
    return new Promise<void>((resolve, reject) => {
      let controller: AbortController | undefined;
      let watchdog: Timer | undefined;
      let finished = false;
      const finish = (err?: unknown): void => {
        if (finished) return;
        finished = true;
        this.clock.clearTimeout(watchdog);
        this.abortWatch = undefined;
        controller?.abort();
        if (err) reject(err);
        else resolve();
      };
      const feed = (): void => {
        this.clock.clearTimeout(watchdog);
        watchdog = this.clock.setTimeout(() => {
          this.log.warn({ watchdogMs }, 'watch silent too long; restarting it');
          finish(new Error(`watch of ${this.opts.path} silent for ${watchdogMs} ms`));
        }, watchdogMs);
      };
      this.abortWatch = () => finish();
      feed();
      const onEvent = (type: string, obj: T & { code?: number }): void => {
        feed();
        if (type === 'ERROR') {
          const err = Object.assign(new Error(`watch error: ${JSON.stringify(obj)}`), {
            statusCode: obj.code,
          });
          return finish(err);
        }
        const rv = obj.metadata?.resourceVersion;
        if (type !== 'BOOKMARK') this.apply(type, obj);
        if (rv) this.resourceVersion = rv;
      };
      new Watch(this.kc)
        .watch(this.opts.path, query, onEvent, (err: unknown) => finish(err ?? undefined))
        .then((c) => {
          controller = c;
          if (finished) c.abort();
        }, finish);
    });
  }

  private apply(type: string, obj: T): void {
    const key = keyOf(obj);
    const before = this.cache.get(key);
    if (type === 'DELETED') {
      this.cache.delete(key);
      this.emit('delete', obj);
      return;
    }
    this.cache.set(key, this.trimmed(obj));
    if (before) this.emit('update', obj, before);
    else this.emit('add', obj);
  }

  /** What the cache keeps of `obj`: without managedFields, then {@link InformerOptions.transform}. */
  private trimmed(obj: T): T {
    const kept = withoutManagedFields(obj);
    return this.opts.transform ? this.opts.transform(kept) : kept;
  }

  private emit(event: keyof Handlers<T>, obj: T, old?: T): void {
    for (const fn of this.handlers[event].slice()) {
      try {
        (fn as (o: T, p?: T) => void)(obj, old);
      } catch (err) {
        this.log.error({ err: String(err), event }, 'informer handler threw');
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      this.wakeSleep = done;
    });
  }
}

/** `obj` without metadata.managedFields (in place: the object is the cache's from now on). */
function withoutManagedFields<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}
