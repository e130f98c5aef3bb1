/**
 * Informers shared by the controllers of one leadership term: asking twice for the same path and
 * selectors returns the same informer, so each collection is watched once.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Informer, type InformerOptions } from './informer.ts';
import type { Logger } from './log.ts';

export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubernetesObject>>();
  private started = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly log: Logger,
  ) {}

  /** The informer of `opts.path` with these selectors; started with the others by {@link start}. */
  informer<T extends KubernetesObject>(opts: InformerOptions<T>): Informer<T> {
    const id = JSON.stringify([opts.path, opts.labelSelector ?? '', opts.fieldSelector ?? '']);
    let informer = this.informers.get(id);
    if (!informer) {
      informer = new Informer<KubernetesObject>(
        this.kc,
        opts as unknown as InformerOptions,
        this.log,
      );
      this.informers.set(id, informer);
      if (this.started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer (and any asked for later). */
  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** True when every informer has filled its cache once. */
  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  /** Resolves when every informer has filled its cache once. */
  async synced(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.synced()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
