/**
 * The demo's workload as the screen follows it: the latest `token=… count=…` line of the source
 * pod or of its restored copy (tests/real/hot-counter.ts).
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Migration } from '../../reconcilers/api/types.ts';
import { lastCount, logsOf } from '../../tests/real/helpers.ts';
import type { WorkloadLine } from './view.ts';

/** The latest line of `pod` on `node`; undefined while it printed none (or is gone). */
export async function latestLine(
  core: CoreV1Api,
  namespace: string,
  pod: string,
  node: string,
): Promise<WorkloadLine | undefined> {
  const last = lastCount(await logsOf(core, namespace, pod).catch(() => ''));
  return last && { pod, node, ...last };
}

/**
 * What the workload of `m` prints now: the restored pod once it prints, else the source on
 * `sourceNode` (status.sourceNode is written only once the Migration is observed).
 */
export async function workloadOutput(
  core: CoreV1Api,
  m: Migration,
  sourceNode: string,
): Promise<WorkloadLine | undefined> {
  const namespace = m.metadata.namespace!;
  const target = m.status?.targetPod;
  const restored = target
    ? await latestLine(core, namespace, target, m.status?.targetNode ?? '?')
    : undefined;
  return restored ?? latestLine(core, namespace, m.spec.podName, sourceNode);
}
