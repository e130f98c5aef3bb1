/**
 * The trigger as an operator controller: informers of pods, nodes, namespaces, MigrationPolicies
 * and Migrations feed {@link MetricsIngest}; {@link MetricsSubscriber} feeds it messages. Without
 * a NATS URL the trigger does not run. CONTINUUM_WATCH_NAMESPACE (tests sharing a cluster)
 * limits it to the pods and Migrations of one namespace, like the migration controller.
 * The MigrationPolicy status controller comes with it: the policies' Ready says whether the
 * trigger runs and reaches NATS.
 */
import type { KubernetesObject, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { ControllerContext, ControllerFactory } from '../operator/context.ts';
import type { Informer } from '../runtime/informer.ts';
import {
  GROUP,
  MIGRATION_PLURAL,
  MIGRATION_POLICY_PLURAL,
  VERSION,
  type Migration,
  type MigrationPolicy,
} from '../api/types.ts';
import { ApiMigrationCreator } from './creator.ts';
import { MetricsIngest } from './ingest.ts';
import { MigrationIndex } from './migration-index.ts';
import { metricsReceipts } from './receipts.ts';
import { policyStatusControllers } from '../policy/controller.ts';
import { MetricsSubscriber } from './subscriber.ts';

function onAnyChange<T extends KubernetesObject>(informer: Informer<T>, fn: () => void): void {
  informer.on('add', fn);
  informer.on('update', fn);
  informer.on('delete', fn);
}

/**
 * What the trigger reads of a pod (ingest.ts, policy-choice.ts): its identity, labels and
 * controller, its node and volumes (one that stays on the node is never moved).
 */
export function triggerView(pod: V1Pod): V1Pod {
  const { uid, name, namespace, resourceVersion, labels, ownerReferences } = pod.metadata ?? {};
  return {
    metadata: { uid, name, namespace, resourceVersion, labels, ownerReferences },
    spec: { nodeName: pod.spec?.nodeName, volumes: pod.spec?.volumes, containers: [] },
  };
}

/** Builds the ingest core over the context's shared informers. */
export function createIngest(ctx: ControllerContext): MetricsIngest {
  const inf = ctx.informers;
  const watched = ctx.config.watchNamespace;
  const scope = watched ? `/namespaces/${encodeURIComponent(watched)}` : '';
  // every pod of the cluster: only what the trigger reads of each
  const pods = inf.informer<V1Pod>({ path: `/api/v1${scope}/pods`, transform: triggerView });
  const nodes = inf.informer<V1Node>({ path: '/api/v1/nodes' });
  const namespaces = inf.informer<V1Namespace>({ path: '/api/v1/namespaces' });
  const policies = inf.informer<MigrationPolicy>({
    path: `/apis/${GROUP}/${VERSION}/${MIGRATION_POLICY_PLURAL}`,
  });
  const migrationInformer = inf.informer<Migration>({
    path: `/apis/${GROUP}/${VERSION}${scope}/${MIGRATION_PLURAL}`,
  });
  const migrations = new MigrationIndex(() => migrationInformer.list());
  const ingest = new MetricsIngest({
    pods,
    nodes,
    namespaces,
    policies,
    migrations,
    creator: new ApiMigrationCreator(ctx.kc),
    receipts: metricsReceipts,
    log: ctx.log,
  });
  onAnyChange(migrationInformer, () => migrations.invalidate());
  onAnyChange(policies, () => ingest.selectionChanged());
  onAnyChange(namespaces, () => ingest.selectionChanged());
  onAnyChange(nodes, () => ingest.selectionChanged());
  pods.on('delete', (p) => ingest.forgetPod(p.metadata?.uid ?? ''));
  nodes.on('delete', (n) => ingest.forgetNode(n.metadata?.name ?? ''));
  return ingest;
}

export const triggerFactory: ControllerFactory = {
  name: 'trigger',
  create(ctx) {
    if (!ctx.config.natsUrl) {
      ctx.log.info('no NATS URL: the metrics trigger does not run');
      return policyStatusControllers(ctx, undefined);
    }
    const subscriber = new MetricsSubscriber(ctx.config.natsUrl, createIngest(ctx), ctx.log);
    return [subscriber, ...policyStatusControllers(ctx, subscriber)];
  },
};
