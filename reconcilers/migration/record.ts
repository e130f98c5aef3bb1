/**
 * record: writes the status when it changed (runtime/status-patch.ts: a merge patch of the
 * status subresource that carries the resourceVersion read, so a stale pass gets a 409 and is
 * requeued), and Events for things that happened: phase transitions and deletions.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import { API_VERSION, MIGRATION_KIND, type Migration, type MigrationStatus } from '../api/types.ts';
import { apiErrorCode } from '../runtime/kube.ts';
import { statusPatch } from '../runtime/status-patch.ts';
import type { Cluster } from './cluster.ts';
import type { MigrationConfig } from './model.ts';

/** Writes `status` unless it equals the stored one; returns the stored Migration. */
export async function recordStatus(
  cluster: Cluster,
  m: Migration,
  status: MigrationStatus,
): Promise<Migration> {
  const patch = statusPatch(m, status);
  if (!patch) return m;
  try {
    return await cluster.patchMigrationStatus(m, patch);
  } catch (err) {
    if (apiErrorCode(err) === 404 && m.metadata.deletionTimestamp) return m; // finalizer removed: gone
    throw err;
  }
}

/**
 * Records an Event on the Migration, reported by this replica (`config.reportingInstance`);
 * failures are returned, not thrown (Events are best effort).
 */
export async function emitEvent(
  { cluster, config }: { cluster: Cluster; config: Pick<MigrationConfig, 'reportingInstance'> },
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
    await cluster.createEvent(m.metadata.namespace!, body);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
