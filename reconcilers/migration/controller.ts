/**
 * The Migration controller factory, registered in operator/controllers.ts: informers for what
 * the state machine reads, and a controller reconciling a Migration whenever it, its imaging
 * Job or a pod it labelled changes (and when a pass asks to look again).
 */
import { readFileSync } from 'node:fs';
import type { KubernetesObject, V1Job, V1Node, V1Pod } from '@kubernetes/client-node';
import {
  API_VERSION,
  EDGE_NODE_PLURAL,
  MIGRATION_PLURAL,
  type EdgeNode,
  type Migration,
} from '../api/types.ts';
import { KubeletError, createKubeletClient, type KubeletClient } from '../kubelet/client.ts';
import type { ControllerContext, ControllerFactory } from '../operator/context.ts';
import type { OperatorConfig } from '../runtime/config.ts';
import { Controller } from '../runtime/controller.ts';
import { keyOf } from '../runtime/kube.ts';
import type { MigrationConfig } from './model.ts';
import { MIGRATION_LABEL } from './names.ts';
import { kubeCluster } from './cluster.ts';
import { MigrationReconciler } from './reconciler.ts';
import { registryCheck } from './registry-check.ts';
import {
  ensureInstaller,
  ensureRestoreKey,
  installerDaemonSet,
  INSTALLER_SELECTOR,
  type InstallerSettings,
} from '../restore/installer.ts';

/**
 * The state machine's settings, from the operator's (runtime/config.ts). The registry CA
 * bundle is read once, here.
 */
export function migrationConfig(config: OperatorConfig): MigrationConfig {
  const { migration } = config;
  return {
    defaultRepository: config.registryRepository,
    defaultPushSecret: migration.pushSecret,
    defaultPullSecret: migration.pullSecret,
    ...(config.registryCA ? { registryCaPem: readFileSync(config.registryCA, 'utf8') } : {}),
    registryPlainHttp: config.registryPlainHttp,
    imagerImage: config.image.name,
    imagePullSecret: config.image.pullSecret,
    imagerServiceAccount: config.serviceAccounts.imager,
    checkpointTimeoutSeconds: migration.checkpointTimeoutSeconds,
    maxAttempts: 5,
    jobBackoffLimit: 3,
    pollMs: 2000,
    pullGraceMs: migration.pullGraceSeconds * 1000,
    eventPollMs: 15_000,
    jobTtlSeconds: migration.jobTtlSeconds,
    ttl: migration.ttl,
    restore: { runtimeClassName: config.restore.runtimeClassName },
    reportingInstance: config.identity,
  };
}

/** The restore installer's settings, when the operator runs it (CONTINUUM_RESTORE_INSTALLER). */
export function installerSettings(
  config: OperatorConfig,
  cfg: MigrationConfig,
): InstallerSettings | undefined {
  const { installer } = config.restore;
  if (!installer) return undefined;
  return {
    namespace: config.namespace,
    image: cfg.imagerImage,
    ...(cfg.imagePullSecret ? { imagePullSecret: cfg.imagePullSecret } : {}),
    nodeSelector: installer.nodeSelector,
    hostDir: installer.hostDir,
  };
}

/** The signing key, and the installer when wanted; a failure leaves RuntimeClass restores off. */
async function restoreSetup(ctx: ControllerContext, cfg: MigrationConfig): Promise<void> {
  const { namespace } = ctx.config;
  try {
    const key = await ensureRestoreKey(ctx.kc, namespace);
    cfg.restore.signer = { issuer: namespace, key };
    const installer = installerSettings(ctx.config, cfg);
    if (installer) await ensureInstaller(ctx.kc, installerDaemonSet(installer, key));
  } catch (err) {
    ctx.log.warn(
      { err: String(err) },
      'restores through the runc wrapper are off: no restore key or installer',
    );
  }
}

