/**
 * Removing a Migration's checkpoint archives from the source node, which the kubelet never
 * does. The imager deletes the archive it pushed; every other archive is found by
 * `continuum cleanup` by name: the pod's checkpointed containers, requested while the
 * Migration was checkpointing. That includes the archive of a checkpoint call whose answer was
 * lost (the operator crashed while it was in flight, or the status write failed): its name,
 * which has the kubelet's timestamp, was never recorded, and the retry wrote another one.
 *
 * Two places run it: the imaging Job, as an init container that deletes the unrecorded
 * archives before the imagers start, and the cleanup Job of a Migration deleted before its
 * images were all pushed, which deletes them all.
 */
import { posix } from 'node:path';
import type { V1Container, V1Job } from '@kubernetes/client-node';
import {
  DEFAULT_CHECKPOINT_DIRECTORY,
  type Migration,
  type MigrationStatus,
} from '../api/types.ts';
import { archivesOf } from './images.ts';
import { sourceNodePodSpec } from './imaging-job.ts';
import type { MigrationConfig } from './model.ts';
import { cleanupJobName } from './names.ts';

/** Name of the imaging Job's init container that deletes unrecorded archives. */
const SWEEP_CONTAINER = 'sweep-orphaned-archives';

/** The kubelet's checkpoint directory on the source node: where the recorded archives are. */
function checkpointDirectory(status: MigrationStatus): string {
  const first = archivesOf(status)[0];
  return first ? posix.dirname(first.path) : DEFAULT_CHECKPOINT_DIRECTORY;
}

/**
 * When the Migration's checkpoints were requested: from entering Checkpointing (before the
 * first call) to entering Imaging (after the last answer), else to its failure, else `now`.
 * Undefined when it never checkpointed. Compared with the node's clock, so both must agree.
 */
function checkpointWindow(
  m: Migration,
  status: MigrationStatus,
  now: Date,
): { since: string; until: string } | undefined {
  const stamps = status.phaseTransitionTimestamps ?? {};
  if (m.spec.restorePolicy !== 'checkpoint' || !stamps.Checkpointing) return undefined;
  const until = stamps.Imaging ?? stamps.Failed ?? now.toISOString();
  return { since: stamps.Checkpointing, until };
}

/**
 * `continuum cleanup` on the source node: the recorded archives, and every archive of
 * `containers` requested in the window, except `keep`. The caller mounts the directory.
 */
function cleanupContainer(
  name: string,
  m: Migration,
  status: MigrationStatus,
  sweep: { window: { since: string; until: string }; containers: string[]; keep: string[] },
  cfg: MigrationConfig,
): V1Container {
  const { window, containers, keep } = sweep;
  const recorded = archivesOf(status)
    .map((a) => a.path)
    .filter((p) => !keep.includes(p));
  const byName = containers.length
    ? [
        ...['--dir', checkpointDirectory(status), '--pod', m.spec.podName],
        ...['--namespace', m.metadata.namespace!],
        ...containers.flatMap((c) => ['--container', c]),
        ...['--since', window.since, '--until', window.until],
        ...keep.flatMap((p) => ['--keep', p]),
      ]
    : [];
  return {
    name,
    image: cfg.imagerImage,
    command: ['continuum', 'cleanup'],
    args: [...recorded.flatMap((p) => ['--archive', p]), ...byName],
    // kubelet archives belong to root
    securityContext: { runAsUser: 0 },
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/**
 * The imaging Job's init container, which deletes the archives of the window that were not
 * recorded; undefined when the Migration never checkpointed. The caller mounts the directory.
 */
export function sweepContainer(
  m: Migration,
  status: MigrationStatus,
  now: Date,
  cfg: MigrationConfig,
): V1Container | undefined {
  const window = checkpointWindow(m, status, now);
  if (!window) return undefined;
  const archives = archivesOf(status);
  const sweep = {
    window,
    containers: archives.map((a) => a.container),
    keep: archives.map((a) => a.path),
  };
  return cleanupContainer(SWEEP_CONTAINER, m, status, sweep, cfg);
}

/**
 * The Job that deletes every archive of a Migration deleted before its images were all pushed:
 * the recorded ones, and those of `containers` requested while it was checkpointing. Undefined
 * when there is nothing to look for. Not owned by the Migration, which is going away: it
 * removes itself some minutes after it finished.
 */
export function cleanupJob(
  m: Migration,
  node: string,
  status: MigrationStatus,
  containers: string[],
  now: Date,
  cfg: MigrationConfig,
): V1Job | undefined {
  const window = checkpointWindow(m, status, now);
  if (!window || (!containers.length && !archivesOf(status).length)) return undefined;
  const labels = { 'continuum.dev/cleanup-of': m.metadata.name! };
  const dir = checkpointDirectory(status);
  const container = cleanupContainer('cleanup', m, status, { window, containers, keep: [] }, cfg);
  container.volumeMounts = [{ name: 'checkpoint-directory', mountPath: dir }];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: cleanupJobName(m), namespace: m.metadata.namespace, labels },
    spec: {
      backoffLimit: cfg.jobBackoffLimit,
      ttlSecondsAfterFinished: cfg.jobTtlSeconds,
      template: {
        metadata: { labels },
        spec: sourceNodePodSpec(node, cfg, {
          volumes: [
            { name: 'checkpoint-directory', hostPath: { path: dir, type: 'DirectoryOrCreate' } },
          ],
          containers: [container],
        }),
      },
    },
  };
}
