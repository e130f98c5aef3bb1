/**
 * An in-memory Cluster (reconcilers/migration/cluster.ts) for the reconciler's table tests:
 * Migrations and pods by `namespace/name`, resourceVersion and uid preconditions enforced as the
 * API server does, every call recorded, and failures injected per method (the next calls of
 * that method reject with the given errors, in order).
 */
import type { CoreV1Event, KubernetesObject, V1Job, V1Pod } from '@kubernetes/client-node';
import type { Migration } from '../../reconcilers/api/types.ts';
import type { Cluster } from '../../reconcilers/migration/cluster.ts';
import type { Store } from '../../reconcilers/migration/observe.ts';

/** An error as the client rejects with: `code` is the HTTP status. */
export function apiError(code: number, body = ''): Error {
  return Object.assign(new Error(`HTTP ${code}: ${body}`), { code, body });
}

/** A cache over fixed objects. */
export function store<T extends KubernetesObject>(items: T[] = []): Store<T> {
  const inNamespace = (ns?: string) =>
    items.filter((o) => ns === undefined || o.metadata?.namespace === ns);
  return {
    get: (name, ns) => inNamespace(ns).find((o) => o.metadata?.name === name),
    list: (ns) => inNamespace(ns),
  };
}

const key = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;

export class FakeCluster implements Cluster {
  readonly migrations = new Map<string, Migration>();
  readonly pods = new Map<string, V1Pod>();
  readonly jobs = new Map<string, V1Job>();
  readonly events: CoreV1Event[] = [];
  /** `method name` for each call, in order. */
  readonly calls: string[] = [];
  private readonly failures = new Map<keyof Cluster, Error[]>();
  private version = 100;

  constructor(objects: { migration?: Migration; pods?: V1Pod[] } = {}) {
    if (objects.migration)
      this.migrations.set(key(objects.migration), structuredClone(objects.migration));
    for (const p of objects.pods ?? []) this.pods.set(key(p), structuredClone(p));
  }

  /** The next calls of `method` reject with `errors`, one each. */
  fail(method: keyof Cluster, ...errors: Error[]): this {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...errors]);
    return this;
  }

  /** The stored Migration (only one per test). */
  get migration(): Migration | undefined {
    return [...this.migrations.values()][0];
  }

  private call(method: keyof Cluster, detail = ''): void {
    this.calls.push(detail ? `${method} ${detail}` : method);
    const err = this.failures.get(method)?.shift();
    if (err) throw err;
  }

  private stored(m: Migration, resourceVersion = m.metadata.resourceVersion): Migration {
    const stored = this.migrations.get(key(m));
    if (!stored) throw apiError(404, 'NotFound');
    if (resourceVersion && resourceVersion !== stored.metadata.resourceVersion) {
      throw apiError(409, 'the object has been modified');
    }
    return stored;
  }

  private bump(m: Migration): Migration {
    m.metadata.resourceVersion = String(++this.version);
    return structuredClone(m);
  }

  async getMigration(namespace: string, name: string) {
    this.call('getMigration');
    return structuredClone(this.migrations.get(`${namespace}/${name}`));
  }
  async getPod(namespace: string, name: string) {
    this.call('getPod', name);
    return structuredClone(this.pods.get(`${namespace}/${name}`));
  }
  async getApps<T>(): Promise<T | undefined> {
    this.call('getApps');
    return undefined;
  }
  async getSecret(): Promise<never> {
    this.call('getSecret');
    throw apiError(404, 'NotFound');
  }
  async listEvents() {
    this.call('listEvents');
    return [];
  }
  async patchMigrationStatus(m: Migration, patch: object) {
    const { metadata, status } = patch as {
      metadata?: { resourceVersion?: string };
      status: Record<string, unknown>;
    };
    this.call('patchMigrationStatus');
    const stored = this.stored(m, metadata?.resourceVersion);
    const next: Record<string, unknown> = { ...stored.status, ...status };
    for (const [k, v] of Object.entries(next)) if (v === null) delete next[k];
    stored.status = next;
    return this.bump(stored);
  }
  async patchMigration(m: Migration, patch: object) {
    const { metadata } = patch as { metadata: Partial<Migration['metadata']> };
    this.call('patchMigration');
    const stored = this.stored(m, metadata.resourceVersion);
    if (metadata.finalizers) stored.metadata.finalizers = metadata.finalizers;
    if (stored.metadata.deletionTimestamp && !stored.metadata.finalizers?.length) {
      this.migrations.delete(key(stored));
    }
    return this.bump(stored);
  }
  async deleteMigration(m: Migration) {
    this.call('deleteMigration');
    const stored = this.stored(m);
    if (stored.metadata.finalizers?.length) stored.metadata.deletionTimestamp = new Date();
    else this.migrations.delete(key(stored));
  }
  async createServiceAccount() {
    this.call('createServiceAccount');
  }
  async createJob(_namespace: string, job: V1Job) {
    this.call('createJob', job.metadata?.name);
    if (this.jobs.has(key(job))) throw apiError(409, 'AlreadyExists');
    this.jobs.set(key(job), job);
  }
  async deleteJob(namespace: string, name: string) {
    this.call('deleteJob', name);
    if (!this.jobs.delete(`${namespace}/${name}`)) throw apiError(404, 'NotFound');
  }
  async createPod(_namespace: string, pod: V1Pod) {
    this.call('createPod', pod.metadata?.name);
    if (this.pods.has(key(pod))) throw apiError(409, 'AlreadyExists');
    this.pods.set(key(pod), structuredClone(pod));
  }
  async patchPod(namespace: string, name: string) {
    this.call('patchPod', name);
    if (!this.pods.has(`${namespace}/${name}`)) throw apiError(404, 'NotFound');
  }
  async deletePod(namespace: string, name: string, opts: { uid: string }) {
    this.call('deletePod', name);
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) throw apiError(404, 'NotFound');
    if (pod.metadata?.uid !== opts.uid) throw apiError(409, 'Precondition failed: UID');
    this.pods.delete(`${namespace}/${name}`);
  }
  async createEvent(_namespace: string, event: CoreV1Event) {
    this.call('createEvent', event.reason);
    this.events.push(event);
  }
}
