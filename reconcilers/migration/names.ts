/**
 * Deterministic names and labels derived from the Migration: a pass repeated after a crash
 * finds the objects the previous pass created instead of creating new ones.
 */
import type { Migration } from '../api/types.ts';

/** Label on restored pods and imaging Jobs: the Migration's name. */
export const MIGRATION_LABEL = 'continuum.dev/migration';
/** Annotation on restored pods and imaging Jobs: the Migration's UID (ownership check). */
export const MIGRATION_UID_ANNOTATION = 'continuum.dev/migration-uid';
/** Annotation on restored pods: JSON of the original image of each container given a checkpoint image. */
export const SOURCE_IMAGES_ANNOTATION = 'continuum.dev/source-images';

/** The first 8 hex digits of the Migration's UID, unique enough within one namespace. */
export function shortUid(m: Migration): string {
  return (m.metadata.uid ?? '').replace(/-/g, '').slice(0, 8);
}

/** The imaging Job: `imager-<uid>` (full UID: Job names are labels, at most 63 characters). */
export function jobName(m: Migration): string {
  return `imager-${m.metadata.uid}`;
}

/** The Job that removes a deleted Migration's archives: `cleanup-<uid>`. */
export function cleanupJobName(m: Migration): string {
  return `cleanup-${m.metadata.uid}`;
}

/** The pod's name with `suffix`, the pod part cut so the whole stays a DNS label. */
function podNameWith(m: Migration, suffix: string): string {
  return m.spec.podName.slice(0, 63 - suffix.length).replace(/[-.]+$/, '') + suffix;
}

/** The restored pod: `<pod>-<short uid>`. */
export function targetPodName(m: Migration): string {
  return podNameWith(m, `-${shortUid(m)}`);
}

/**
 * The pod that replaces a restored pod that could not run from its checkpoint once the source
 * was gone: `<pod>-<short uid>-fresh`, started from the original images.
 */
export function fallbackPodName(m: Migration): string {
  return podNameWith(m, `-${shortUid(m)}-fresh`);
}

/** The checkpoint image's tag for one container: `<short uid>-<container>`. */
export function imageTag(m: Migration, container: string): string {
  return `${shortUid(m)}-${container}`.slice(0, 128);
}
