/**
 * act: performs a decision's actions in order and stops at the first that fails, so that a
 * later action never runs without the earlier ones (the restored pod is created before the
 * source is deleted). Every action is idempotent: AlreadyExists and NotFound are success, a
 * pod is deleted only if it still has the UID that was observed.
 */
import type { V1Node } from '@kubernetes/client-node';
import { FINALIZER, type Migration } from '../api/types.ts';
import { isTransient, RegistryError } from '../registry/errors.ts';
import { KubeletError, type KubeletClient } from '../kubelet/client.ts';
import { apiErrorCode } from '../runtime/kube.ts';
import type { Cluster } from './cluster.ts';
import type { Action, MigrationConfig, Observed, Outcome } from './model.ts';
import type { ImageRegistry } from './observe.ts';
import { emitEvent } from './record.ts';
import { registryCredentials } from './registry-credentials.ts';

export interface ActDeps {
  cluster: Cluster;
  kubelet: KubeletClient;
  registry: ImageRegistry;
  config: MigrationConfig;
}

/** What act did, and the Migration as last stored (a finalizer patch moves its resourceVersion). */
export interface Acted {
  /** The outcome of each action run, in order; shorter than the actions when one failed. */
  outcomes: Outcome[];
  migration: Migration;
}

export async function act(deps: ActDeps, o: Observed, actions: Action[]): Promise<Acted> {
  const acted: Acted = { outcomes: [], migration: o.migration };
  for (const action of actions) {
    const outcome = await run(deps, o, acted, action).catch((err: unknown) => failure(action, err));
    acted.outcomes.push(outcome);
    if (!outcome.ok) break;
  }
  return acted;
}

