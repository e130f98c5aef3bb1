/** An in-memory stand-in for an informer cache (pure tests and the benchmark only). */
import type { Cache } from '../../reconcilers/trigger/cache.ts';

export class MapCache<
  T extends { metadata?: { name?: string; namespace?: string } },
> implements Cache<T> {
  private readonly map = new Map<string, T>();

  constructor(items: T[]) {
    for (const o of items) this.map.set(`${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, o);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.map.get(`${namespace ?? ''}/${name}`);
  }

  list(): T[] {
    return [...this.map.values()];
  }
}
