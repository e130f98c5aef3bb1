/**
 * The Migration reconciler's port to the API server: every read and write a pass makes outside
 * the informer caches. {@link kubeCluster} is the real one; the reconciler's table tests fake it
 * (tests/migration/fake-cluster.ts). Failures reject as the client does: an error whose `code`
 * (or `statusCode`) is the HTTP status, read with apiErrorCode, so that act's tolerated codes and
 * failure reasons are the same for both.
 */
import {
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Event,
  type CoreV1EventList,
  type KubeConfig,
  type KubernetesObject,
  type V1Job,
  type V1Pod,
  type V1Secret,
  type V1ServiceAccount,
} from '@kubernetes/client-node';
import { API_VERSION, GROUP, MIGRATION_PLURAL, VERSION, type Migration } from '../api/types.ts';
import { patchCustomResource } from '../runtime/kube.ts';
import { getJson, getJsonOrUndefined } from '../runtime/list.ts';

/** The apps/v1 controllers a source pod may have. */
export type AppsResource = 'replicasets' | 'deployments' | 'statefulsets';

export interface Cluster {
  getMigration(namespace: string, name: string): Promise<Migration | undefined>;
  getPod(namespace: string, name: string): Promise<V1Pod | undefined>;
  getApps<T extends KubernetesObject>(
    namespace: string,
    resource: AppsResource,
    name: string,
  ): Promise<T | undefined>;
  getSecret(namespace: string, name: string): Promise<V1Secret>;
  /** The `reason` Events of the object with `uid`. */
  listEvents(namespace: string, uid: string, reason: string): Promise<CoreV1Event[]>;
  /** Merge-patches the status subresource; `patch` carries metadata.resourceVersion. */
  patchMigrationStatus(m: Migration, patch: object): Promise<Migration>;
  /** Merge-patches the Migration's metadata (resourceVersion-checked by the patch). */
  patchMigration(m: Migration, patch: object): Promise<Migration>;
  /** Deletes the Migration, preconditioned on its uid and resourceVersion. */
  deleteMigration(m: Migration): Promise<void>;
  createServiceAccount(namespace: string, body: V1ServiceAccount): Promise<void>;
  createJob(namespace: string, job: V1Job): Promise<void>;
  /** Deletes the Job and, in the background, its pods. */
  deleteJob(namespace: string, name: string): Promise<void>;
  createPod(namespace: string, pod: V1Pod): Promise<void>;
  /** Merge-patches the pod (a metadata.uid in the patch is a precondition). */
  patchPod(namespace: string, name: string, patch: object): Promise<void>;
  deletePod(
    namespace: string,
    name: string,
    opts: { uid: string; gracePeriodSeconds?: number },
  ): Promise<void>;
  createEvent(namespace: string, event: CoreV1Event): Promise<void>;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The Cluster of the API server `kc` points at. */
export function kubeCluster(kc: KubeConfig): Cluster {
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ns = (namespace: string) => `/namespaces/${encodeURIComponent(namespace)}`;
  const migrationRef = (m: Migration) => ({
    group: GROUP,
    version: VERSION,
    plural: MIGRATION_PLURAL,
    namespace: m.metadata.namespace,
    name: m.metadata.name!,
  });
  return {
    getMigration: (namespace, name) =>
      getJsonOrUndefined<Migration>(
        kc,
        `/apis/${API_VERSION}${ns(namespace)}/${MIGRATION_PLURAL}/${encodeURIComponent(name)}`,
      ),
    getPod: (namespace, name) =>
      getJsonOrUndefined<V1Pod>(kc, `/api/v1${ns(namespace)}/pods/${encodeURIComponent(name)}`),
    getApps: (namespace, resource, name) =>
      getJsonOrUndefined(
        kc,
        `/apis/apps/v1${ns(namespace)}/${resource}/${encodeURIComponent(name)}`,
      ),
    getSecret: (namespace, name) =>
      getJson<V1Secret>(kc, `/api/v1${ns(namespace)}/secrets/${encodeURIComponent(name)}`),
    listEvents: async (namespace, uid, reason) => {
      const selector = encodeURIComponent(`involvedObject.uid=${uid},reason=${reason}`);
      const path = `/api/v1${ns(namespace)}/events?fieldSelector=${selector}`;
      return (await getJson<CoreV1EventList>(kc, path)).items;
    },
    patchMigrationStatus: (m, patch) =>
      patchCustomResource<Migration>(kc, migrationRef(m), patch, { status: true }),
    patchMigration: (m, patch) => patchCustomResource<Migration>(kc, migrationRef(m), patch),
    deleteMigration: async (m) => {
      const body = {
        preconditions: { uid: m.metadata.uid!, resourceVersion: m.metadata.resourceVersion! },
      };
      await custom.deleteNamespacedCustomObject({
        ...migrationRef(m),
        namespace: m.metadata.namespace!,
        body,
      });
    },
    createServiceAccount: async (namespace, body) => {
      await core.createNamespacedServiceAccount({ namespace, body });
    },
    createJob: async (namespace, body) => {
      await batch.createNamespacedJob({ namespace, body });
    },
    deleteJob: async (namespace, name) => {
      await batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' });
    },
    createPod: async (namespace, body) => {
      await core.createNamespacedPod({ namespace, body });
    },
    patchPod: async (namespace, name, body) => {
      await core.patchNamespacedPod({ name, namespace, body }, MERGE_PATCH);
    },
    deletePod: async (namespace, name, { uid, gracePeriodSeconds }) => {
      const body = { preconditions: { uid }, gracePeriodSeconds };
      await core.deleteNamespacedPod({ name, namespace, body });
    },
    createEvent: async (namespace, body) => {
      await core.createNamespacedEvent({ namespace, body });
    },
  };
}
