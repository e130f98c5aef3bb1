/**
 * The EdgeNode controller in the operator: reconciles an EdgeNode when it changes, when its
 * DaemonSet or agent pods change, and (all EdgeNodes) when a node appears, disappears or has its
 * labels changed. The agents run the operator's image (config.image) as
 * config.serviceAccounts.agent. With an EdgeNode selector (config.edgeNodeSelector) it manages
 * only the EdgeNodes it matches; an operator restricted to one namespace (config.watchNamespace)
 * runs it only with one: EdgeNodes are cluster-wide, and two installs must not both manage one.
 */
import { isDeepStrictEqual } from 'node:util';
import type { V1DaemonSet, V1Node, V1Pod } from '@kubernetes/client-node';
import type { ControllerFactory } from '../operator/context.ts';
import { Controller } from '../runtime/controller.ts';
import { EDGE_NODE_PLURAL, GROUP, VERSION, type EdgeNode } from '../api/types.ts';
import { metricsReceipts } from '../trigger/receipts.ts';
import { AGENT_APP, AGENT_NAME_LABEL } from './daemonset.ts';
import { EdgeNodeReconciler } from './reconciler.ts';
import { INSTALLER_SELECTOR } from '../restore/installer.ts';

export const edgeNodeFactory: ControllerFactory = {
  name: 'edgenode',
  create(ctx) {
    const { informers, config } = ctx;
    if (config.watchNamespace && !config.edgeNodeSelector) {
      ctx.log.info('watching one namespace without an EdgeNode selector: no EdgeNode controller');
      return [];
    }
    const namespace = config.namespace;
    const agents = `${AGENT_NAME_LABEL}=${AGENT_APP}`;
    const caches = {
      edgeNodes: informers.informer<EdgeNode>({
        path: `/apis/${GROUP}/${VERSION}/${EDGE_NODE_PLURAL}`,
        ...(config.edgeNodeSelector ? { labelSelector: config.edgeNodeSelector } : {}),
      }),
      nodes: informers.informer<V1Node>({ path: '/api/v1/nodes' }),
      daemonSets: informers.informer<V1DaemonSet>({
        path: `/apis/apps/v1/namespaces/${namespace}/daemonsets`,
        labelSelector: agents,
      }),
      agentPods: informers.informer<V1Pod>({
        path: `/api/v1/namespaces/${namespace}/pods`,
        labelSelector: agents,
      }),
      installerPods: informers.informer<V1Pod>({
        path: `/api/v1/namespaces/${namespace}/pods`,
        labelSelector: INSTALLER_SELECTOR,
      }),
    };
    const reconciler = new EdgeNodeReconciler({
      kc: ctx.kc,
      caches,
      settings: {
        image: config.image.name,
        imagePullSecret: config.image.pullSecret,
        serviceAccount: config.serviceAccounts.agent,
        namespace,
        natsUrl: config.natsUrl,
      },
      lastMetrics: (node) => metricsReceipts.lastReceived(node),
    });
    const controller = new Controller({ name: 'edgenode', reconciler, log: ctx.log });
    const all = () => caches.edgeNodes.list().map((e) => e.metadata.name!);
    const owner = (o: V1DaemonSet) =>
      o.metadata?.ownerReferences?.find((r) => r.kind === 'EdgeNode')?.name;
    controller.watch(caches.edgeNodes);
    controller.watch(caches.daemonSets, owner);
    controller.watch(caches.agentPods, all);
    controller.watch(caches.installerPods, all);
    const enqueueAll = () => all().forEach((k) => controller.enqueue(k));
    caches.nodes.on('add', enqueueAll);
    caches.nodes.on('delete', enqueueAll);
    caches.nodes.on('update', (n, old) => {
      if (!isDeepStrictEqual(n.metadata?.labels, old.metadata?.labels)) enqueueAll();
    });
    return [controller];
  },
};
