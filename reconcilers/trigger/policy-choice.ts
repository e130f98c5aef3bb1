/**
 * The governing MigrationPolicy of each pod (see policy-match.ts), memoised per pod until the pod
 * changes (its resourceVersion) or any policy, namespace or node changes ({@link invalidate}):
 * a message of 1000 pods must not match every policy for every pod.
 */
import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { MigrationPolicy } from '../api/types.ts';
import type { Cache } from './cache.ts';
import { byPrecedence, governingPolicy } from './policy-match.ts';

type Choice = { generation: number; resourceVersion?: string; policy?: MigrationPolicy };

export class PolicyChooser {
  private ordered: MigrationPolicy[] | undefined;
  private generation = 0;
  private readonly choices = new Map<string, Choice>();

  constructor(
    private readonly policies: Cache<MigrationPolicy>,
    private readonly namespaces: Cache<V1Namespace>,
  ) {}

  /** Policies, namespaces or nodes changed: every pod's policy is chosen again. */
  invalidate(): void {
    this.ordered = undefined;
    this.generation++;
  }

  forget(podUid: string): void {
    this.choices.delete(podUid);
  }

  /** All policies, most specific first (the same array until {@link invalidate}). */
  all(): MigrationPolicy[] {
    return (this.ordered ??= byPrecedence(this.policies.list()));
  }

  /** The policy governing `pod` on `node`, or undefined. */
  choose(pod: V1Pod, node: V1Node): MigrationPolicy | undefined {
    const uid = pod.metadata!.uid!;
    const cached = this.choices.get(uid);
    const rv = pod.metadata?.resourceVersion;
    if (cached && cached.generation === this.generation && cached.resourceVersion === rv) {
      return cached.policy;
    }
    const ns = this.namespaces.get(pod.metadata?.namespace ?? '');
    const policy = governingPolicy(this.all(), {
      podLabels: pod.metadata?.labels,
      namespaceLabels: ns?.metadata?.labels,
      nodeLabels: node.metadata?.labels,
    });
    this.choices.set(uid, { generation: this.generation, resourceVersion: rv, policy });
    return policy;
  }
}