export const migrationControllerFactory: ControllerFactory = {
  name: 'migration',
  async create(ctx) {
    const { informers } = ctx;
    // only the Migrations of one namespace (tests sharing a cluster)
    const watched = ctx.config.watchNamespace;
    const scope = watched ? `/namespaces/${encodeURIComponent(watched)}` : '';
    const caches = {
      nodes: informers.informer<V1Node>({ path: '/api/v1/nodes' }),
      jobs: informers.informer<V1Job>({
        path: `/apis/batch/v1${scope}/jobs`,
        labelSelector: MIGRATION_LABEL,
      }),
      labelledPods: informers.informer<V1Pod>({
        path: `/api/v1${scope}/pods`,
        labelSelector: MIGRATION_LABEL,
      }),
      migrations: informers.informer<Migration>({
        path: `/apis/${API_VERSION}${scope}/${MIGRATION_PLURAL}`,
      }),
      edgeNodes: informers.informer<EdgeNode>({ path: `/apis/${API_VERSION}/${EDGE_NODE_PLURAL}` }),
      installerPods: informers.informer<V1Pod>({
        path: `/api/v1/namespaces/${encodeURIComponent(ctx.config.namespace)}/pods`,
        labelSelector: INSTALLER_SELECTOR,
      }),
    };
    const config = migrationConfig(ctx.config);
    await restoreSetup(ctx, config);
    const reconciler = new MigrationReconciler({
      cluster: kubeCluster(ctx.kc),
      caches,
      registry: registryCheck({ ca: config.registryCaPem, plainHttp: config.registryPlainHttp }),
      kubelet: kubeletClient(ctx),
      config,
      log: ctx.log,
      metrics: ctx.metrics,
    });
    const controller = new Controller({
      name: 'migration',
      reconciler,
      log: ctx.log,
      concurrency: 8,
    });
    controller.watch(caches.migrations, keyOf, specOrDeletionChanged);
    controller.watch(caches.jobs, owningMigration);
    controller.watch(caches.labelledPods, owningMigration, podStateChanged);
    return [controller];
  },
};

/**
 * Whether an update of a Migration needs a pass: its spec (generation) or its deletion changed.
 * Status and finalizer updates are this operator's own writes, and the pass that made them
 * already asked to come back when it needs to (requeueAfterMs), so they bring none.
 */
function specOrDeletionChanged(m: Migration, old: Migration): boolean {
  return (
    m.metadata.generation !== old.metadata.generation ||
    !!m.metadata.deletionTimestamp !== !!old.metadata.deletionTimestamp
  );
}

/**
 * Whether an update of a restored or imaging pod can change a decision: its node, deletion,
 * labels, annotations, owners (adoption), phase, conditions or containers' states — not, say,
 * its IP alone.
 */
function podStateChanged(pod: V1Pod, old: V1Pod): boolean {
  const state = (p: V1Pod) =>
    JSON.stringify([
      p.spec?.nodeName,
      p.metadata?.deletionTimestamp,
      p.metadata?.labels,
      p.metadata?.annotations,
      p.metadata?.ownerReferences,
      p.status?.phase,
      p.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
      [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].map(
        (c) => [c.name, c.ready, c.restartCount, c.state],
      ),
    ]);
  return state(pod) !== state(old);
}

/** `namespace/<continuum.dev/migration label>` of a Job or pod the state machine created. */
function owningMigration(obj: KubernetesObject): string | undefined {
  const name = obj.metadata?.labels?.[MIGRATION_LABEL];
  return name ? `${obj.metadata?.namespace}/${name}` : undefined;
}

/** The kubelet client; without a CA bundle every checkpoint fails with the reason (restarts work). */
function kubeletClient(ctx: ControllerContext): KubeletClient {
  try {
    return createKubeletClient({
      kubeConfig: ctx.kc,
      caFile: ctx.config.kubeletCA,
      viaApiServerProxy: ctx.config.kubeletViaProxy,
    });
  } catch (err) {
    const message = (err as Error).message;
    ctx.log.warn({ err: message }, 'checkpoints are disabled');
    return { checkpoint: () => Promise.reject(new KubeletError(message, undefined, false)) };
  }
}
