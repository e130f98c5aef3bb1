/**
 * The Migrations the trigger's decisions read (cooldown, concurrency, unfinished ones), indexed
 * by namespace and by source-node label, rebuilt lazily after the informer changes. Migrations
 * the trigger has just created are included at once, before the informer delivers them, so two
 * decisions in a row never both see "no Migration yet".
 */
import type { Migration } from '../api/types.ts';
import { NODE_LABEL, type ExistingMigration } from './decide.ts';

function summary(m: Migration): ExistingMigration {
  const created = m.metadata.creationTimestamp;
  return {
    name: m.metadata.name ?? '',
    namespace: m.metadata.namespace ?? '',
    podName: m.spec?.podName ?? '',
    labels: m.metadata.labels ?? {},
    createdMs: created ? new Date(created).getTime() : 0,
    phase: m.status?.phase,
    ownerUid: m.status?.owner?.uid,
  };
}

export class MigrationIndex {
  private byNamespace = new Map<string, ExistingMigration[]>();
  private byNode = new Map<string, ExistingMigration[]>();
  private dirty = true;
  /** Created by this trigger, not yet seen by the informer; key `namespace/name`. */
  private readonly recent = new Map<string, ExistingMigration>();

  /** @param list the informer's cached Migrations. */
  constructor(private readonly list: () => Migration[]) {}

  /** Call on every informer event. */
  invalidate(): void {
    this.dirty = true;
  }

  /** Records a Migration this trigger is creating (or found existing). */
  created(m: ExistingMigration): void {
    this.recent.set(`${m.namespace}/${m.name}`, m);
    this.dirty = true;
  }

  /** Drops a Migration recorded by {@link created} whose creation failed. */
  forget(namespace: string, name: string): void {
    if (this.recent.delete(`${namespace}/${name}`)) this.dirty = true;
  }

  /** Migrations in `namespace` plus those labelled with source node `node` (no duplicates). */
  relevant(namespace: string, node: string): ExistingMigration[] {
    if (this.dirty) this.rebuild();
    const inNamespace = this.byNamespace.get(namespace) ?? [];
    const fromNode = (this.byNode.get(node) ?? []).filter((m) => m.namespace !== namespace);
    return fromNode.length ? [...inNamespace, ...fromNode] : inNamespace;
  }

  private rebuild(): void {
    const all = this.list().map(summary);
    const seen = new Set(all.map((m) => `${m.namespace}/${m.name}`));
    for (const key of this.recent.keys()) if (seen.has(key)) this.recent.delete(key);
    all.push(...this.recent.values());
    this.byNamespace = new Map();
    this.byNode = new Map();
    for (const m of all) {
      push(this.byNamespace, m.namespace, m);
      const node = m.labels[NODE_LABEL];
      if (node) push(this.byNode, node, m);
    }
    this.dirty = false;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