async function run(deps: ActDeps, o: Observed, acted: Acted, a: Action): Promise<Outcome> {
  const { cluster } = deps;
  const m = acted.migration;
  const namespace = m.metadata.namespace!;
  switch (a.type) {
    case 'addFinalizer':
    case 'removeFinalizer': {
      const others = (m.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
      const finalizers = a.type === 'addFinalizer' ? [...others, FINALIZER] : others;
      const patch = { metadata: { resourceVersion: m.metadata.resourceVersion, finalizers } };
      acted.migration = await cluster.patchMigration(m, patch); // the status patch follows
      return { ok: true };
    }
    case 'checkpoint': {
      const node = o.node as V1Node;
      const seconds = deps.config.checkpointTimeoutSeconds;
      const path = await deps.kubelet.checkpoint(
        node,
        namespace,
        m.spec.podName,
        a.container,
        seconds,
      );
      return { ok: true, archive: { container: a.container, path } };
    }
    case 'createJob': {
      const name = a.job.spec!.template.spec!.serviceAccountName!;
      const body = {
        metadata: { name, labels: { 'app.kubernetes.io/part-of': 'continuum' } },
        automountServiceAccountToken: false,
      };
      try {
        await tolerate(409, cluster.createServiceAccount(namespace, body));
        await tolerate(409, cluster.createJob(namespace, a.job));
      } catch (err) {
        // A namespace being deleted takes nothing new: the Job cannot run, and waiting for it
        // would hold the finalizer, hence the namespace, forever. The archives stay.
        if (!namespaceTerminating(err)) throw err;
      }
      return { ok: true };
    }
    case 'deleteJob':
      await tolerate(404, cluster.deleteJob(namespace, a.name));
      return { ok: true };
    case 'createPod':
      await tolerate(409, cluster.createPod(namespace, a.pod));
      return { ok: true };
    case 'patchPod': {
      // the UID in the patch is a precondition: a pod re-created under the name refuses it
      const body = {
        metadata: {
          uid: a.uid,
          ...(a.labels ? { labels: a.labels } : {}),
          ...(a.annotations ? { annotations: a.annotations } : {}),
        },
      };
      await tolerate([404, 409, 422], cluster.patchPod(namespace, a.name, body));
      return { ok: true };
    }
    case 'deletePod': {
      const opts = { uid: a.uid, gracePeriodSeconds: a.gracePeriodSeconds };
      // 409: the name now belongs to another pod, which is not ours to delete
      const gone = await tolerate([404, 409], cluster.deletePod(namespace, a.name, opts));
      if (!gone && !a.toldBySucceeded) await emitEvent(deps, m, ...deletionEvent(a));
      return { ok: true };
    }
    case 'deleteImages':
      return deleteImages(deps, m, a);
    case 'deleteMigration':
      await tolerate(404, cluster.deleteMigration(m));
      return { ok: true };
  }
}

/**
 * Deletes each image's manifest. A registry that refuses (405: deletes disabled; 401/403) earns
 * ImagesDeleted False and one Warning Event, and is not asked again; one that cannot be reached
 * is retried with the pass (unless bestEffort: then a Warning Event, and the Migration goes).
 */
async function deleteImages(
  deps: ActDeps,
  m: Migration,
  a: Extract<Action, { type: 'deleteImages' }>,
): Promise<Outcome> {
  let deleted = 0;
  try {
    for (const ref of a.refs) {
      const credentials = await registryCredentials(deps.cluster, deps.config, m, ref, 'push');
      if (await deps.registry.deleteManifest(ref, credentials)) deleted++;
    }
  } catch (err) {
    const message = `cannot delete the checkpoint images: ${(err as Error).message}`;
    const refused = err instanceof RegistryError && !isTransient(err);
    if (refused || a.bestEffort) {
      await emitEvent(
        deps,
        m,
        'Warning',
        'ImagesNotDeleted',
        `${message}; they stay in the registry`,
      );
    }
    if (refused) {
      return { ok: true, imagesDeleted: { status: 'False', reason: 'DeleteRefused', message } };
    }
    if (a.bestEffort) return { ok: true };
    return { ok: false, transient: true, reason: 'RegistryUnreachable', message };
  }
  const message = `deleted ${deleted} of ${a.refs.length} checkpoint image manifest(s) from the registry (the others were gone already)`;
  return { ok: true, imagesDeleted: { status: 'True', reason: 'Deleted', message } };
}

/** The Event that tells of a pod this Migration deleted. */
function deletionEvent(
  a: Extract<Action, { type: 'deletePod' }>,
): ['Normal' | 'Warning', string, string] {
  switch (a.why) {
    case 'cutover':
      return ['Normal', 'SourceDeleted', `deleted source pod "${a.name}"`];
    case 'rollback':
      return ['Normal', 'TargetDeleted', `deleted restored pod (rollback) "${a.name}"`];
    case 'fallback':
      return [
        'Warning',
        'RestoreFellBack',
        `restored pod "${a.name}" cannot run from the checkpoint (${a.cause}); the source is ` +
          'gone, so the workload starts afresh from its original image: its memory state is lost',
      ];
    case 'reintercept':
      return [
        'Warning',
        'RestoreNotIntercepted',
        `the StatefulSet re-created pod "${a.name}" without the restore (the restore webhook did ` +
          'not answer); deleted it once so that the StatefulSet creates it again through the webhook',
      ];
  }
}

/** The API's refusal to create anything in a namespace that is being deleted. */
function namespaceTerminating(err: unknown): boolean {
  const body = (err as { body?: unknown }).body;
  return apiErrorCode(err) === 403 && String(body).includes('NamespaceTerminating');
}

/** Awaits `p`; resolves true when it failed with one of the tolerated HTTP codes. */
async function tolerate(codes: number | number[], p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (err) {
    if ([codes].flat().includes(apiErrorCode(err) ?? 0)) return true;
    throw err;
  }
}

function failure(a: Action, err: unknown): Outcome {
  if (err instanceof KubeletError) {
    const reason = err.podGone
      ? 'SourcePodGone'
      : err.status === 404
        ? 'CheckpointNotSupported'
        : 'CheckpointFailed';
    return { ok: false, transient: err.transient, reason, message: err.message };
  }
  const code = apiErrorCode(err);
  // the finalizer patch conflicts when the Migration changed: requeue like any stale read
  if (code === 409) throw err;
  const transient = code === undefined || code >= 500 || code === 429;
  const body = (err as { body?: unknown }).body;
  const detail = typeof body === 'string' ? body.slice(0, 300) : String(err);
  return {
    ok: false,
    transient,
    reason: reasonFor(a),
    message: `cannot ${describe(a)}: ${detail}`,
  };
}

/** What an action does, for error messages. */
function describe(a: Action): string {
  switch (a.type) {
    case 'createJob':
      return `create the imaging Job "${a.job.metadata?.name}"`;
    case 'deleteJob':
      return `delete the imaging Job "${a.name}"`;
    case 'createPod':
      return `create the restored pod "${a.pod.metadata?.name}"`;
    case 'deletePod':
      return `delete ${a.why === 'cutover' ? 'the source' : 'the restored'} pod "${a.name}"`;
    case 'patchPod':
      return `label pod "${a.name}" for the ReplicaSet`;
    case 'checkpoint':
      return `checkpoint container "${a.container}"`;
    case 'deleteImages':
      return 'delete the checkpoint images';
    case 'deleteMigration':
      return 'delete the Migration (its TTL is over)';
    default:
      return a.type === 'addFinalizer' ? 'add the finalizer' : 'remove the finalizer';
  }
}

/** A CamelCase reason for a failed API action. */
function reasonFor(a: Action): string {
  switch (a.type) {
    case 'createJob':
    case 'deleteJob':
      return 'ImagingJobError';
    case 'createPod':
      return 'RestoreFailed';
    case 'deletePod':
      return 'PodDeleteFailed';
    case 'patchPod':
      return 'PodPatchFailed';
    default:
      return 'ReconcileError';
  }
}
