/**
 * record: writes the status when it changed (a merge patch of the status subresource that
 * carries the resourceVersion read, so a stale pass gets a 409 and is requeued), and Events
 * for things that happened: phase transitions and deletions.
 */
import { isDeepStrictEqual } from 'node:util';
import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import {
  API_VERSION,
  GROUP,
  MIGRATION_KIND,
  MIGRATION_PLURAL,
  VERSION,
  type Migration,
  type MigrationStatus,
} from '../api/types.ts';
import { apiErrorCode, patchCustomResource } from '../runtime/kube.ts';
import type { MigrationConfig } from './model.ts';

/** Writes `status` unless it equals the stored one; returns the stored Migration. */
export async function recordStatus(
  kc: KubeConfig,
  m: Migration,
  status: MigrationStatus,
): Promise<Migration> {
  if (isDeepStrictEqual(m.status ?? {}, status)) return m;
  const patch = {
    metadata: { resourceVersion: m.metadata.resourceVersion },
    status: withNulls(m.status ?? {}, status),
  };
  try {
    return await patchCustomResource<Migration>(kc, ref(m), patch, { status: true });
  } catch (err) {
    if (apiErrorCode(err) === 404 && m.metadata.deletionTimestamp) return m; // finalizer removed: gone
    throw err;
  }
}

/** Merge-patches metadata.finalizers to `finalizers` (conflict-checked by resourceVersion). */
export async function patchFinalizers(
  kc: KubeConfig,
  m: Migration,
  finalizers: string[],
): Promise<Migration> {
  const patch = { metadata: { resourceVersion: m.metadata.resourceVersion, finalizers } };
  return patchCustomResource<Migration>(kc, ref(m), patch);
}

/**
 * Records an Event on the Migration, reported by this replica (`config.reportingInstance`);
 * failures are returned, not thrown (Events are best effort).
 */
export async function emitEvent(
  { kc, config }: { kc: KubeConfig; config: Pick<MigrationConfig, 'reportingInstance'> },
  m: Migration,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<Error | undefined> {
  const now = new Date();
  const body: CoreV1Event = {
    metadata: { generateName: `${m.metadata.name}.`, namespace: m.metadata.namespace },
    involvedObject: {
      apiVersion: API_VERSION,
      kind: MIGRATION_KIND,
      name: m.metadata.name,
      namespace: m.metadata.namespace,
      uid: m.metadata.uid,
      resourceVersion: m.metadata.resourceVersion,
    },
    type,
    reason,
    message,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    source: { component: 'continuum-operator' },
    reportingComponent: 'continuum.dev/operator',
    reportingInstance: config.reportingInstance,
  };
  try {
    await kc
      .makeApiClient(CoreV1Api)
      .createNamespacedEvent({ namespace: m.metadata.namespace!, body });
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

function ref(m: Migration): Parameters<typeof patchCustomResource>[1] {
  return {
    group: GROUP,
    version: VERSION,
    plural: MIGRATION_PLURAL,
    namespace: m.metadata.namespace,
    name: m.metadata.name!,
  };
}

/** `next`, with `null` for top-level fields `prev` had and `next` has not (merge-patch deletion). */
function withNulls(prev: MigrationStatus, next: MigrationStatus): Record<string, unknown> {
  const out: Record<string, unknown> = { ...next };
  for (const key of Object.keys(prev)) if (!(key in next)) out[key] = null;
  return out;
}
