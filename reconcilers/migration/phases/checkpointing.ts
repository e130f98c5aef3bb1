/**
 * Checkpointing: one kubelet checkpoint per container, each archive recorded in status as soon
 * as the kubelet names it. A checkpoint is not repeatable (each call writes a new archive), so
 * a container with a recorded archive is never checkpointed again.
 */
import type { CheckpointArchive, MigrationStatus } from '../../api/types.ts';
import type { Decision, MigrationConfig, Observed } from '../model.ts';
import { wantedContainers } from '../pods.ts';
import { enter } from '../status.ts';

export function checkpointing(
  o: Observed,
  status: MigrationStatus,
  now: Date,
  _cfg: MigrationConfig,
): Decision {
  const m = o.migration;
  const missing = missingArchives(o, status);
  if (missing.length === 0) {
    enter(m, status, 'Imaging', now);
    return { status, actions: [], requeueAfterMs: 0 };
  }
  const node = status.sourceNode!;
  return {
    status,
    actions: missing.map((container) => ({ type: 'checkpoint' as const, node, container })),
    requeueAfterMs: 0,
  };
}

/** Containers still without an archive in status. */
export function missingArchives(o: Observed, status: MigrationStatus): string[] {
  const done = new Set(status.checkpoint?.archives.map((a) => a.container));
  return wantedContainers(o.migration, o.pod).filter((c) => !done.has(c));
}

/** Records a checkpoint's archive (replacing an earlier one of the same container). */
export function withArchive(status: MigrationStatus, archive: CheckpointArchive): void {
  const archives = (status.checkpoint ??= { archives: [] }).archives;
  const i = archives.findIndex((a) => a.container === archive.container);
  if (i < 0) archives.push(archive);
  else archives[i] = archive;
}
