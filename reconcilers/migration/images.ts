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
 * The images `observe` must look up in the registry, by container: the digests the imaging
 * Job's pods reported for containers whose image is not yet recorded, in the repository.
 */
export function imagesToVerify(
  o: Pick<Observed, 'migration' | 'job' | 'jobPods'>,
  cfg: MigrationConfig,
): Record<string, string> {
  const status = o.migration.status ?? {};
  const repository = repositoryOf(o.migration, cfg);
  const refs: Record<string, string> = {};
  if (status.phase !== 'Imaging' || !repository) return refs;
  for (const a of archivesOf(status).filter((a) => !imageOf(status, a.container))) {
    const digest = reportedDigest(o.jobPods, a.container);
    if (digest) refs[a.container] = `${repository}@${digest}`;
  }
  return refs;
}
