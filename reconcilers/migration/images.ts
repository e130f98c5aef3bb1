/**
 * Checkpoint images in status. Each archive carries the verified image of its container
 * (`archives[].image`); `status.image` repeats it when a single container moves, which is
 * what the printer column shows. An image is recorded only once the registry confirmed it.
 */
import type { CheckpointArchive, Migration, MigrationStatus } from '../api/types.ts';
import type { MigrationConfig, Observed } from './model.ts';
import { reportedDigest } from './imaging-job.ts';

/** The repository checkpoint images go to: spec.image.repository, else the operator default. */
export function repositoryOf(m: Migration, cfg: MigrationConfig): string | undefined {
  return m.spec.image?.repository ?? cfg.defaultRepository;
}

export function archivesOf(status: MigrationStatus): CheckpointArchive[] {
  return status.checkpoint?.archives ?? [];
}

/** The verified image of a container, if recorded. */
export function imageOf(status: MigrationStatus, container: string): string | undefined {
  const archives = archivesOf(status);
  const archive = archives.find((a) => a.container === container);
  return archive?.image ?? (archive && archives.length === 1 ? status.image : undefined);
}

/** Records a verified image for a container. */
export function withImage(status: MigrationStatus, container: string, ref: string): void {
  const archives = archivesOf(status);
  const archive = archives.find((a) => a.container === container);
  if (archive) archive.image = ref;
  if (archives.length === 1) status.image = ref;
}

/**
 * The image references `observe` must look up in the registry: digests the imaging Job's pods
 * reported for containers whose image is not yet recorded. Pure; observe and decide agree.
 */
export function imageRefsToVerify(
  o: Pick<Observed, 'migration' | 'job' | 'jobPods'>,
  cfg: MigrationConfig,
): string[] {
  const status = o.migration.status ?? {};
  const repository = repositoryOf(o.migration, cfg);
  if (status.phase !== 'Imaging' || !repository) return [];
  return archivesOf(status)
    .filter((a) => !imageOf(status, a.container))
    .map((a) => reportedDigest(o.jobPods, a.container))
    .filter((d): d is string => d !== undefined)
    .map((digest) => `${repository}@${digest}`);
}
