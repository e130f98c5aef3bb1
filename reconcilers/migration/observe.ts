/**
 * observe: everything one pass needs about a Migration, through the Cluster port (cluster.ts).
 * The source pod is read from the API server (no cache holds every pod) until the Migration is
 * Done, the restored pod too when the cache lacks it; nodes, Jobs, imaging pods, sibling Migrations and EdgeNodes come
 * from the informer caches (a stale read there only delays a step: each change brings a pass).
 * In Pending, a source pod's controllers are read fresh. Registry lookups happen here too, so
 * that decide stays pure.
 */
import { wrapperNodes } from '../restore/installer.ts';
import type {
  KubernetesObject,
  V1Deployment,
  V1Job,
  V1Node,
  V1Pod,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { EdgeNode, Migration } from '../api/types.ts';
import type { Informer } from '../runtime/informer.ts';
import type { Credentials } from '../registry/auth.ts';
import type { Cluster } from './cluster.ts';
import { registryCredentials } from './registry-credentials.ts';
import { imagesToVerify } from './images.ts';
import { BEFORE_RESTORING, type ImageCheck, type MigrationConfig, type Observed } from './model.ts';
import { jobName, targetPodName } from './names.ts';
import { controllerOf } from './pods.ts';
import { sandboxNotCreated } from './container-state.ts';

/** Whether images exist in their registry. */
export interface ImageRegistry {
  /**
   * True when the registry holds the manifest `ref` (`repository@sha256:…`), false when it
   * answers that it does not. Rejects when the registry cannot be asked (network, auth).
   * Read-only; bounded in time; never retries for long.
   */
  hasManifest(ref: string, credentials?: Credentials): Promise<boolean>;
  /**
   * Deletes the manifest `ref`; false when it was not there. Rejects with a RegistryError: kind
   * `rejected` for a registry that does not delete (405), `auth`, `transient`.
   */
  deleteManifest(ref: string, credentials?: Credentials): Promise<boolean>;
}

/** What the reconciler reads of an informer's cache. */
export type Store<T extends KubernetesObject> = Pick<Informer<T>, 'get' | 'list'>;

export interface Caches {
  nodes: Store<V1Node>;
  jobs: Store<V1Job>;
  /** Pods labelled `continuum.dev/migration`: imaging pods and restored pods. */
  labelledPods: Store<V1Pod>;
  migrations: Store<Migration>;
  edgeNodes: Store<EdgeNode>;
  /** Pods of the restore installer DaemonSet (operator namespace). */
  installerPods: Store<V1Pod>;
}

export interface ObserveDeps {
  cluster: Cluster;
  caches: Caches;
  registry: ImageRegistry;
  config: MigrationConfig;
}

/** The state of `migration` (as migration-reader.ts chose it) and what it moves. */
export async function observe(deps: ObserveDeps, migration: Migration): Promise<Observed> {
  const { cluster, caches, config } = deps;
  const namespace = migration.metadata.namespace!;
  // Done was recorded only once the source was deleted (or gone): not read again
  const done = migration.status?.phase === 'Done';
  const named = done ? undefined : await cluster.getPod(namespace, migration.spec.podName);
  // a pod re-created under the name since the migration started is not its source
  const recorded = migration.status?.sourcePodUID;
  const pod = recorded && named?.metadata?.uid !== recorded ? undefined : named;
  // the restored pod, which exists only from Restoring on (it is created there): as cached
  // (each change of it brings a pass); one the cache lacks is read from the API server
  // ("neither pod exists" fails the Migration: a cache that has not yet seen a pod just created
  // must not)
  const targetName = migration.status?.targetPod ?? targetPodName(migration);
  const before = BEFORE_RESTORING.includes(migration.status?.phase ?? 'Pending');
  const targetPod =
    before && !migration.metadata.deletionTimestamp
      ? undefined
      : (caches.labelledPods.get(targetName, namespace) ??
        (await cluster.getPod(namespace, targetName)));
  const nodeName = migration.status?.sourceNode ?? pod?.spec?.nodeName;
  const job = caches.jobs.get(jobName(migration), namespace);
  const jobPods = caches.labelledPods
    .list(namespace)
    .filter((p) => p.metadata?.labels?.['job-name'] === jobName(migration));
  const partial = {
    migration,
    pod,
    node: nodeName ? caches.nodes.get(nodeName) : undefined,
    siblings: caches.migrations
      .list(namespace)
      .filter(
        (s) =>
          s.spec.podName === migration.spec.podName && s.metadata.uid !== migration.metadata.uid,
      ),
    edgeNodes: caches.edgeNodes.list(),
    restoreNodes: {
      nodes: caches.nodes.list(),
      wrapper: wrapperNodes(caches.installerPods.list()),
    },
    job,
    jobPods,
    targetPod,
  };
  const owner = await ownerObjects(cluster, migration, pod);
  // the pod's controller until Pending records it: a StatefulSet's as well as a ReplicaSet's
  const ownerUid = migration.status?.owner?.uid ?? (pod && controllerOf(pod)?.uid);
  const ownerMigrations = ownerUid
    ? caches.migrations
        .list(namespace)
        .filter(
          (s) => s.status?.owner?.uid === ownerUid && s.metadata.uid !== migration.metadata.uid,
        )
    : [];
  const images: Record<string, ImageCheck> = {};
  for (const [container, ref] of Object.entries(imagesToVerify(partial, config))) {
    images[container] = await registryCredentials(cluster, config, migration, ref, 'pull')
      .then((credentials) => deps.registry.hasManifest(ref, credentials))
      .then(
        (found) => ({ ref, found }),
        (err: Error) => ({ ref, found: false, unreachable: err.message }),
      );
  }
  const sandboxErrors = await sandboxErrorsOf(cluster, [pod, targetPod], config.pullGraceMs);
  return { ...partial, images, ownerMigrations, sandboxErrors, ...(owner ? { owner } : {}) };
}

/**
 * The kubelet's last FailedCreatePodSandBox message for each of `pods` whose sandbox has not
 * been created within the grace, by pod UID (read only then: one Event list per stuck pod).
 */
async function sandboxErrorsOf(
  cluster: Cluster,
  pods: (V1Pod | undefined)[],
  graceMs: number,
): Promise<Record<string, string>> {
  const errors: Record<string, string> = {};
  for (const pod of pods) {
    if (!pod || !sandboxNotCreated(pod, new Date(), graceMs)) continue;
    const uid = pod.metadata!.uid!;
    const events = await cluster.listEvents(
      pod.metadata!.namespace!,
      uid,
      'FailedCreatePodSandBox',
    );
    const last = events
      .map((e) => ({ at: String(e.lastTimestamp ?? e.eventTime ?? ''), message: e.message }))
      .sort((a, b) => a.at.localeCompare(b.at))
      .at(-1);
    if (last?.message) errors[uid] = last.message;
  }
  return errors;
}

/**
 * In Pending, the StatefulSet, or the ReplicaSet and its Deployment, controlling the source pod,
 * read fresh (a rollout that just began must be seen); undefined for a pod without one.
 */
async function ownerObjects(
  cluster: Cluster,
  m: Migration,
  pod: V1Pod | undefined,
): Promise<Observed['owner']> {
  const controller = pod && controllerOf(pod);
  if ((m.status?.phase ?? 'Pending') !== 'Pending' || !controller) return undefined;
  const namespace = m.metadata.namespace!;
  if (controller.kind === 'StatefulSet') {
    const statefulSet = await cluster.getApps<V1StatefulSet>(
      namespace,
      'statefulsets',
      controller.name,
    );
    return statefulSet ? { statefulSet } : {};
  }
  if (controller.kind !== 'ReplicaSet') return undefined;
  const replicaSet = await cluster.getApps<V1ReplicaSet>(namespace, 'replicasets', controller.name);
  const above = replicaSet && controllerOf(replicaSet);
  const deployment =
    above?.kind === 'Deployment'
      ? await cluster.getApps<V1Deployment>(namespace, 'deployments', above.name)
      : undefined;
  return { replicaSet, deployment };
}
