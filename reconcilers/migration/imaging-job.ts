/**
 * The imaging Job as a pure function of the Migration: pinned to the source node, the
 * checkpoint directory mounted from the host, the push Secret mounted as a docker config, one
 * `continuum imager` container per archive, after `continuum cleanup` deleted the archives that
 * were not recorded (archive-cleanup.ts). Its pods report the pushed digest as their
 * termination message.
 */
import { posix } from 'node:path';
import type {
  V1Container,
  V1Job,
  V1Pod,
  V1PodSpec,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  MIGRATION_KIND,
  type CheckpointArchive,
  type Migration,
} from '../api/types.ts';
import type { MigrationConfig } from './model.ts';
import { MIGRATION_LABEL, MIGRATION_UID_ANNOTATION, imageTag, jobName } from './names.ts';

/** Where the push Secret's `.dockerconfigjson` is mounted, as `config.json`. */
export const DOCKER_CONFIG_DIR = '/var/run/continuum/registry';

/**
 * The Job that turns the Migration's archives into images pushed to `repository`. `sweep`, if
 * given, runs first as an init container with the checkpoint directories mounted.
 */
export function imagingJob(
  m: Migration,
  node: string,
  archives: CheckpointArchive[],
  repository: string,
  cfg: MigrationConfig,
  sweep?: V1Container,
): V1Job {
  const dirs = [...new Set(archives.map((a) => posix.dirname(a.path)))];
  const volumes: V1Volume[] = dirs.map((path, i) => ({
    name: `checkpoints-${i}`,
    hostPath: { path, type: 'Directory' },
  }));
  const mounts: V1VolumeMount[] = dirs.map((path, i) => ({
    name: `checkpoints-${i}`,
    mountPath: path,
  }));
  const sweeping = sweep && [{ ...sweep, volumeMounts: [...mounts] }];
  const credentials: string[] = [];
  const secret = m.spec.image?.pushSecretRef?.name ?? cfg.defaultPushSecret;
  if (secret) {
    volumes.push({
      name: 'registry',
      secret: { secretName: secret, items: [{ key: '.dockerconfigjson', path: 'config.json' }] },
    });
    mounts.push({ name: 'registry', mountPath: DOCKER_CONFIG_DIR, readOnly: true });
    credentials.push('--docker-config', `${DOCKER_CONFIG_DIR}/config.json`);
  }
  const labels = { [MIGRATION_LABEL]: m.metadata.name! };
  const annotations = { [MIGRATION_UID_ANNOTATION]: m.metadata.uid! };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(m),
      namespace: m.metadata.namespace,
      labels,
      annotations,
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: MIGRATION_KIND,
          name: m.metadata.name!,
          uid: m.metadata.uid!,
          controller: true,
        },
      ],
    },
    spec: {
      backoffLimit: cfg.jobBackoffLimit,
      // kept after it finished, with its pods and their logs, for a look at what happened
      ttlSecondsAfterFinished: cfg.jobTtlSeconds,
      // Another pod cannot fix bad input (exit code 2), credentials (3) or a refused image (5)
      // (`continuum imager --help`): only transient failures (4, 1, a lost pod) are retried.
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { operator: 'In', values: [2, 3, 5] } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: {
        metadata: { labels, annotations },
        spec: sourceNodePodSpec(node, cfg, {
          volumes,
          ...(sweeping ? { initContainers: sweeping } : {}),
          containers: archives.map((a) => ({
            name: a.container,
            image: cfg.imagerImage,
            command: ['continuum', 'imager'],
            args: [
              ...['--archive', a.path, '--container', a.container],
              ...['--repository', repository, '--tag', imageTag(m, a.container)],
              ...credentials,
              ...(cfg.registryPlainHttp ? ['--plain-http'] : []),
            ],
            ...(cfg.registryCaPem
              ? { env: [{ name: 'CONTINUUM_CA_PEM', value: cfg.registryCaPem }] }
              : {}),
            volumeMounts: mounts,
            // kubelet archives are readable by root only
            securityContext: { runAsUser: 0 },
            terminationMessagePolicy: 'File',
          })),
        }),
      },
    },
  };
}

/** A pod of the imager's identity pinned to the source node, where the archives are. */
export function sourceNodePodSpec(
  node: string,
  cfg: MigrationConfig,
  spec: Pick<V1PodSpec, 'volumes' | 'containers' | 'initContainers'>,
): V1PodSpec {
  return {
    nodeName: node,
    restartPolicy: 'Never',
    serviceAccountName: cfg.imagerServiceAccount,
    automountServiceAccountToken: false,
    tolerations: [{ operator: 'Exists' }],
    ...(cfg.imagePullSecret ? { imagePullSecrets: [{ name: cfg.imagePullSecret }] } : {}),
    ...spec,
  };
}

/**
 * The digest a container of the Job's pods reported (its termination message after exiting 0),
 * newest pod first; undefined while none has.
 */
export function reportedDigest(pods: V1Pod[], container: string): string | undefined {
  for (const pod of newestFirst(pods)) {
    const term = pod.status?.containerStatuses?.find((s) => s.name === container)?.state
      ?.terminated;
    const digest =
      term?.exitCode === 0 ? /sha256:[a-f0-9]{64}/.exec(term.message ?? '')?.[0] : undefined;
    if (digest) return digest;
  }
  return undefined;
}

/** The last failure a container of the Job's pods reported, for the failure message. */
export function reportedFailure(pods: V1Pod[]): string | undefined {
  for (const pod of newestFirst(pods)) {
    for (const s of [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ]) {
      const term = s.state?.terminated;
      if (term && term.exitCode !== 0) {
        const why = (term.message || term.reason || `exit code ${term.exitCode}`).trim();
        // the root cause ends the message: keep the end of a long one
        return `container "${s.name}": ${why.length > 600 ? `…${why.slice(-600)}` : why}`;
      }
    }
  }
  return undefined;
}

/** The pods, newest first (ties by name). */
export function newestFirst(pods: V1Pod[]): V1Pod[] {
  const t = (p: V1Pod): number => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
  return [...pods].sort(
    (a, b) => t(b) - t(a) || (b.metadata?.name ?? '').localeCompare(a.metadata?.name ?? ''),
  );
}
