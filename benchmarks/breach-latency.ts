/**
 * Breach → Migration latency as the trigger benchmarks measure it: from publishing the metrics
 * message that completes a pod's trigger window on the real NATS server (flushed first, so that
 * no earlier message is still queued in front of it) to a watch on the real API server seeing
 * the pod's first Migration.
 */
import type { NatsConnection } from 'nats';
import type { Migration } from '../reconcilers/api/types.ts';
import type { Informer } from '../reconcilers/runtime/informer.ts';

const keyOf = (namespace: string, pod: string) => `${namespace}/${pod}`;

export class BreachLatencies {
  private readonly sent = new Map<string, number>();
  private readonly seen = new Map<string, number>();

  /** `migrations`: an informer of (at least) the Migrations of the pods to breach. */
  constructor(migrations: Pick<Informer<Migration>, 'on'>) {
    migrations.on('add', (m) => {
      const key = keyOf(m.metadata.namespace ?? '', m.spec.podName);
      if (!this.seen.has(key)) this.seen.set(key, performance.now());
    });
  }

  /** Publishes `data`, the message that completes the window of pod `namespace/pod`, timed. */
  async publishCompleting(
    nc: NatsConnection,
    subject: string,
    data: string,
    namespace: string,
    pod: string,
  ): Promise<void> {
    await nc.flush();
    this.sent.set(keyOf(namespace, pod), performance.now());
    nc.publish(subject, data);
  }

  /** Whether a Migration of pod `namespace/pod` has been seen. */
  hasSeen(namespace: string, pod: string): boolean {
    return this.seen.has(keyOf(namespace, pod));
  }

  /** How many completing messages were published. */
  get breaches(): number {
    return this.sent.size;
  }

  /** Whether every pod breached so far has a Migration. */
  allSeen(): boolean {
    return [...this.sent.keys()].every((key) => this.seen.has(key));
  }

  /** The latencies in ms of the pods with a Migration, ascending; the breached pods without one. */
  result(): { latencies: number[]; missing: string[] } {
    const breached = [...this.sent];
    return {
      latencies: breached
        .filter(([key]) => this.seen.has(key))
        .map(([key, sentAt]) => this.seen.get(key)! - sentAt)
        .sort((a, b) => a - b),
      missing: breached.filter(([key]) => !this.seen.has(key)).map(([key]) => key),
    };
  }
}

/** The `p`th percentile (nearest rank) of `sorted`, ascending and not empty. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
