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
 * Settings beyond the operator flags, from the environment (the chart's ConfigMap):
 * CONTINUUM_IMAGE (image of the imaging Job), CONTINUUM_IMAGE_PULL_SECRET (the Secret that
 * pulls it), CONTINUUM_IMAGER_SERVICE_ACCOUNT,
 * CONTINUUM_REGISTRY_PUSH_SECRET / _PULL_SECRET (defaults of spec.image),
 * CONTINUUM_REGISTRY_PLAIN_HTTP (true: the registry speaks plain HTTP),
 * CONTINUUM_CHECKPOINT_TIMEOUT (seconds), CONTINUUM_PULL_GRACE (seconds an imaging or restored
 * pod may fail to pull an image before the Migration stops waiting), CONTINUUM_JOB_TTL (seconds
 * a finished Job stays), CONTINUUM_MIGRATION_TTL_DONE / _FAILED (seconds a finished Migration
 * stays, default 1 hour / 7 days; negative: kept), CONTINUUM_RESTORE_RUNTIME_CLASS (the runc
 * wrapper's RuntimeClass, default continuum). The registry CA bundle is read once, here.
 */
export function migrationConfig(config: OperatorConfig, env = process.env): MigrationConfig {
  return {
    defaultRepository: config.registryRepository,
    defaultPushSecret: env.CONTINUUM_REGISTRY_PUSH_SECRET || undefined,
    defaultPullSecret: env.CONTINUUM_REGISTRY_PULL_SECRET || undefined,
    ...(config.registryCA ? { registryCaPem: readFileSync(config.registryCA, 'utf8') } : {}),
    registryPlainHttp: env.CONTINUUM_REGISTRY_PLAIN_HTTP === 'true',
    imagerImage: env.CONTINUUM_IMAGE || 'ghcr.io/continuum-dev/continuum:0.1.0',
    imagePullSecret: env.CONTINUUM_IMAGE_PULL_SECRET || undefined,
    imagerServiceAccount: env.CONTINUUM_IMAGER_SERVICE_ACCOUNT || 'continuum-imager',
    checkpointTimeoutSeconds: Number(env.CONTINUUM_CHECKPOINT_TIMEOUT || 60),
    maxAttempts: 5,
    jobBackoffLimit: 3,
    pollMs: 2000,
    pullGraceMs: Number(env.CONTINUUM_PULL_GRACE || 60) * 1000,
    eventPollMs: 15_000,
    jobTtlSeconds: Number(env.CONTINUUM_JOB_TTL || 600),
    ttl: {
      doneSeconds: ttlSeconds(env.CONTINUUM_MIGRATION_TTL_DONE, 3600),
      failedSeconds: ttlSeconds(env.CONTINUUM_MIGRATION_TTL_FAILED, 7 * 86400),
    },
    restore: { runtimeClassName: env.CONTINUUM_RESTORE_RUNTIME_CLASS || 'continuum' },
  };
}

/** A TTL setting in seconds: empty → `fallback`, negative → none (kept). */
function ttlSeconds(value: string | undefined, fallback: number): number | undefined {
  const seconds = value ? Number(value) : fallback;
  if (!Number.isFinite(seconds)) throw new Error(`not a number of seconds: "${value}"`);
  return seconds < 0 ? undefined : seconds;
}

/**
 * The restore installer's settings when CONTINUUM_RESTORE_INSTALLER is true:
 * CONTINUUM_RESTORE_NODE_SELECTOR (`key=value,…`, default continuum.dev/layer=cloud) and
 * CONTINUUM_RESTORE_HOST_DIR (default /opt/continuum).
 */
export function installerSettings(
  config: OperatorConfig,
  cfg: MigrationConfig,
  env = process.env,
): InstallerSettings | undefined {
  if (env.CONTINUUM_RESTORE_INSTALLER !== 'true') return undefined;
  const selector = env.CONTINUUM_RESTORE_NODE_SELECTOR || 'continuum.dev/layer=cloud';
  return {
    namespace: config.namespace,
    image: cfg.imagerImage,
    ...(cfg.imagePullSecret ? { imagePullSecret: cfg.imagePullSecret } : {}),
    nodeSelector: Object.fromEntries(
      selector
        .split(',')
        .map((pair) => pair.split('=', 2).map((p) => p.trim()) as [string, string]),
    ),
    hostDir: env.CONTINUUM_RESTORE_HOST_DIR || '/opt/continuum',
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
    // CONTINUUM_WATCH_NAMESPACE: only the Migrations of one namespace (tests sharing a cluster)
    const watched = process.env.CONTINUUM_WATCH_NAMESPACE;
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
    controller.watch(caches.migrations);
    controller.watch(caches.jobs, owningMigration);
    controller.watch(caches.labelledPods, owningMigration);
    return [controller];
  },
};

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
