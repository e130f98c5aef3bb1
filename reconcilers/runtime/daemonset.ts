/**
 * DaemonSets the operator composes (an EdgeNode's agents, the restore installer): the
 * annotation {@link SPEC_HASH_ANNOTATION} carries a hash of the composed spec, and
 * {@link applyDaemonSet} creates the DaemonSet or replaces it only when that hash differs.
 */
import { createHash } from 'node:crypto';
import type { AppsV1Api, V1DaemonSet } from '@kubernetes/client-node';
import { apiErrorCode } from './kube.ts';

export const SPEC_HASH_ANNOTATION = 'continuum.dev/spec-hash';

/** The first `n` hex digits of the SHA-256 of `text`. */
export const shortHash = (text: string | Buffer, n: number): string =>
  createHash('sha256').update(text).digest('hex').slice(0, n);

/** The annotation of a composed spec. */
export const specHashAnnotation = (spec: V1DaemonSet['spec']): Record<string, string> => ({
  [SPEC_HASH_ANNOTATION]: shortHash(JSON.stringify(spec), 16),
});

/**
 * Creates `desired`, or replaces `existing` unless it carries the same spec hash and
 * `current(existing)` holds; returns the DaemonSet as stored.
 */
export async function applyDaemonSet(
  apps: AppsV1Api,
  desired: V1DaemonSet,
  existing: V1DaemonSet | undefined,
  current: (existing: V1DaemonSet) => boolean = () => true,
): Promise<V1DaemonSet> {
  const namespace = desired.metadata!.namespace!;
  const name = desired.metadata!.name!;
  if (!existing) {
    try {
      return await apps.createNamespacedDaemonSet({ namespace, body: desired });
    } catch (err) {
      if (apiErrorCode(err) === 409) return apps.readNamespacedDaemonSet({ name, namespace });
      throw err;
    }
  }
  const want = desired.metadata!.annotations![SPEC_HASH_ANNOTATION];
  if (existing.metadata?.annotations?.[SPEC_HASH_ANNOTATION] === want && current(existing))
    return existing;
  const body = {
    ...desired,
    metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion },
  };
  return apps.replaceNamespacedDaemonSet({ name, namespace, body });
}
