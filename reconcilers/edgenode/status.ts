/**
 * The status of an EdgeNode, a pure function of what was observed: the nodes its selector
 * matches, its agent pods (Ready per node), its DaemonSet's readiness count, when metrics last
 * arrived from each node, whether the DaemonSet could be applied, and how many of the cloud
 * nodes its workloads move to have continuum's restore wrapper ready. Timestamps of metrics are
 * rounded down to {@link METRICS_TIME_RESOLUTION_MS} so the status is not rewritten every
 * second.
 */
import type { V1DaemonSet, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Condition, EdgeNode, EdgeNodeStatus } from '../api/types.ts';
import { setCondition } from '../api/conditions.ts';

export const METRICS_TIME_RESOLUTION_MS = 30_000;

export interface EdgeNodeObservation {
  nodes: V1Node[];
  agentPods: V1Pod[];
  daemonSet?: V1DaemonSet;
  /** The nodes spec.cloudSelector matches. */
  cloudNodes: V1Node[];
  /** Nodes where continuum's restore wrapper is ready. */
  restoreWrappers: Set<string>;
  /** ms since the epoch of the last metrics message per node. */
  lastMetrics: (node: string) => number | undefined;
  /** Why the DaemonSet is not as composed, or undefined when it is. */
  syncError?: { reason: string; message: string };
}

function podReady(p: V1Pod): boolean {
  return Boolean(p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

/**
 * The node a DaemonSet pod is for: spec.nodeName once bound, else the node the DaemonSet
 * controller pinned it to (required node affinity on metadata.name), as the controller counts it.
 */
export function targetNode(p: V1Pod): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  const terms = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const field = terms?.nodeSelectorTerms[0]?.matchFields?.find((f) => f.key === 'metadata.name');
  return field?.values?.[0];
}

const rounded = (ms: number) =>
  new Date(Math.floor(ms / METRICS_TIME_RESOLUTION_MS) * METRICS_TIME_RESOLUTION_MS).toISOString();

export function edgeNodeStatus(en: EdgeNode, o: EdgeNodeObservation, now: Date): EdgeNodeStatus {
  const ready = new Set(o.agentPods.filter(podReady).map(targetNode));
  const names = o.nodes.map((n) => n.metadata!.name!).sort();
  let latest: number | undefined;
  const nodes = names.map((name) => {
    const last = o.lastMetrics(name);
    if (last !== undefined && (latest === undefined || last > latest)) latest = last;
    return {
      name,
      agentReady: ready.has(name),
      ...(last === undefined ? {} : { lastMetricsTime: rounded(last) }),
    };
  });
  const agentsReady = o.daemonSet?.status?.numberReady ?? 0;
  const status: EdgeNodeStatus = {
    observedGeneration: en.metadata.generation,
    conditions: structuredClone(en.status?.conditions ?? []),
    nodes,
    matchedNodes: names.length,
    agentsReady,
    cloudNodes: o.cloudNodes.length,
    restoreWrappersReady: o.cloudNodes.filter((n) => o.restoreWrappers.has(n.metadata!.name!))
      .length,
    ...(latest === undefined ? {} : { lastMetricsTime: rounded(latest) }),
  };
  const set = (c: Pick<Condition, 'type' | 'status' | 'reason' | 'message'>) =>
    setCondition(status, c, now, en);
  if (o.syncError) set({ type: 'Synced', status: 'False', ...o.syncError });
  else {
    set({
      type: 'Synced',
      status: 'True',
      reason: 'DaemonSetApplied',
      message: 'agent DaemonSet is up to date',
    });
  }
  if (names.length === 0) {
    set({
      type: 'Ready',
      status: 'False',
      reason: 'NoNodesMatched',
      message: 'no node matches spec.nodeSelector',
    });
  } else if (agentsReady < names.length) {
    set({
      type: 'Ready',
      status: 'False',
      reason: 'AgentsNotReady',
      message: `${agentsReady} of ${names.length} agents ready`,
    });
  } else {
    set({
      type: 'Ready',
      status: 'True',
      reason: 'AgentsReady',
      message: `${agentsReady} agents ready`,
    });
  }
  return status;
}
