/**
 * What the eviction webhook answers for an eviction of a pod (kubectl drain, the descheduler,
 * the cluster autoscaler), as a pure function of what it read. A pod on a node of an EdgeNode
 * whose `evictionPolicy` is Migrate, that continuum can move (no controller, or a ReplicaSet), is
 * not evicted: the answer is 429 (the evicting client retries) and a checkpoint Migration with
 * cutover TargetReady moves it; once it has moved the retried eviction finds no pod, and if its
 * Migration failed the retried eviction is allowed. Everything else is allowed: a drain never
 * waits longer than the Migration's timeout.
 */
import { createHash } from 'node:crypto';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { API_VERSION, MIGRATION_KIND, type EdgeNode, type Migration } from '../api/types.ts';
import { edgeNodeOf } from '../migration/target-pod.ts';
import { POD_UID_LABEL } from '../trigger/decide.ts';

export const EVICTION_LABEL = 'continuum.dev/eviction';

export interface EvictionFacts {
  pod?: V1Pod;
  node?: V1Node;
  edgeNodes: EdgeNode[];
  /** The Migrations of the pod's namespace. */
  migrations: Migration[];
  dryRun: boolean;
}

export type EvictionAnswer =
  { allowed: true; why: string } | { allowed: false; message: string; create?: Migration };

/** `evict-<pod>-<10 hex of its UID>`, at most 63 characters. */
export function evictionMigrationName(pod: string, uid: string): string {
  const hash = createHash('sha256').update(uid).digest('hex').slice(0, 10);
  return `evict-${pod.slice(0, 46).replace(/[-.]+$/, '')}-${hash}`;
}

export function answerEviction(f: EvictionFacts): EvictionAnswer {
  const pod = f.pod;
  const nodeName = pod?.spec?.nodeName;
  if (!pod || !nodeName) return { allowed: true, why: 'no pod on a node' };
  const site = edgeNodeOf(f.node, f.edgeNodes);
  if (site?.spec.evictionPolicy !== 'Migrate') {
    return { allowed: true, why: `node "${nodeName}" has no EdgeNode with evictionPolicy Migrate` };
  }
  // not a StatefulSet's pod: its restored pod comes back under the same name, and the drain's
  // retried eviction (by name) would evict that one
  const controller = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (controller && controller.kind !== 'ReplicaSet') {
    return { allowed: true, why: `a pod of ${controller.kind} "${controller.name}" is not moved` };
  }
  const name = pod.metadata!.name!;
  const uid = pod.metadata!.uid!;
  const ofPod = f.migrations.filter(
    (m) =>
      m.spec.podName === name &&
      (m.status?.sourcePodUID ?? m.metadata.labels?.[POD_UID_LABEL]) === uid,
  );
  const active = ofPod.find((m) => !['Done', 'Failed'].includes(m.status?.phase ?? 'Pending'));
  if (active) {
    return {
      allowed: false,
      message:
        `pod "${name}" is being moved by Migration "${active.metadata.name}" ` +
        `(${active.status?.phase ?? 'Pending'}); the eviction succeeds once it has moved`,
    };
  }
  const own = evictionMigrationName(name, uid);
  const ended = ofPod.find((m) => m.metadata.name === own);
  if (ended) {
    return {
      allowed: true,
      why: `its Migration "${own}" ended ${ended.status?.phase} (${ended.status?.failureReason ?? 'moved'})`,
    };
  }
  if (f.dryRun) return { allowed: true, why: 'a dry run: a Migration would move it' };
  return {
    allowed: false,
    message:
      `pod "${name}" is moved by Migration "${own}" instead of being evicted (EdgeNode ` +
      `"${site.metadata.name}": evictionPolicy Migrate); the eviction succeeds once it has moved`,
    create: {
      apiVersion: API_VERSION,
      kind: MIGRATION_KIND,
      metadata: {
        name: own,
        namespace: pod.metadata!.namespace,
        labels: { [EVICTION_LABEL]: 'true', [POD_UID_LABEL]: uid },
      },
      spec: {
        podName: name,
        restorePolicy: 'checkpoint',
        cutover: 'TargetReady',
        timeoutSeconds: 600,
        reason: `evicted from node "${nodeName}" (EdgeNode "${site.metadata.name}": evictionPolicy Migrate)`,
      },
    },
  };
}
