/**
 * Which copy of a Migration a pass works from: the informer's, unless this operator knows that
 * copy is behind — it wrote a newer resourceVersion the watch has not delivered yet, or a write
 * conflicted — and then one read from the API server, until the cache shows what was last seen.
 * Most passes follow a watch event and so cost no read; the pass right after a write (a phase
 * change requeues at once) reads fresh. This is controller-runtime's read-from-cache with its
 * "expectations" reduced to one resourceVersion per Migration.
 *
 * Why a copy that is still stale does no harm: every write of the pass carries the
 * resourceVersion read (status, finalizers, the TTL's delete) and a stale one is refused with a
 * 409; the actions before the write are idempotent (AlreadyExists and NotFound are success,
 * pods are deleted by UID), and an answer that never made it into the status (a checkpoint) is
 * swept as after a crash.
 */
import type { Migration } from '../api/types.ts';
import { keyOf } from '../runtime/kube.ts';
import type { Cluster } from './cluster.ts';
import type { Store } from './observe.ts';

/** Never the resourceVersion of a cached copy: read fresh. */
const UNKNOWN = '';

export class MigrationReader {
  /** By key: the resourceVersion the cache must show before it is trusted again. */
  private readonly expected = new Map<string, string>();

  constructor(
    private readonly cluster: Cluster,
    private readonly cache: Store<Migration>,
  ) {}

  /** The Migration `namespace/name`; undefined once it is gone. */
  async read(namespace: string, name: string): Promise<Migration | undefined> {
    const key = `${namespace}/${name}`;
    const cached = this.cache.get(name, namespace);
    const expected = this.expected.get(key);
    if (cached && (expected === undefined || expected === cached.metadata.resourceVersion)) {
      this.expected.delete(key);
      return cached;
    }
    const fresh = await this.cluster.getMigration(namespace, name);
    const version = fresh?.metadata.resourceVersion;
    if (!fresh || version === cached?.metadata.resourceVersion) this.expected.delete(key);
    else this.expected.set(key, version ?? UNKNOWN);
    return fresh;
  }

  /** This operator stored `m` (a status or finalizer patch). */
  wrote(m: Migration): void {
    this.expected.set(keyOf(m), m.metadata.resourceVersion ?? UNKNOWN);
  }

  /** A write about the Migration `key` conflicted: the next pass reads it fresh. */
  conflicted(key: string): void {
    this.expected.set(key, UNKNOWN);
  }
}
