/**
 * The EdgeNode reconciler: observe (the EdgeNode, its nodes, its DaemonSet and agent pods, all
 * from informer caches; metrics receipts from the trigger) → compose the DaemonSet and create or
 * update it when its spec hash differs → write the status when it changed. Deletion needs no
 * code: the DaemonSet is owned by the EdgeNode and the garbage collector removes it. Looks again
 * every {@link METRICS_TIME_RESOLUTION_MS} so the last-metrics times stay fresh.
 */
import {
  AppsV1Api,
  type KubeConfig,
  type V1DaemonSet,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { EDGE_NODE_PLURAL, GROUP, VERSION, type EdgeNode } from '../api/types.ts';
import type { Reconciler, ReconcileResult } from '../runtime/controller.ts';
import { apiErrorCode, writeStatus } from '../runtime/kube.ts';
import type { Informer } from '../runtime/informer.ts';
import { matchesLabelMap } from '../trigger/policy-match.ts';
import { wrapperNodes } from '../restore/installer.ts';
import { applyDaemonSet } from '../runtime/daemonset.ts';
import { agentDaemonSet, daemonSetName, type AgentSettings } from './daemonset.ts';
import { edgeNodeStatus, METRICS_TIME_RESOLUTION_MS, type EdgeNodeObservation } from './status.ts';

export interface EdgeNodeCaches {
  edgeNodes: Informer<EdgeNode>;
  nodes: Informer<V1Node>;
  daemonSets: Informer<V1DaemonSet>;
  agentPods: Informer<V1Pod>;
  /** Pods of the restore installer DaemonSet (operator namespace). */
  installerPods: Informer<V1Pod>;
}

export interface EdgeNodeDeps {
  kc: KubeConfig;
  caches: EdgeNodeCaches;
  /** Undefined natsUrl: the agents cannot publish, so no DaemonSet is composed. */
  settings: Omit<AgentSettings, 'natsUrl'> & { natsUrl?: string };
  lastMetrics: (node: string) => number | undefined;
  now?: () => Date;
}

export class EdgeNodeReconciler implements Reconciler {
  private readonly apps: AppsV1Api;

  constructor(private readonly d: EdgeNodeDeps) {
    this.apps = d.kc.makeApiClient(AppsV1Api);
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { caches, settings } = this.d;
    const en = caches.edgeNodes.get(key);
    if (!en || en.metadata.deletionTimestamp) return;
    const name = daemonSetName(key);
    let daemonSet = caches.daemonSets.get(name, settings.namespace);
    let syncError: EdgeNodeObservation['syncError'];
    if (!settings.natsUrl) {
      syncError = {
        reason: 'NatsNotConfigured',
        message: 'the operator has no NATS URL for the agents',
      };
    } else {
      try {
        const desired = agentDaemonSet(en, { ...settings, natsUrl: settings.natsUrl });
        // a DaemonSet of the name that another EdgeNode (of the same name, re-created) owns
        const owned = (existing: V1DaemonSet) =>
          existing.metadata?.ownerReferences?.[0]?.uid ===
          desired.metadata!.ownerReferences![0]!.uid;
        daemonSet = await applyDaemonSet(this.apps, desired, daemonSet, owned);
      } catch (err) {
        if (apiErrorCode(err) === 409) throw err;
        syncError = {
          reason: 'DaemonSetApplyFailed',
          message: `cannot apply DaemonSet "${name}": ${String(err)}`,
        };
      }
    }
    const nodes = caches.nodes
      .list()
      .filter((n) => matchesLabelMap(en.spec.nodeSelector, n.metadata?.labels));
    const agentPods = caches.agentPods
      .list(settings.namespace)
      .filter((p) => p.metadata?.ownerReferences?.some((o) => o.uid === daemonSet?.metadata?.uid));
    const cloudNodes = caches.nodes
      .list()
      .filter((n) => matchesLabelMap(en.spec.cloudSelector, n.metadata?.labels));
    const restoreWrappers = wrapperNodes(caches.installerPods.list(settings.namespace));
    const status = edgeNodeStatus(
      en,
      {
        nodes,
        agentPods,
        daemonSet,
        cloudNodes,
        restoreWrappers,
        lastMetrics: this.d.lastMetrics,
        syncError,
      },
      (this.d.now ?? (() => new Date()))(),
    );
    await writeStatus(
      this.d.kc,
      { group: GROUP, version: VERSION, plural: EDGE_NODE_PLURAL, name: key },
      en,
      status,
    );
    // A failed apply is retried with backoff; a missing NATS URL only changes with a restart.
    if (syncError?.reason === 'DaemonSetApplyFailed') throw new Error(syncError.message);
    return { requeueAfterMs: METRICS_TIME_RESOLUTION_MS };
  }
}
