/**
 * The one way continuum writes a resource's status (Migrations, MigrationPolicies, EdgeNodes):
 * a merge patch of the status subresource, sent only when the status changed (compared as JSON
 * carries it), with the resourceVersion read as a precondition — a pass that computed from a
 * stale object gets a 409 and is requeued — and null for each top-level field the stored status
 * had and the new one lacks (a merge patch would otherwise keep it).
 */
import { isDeepStrictEqual } from 'node:util';

interface Stored {
  metadata?: { resourceVersion?: string };
  status?: object;
}

/** The patch that turns `stored.status` into `status`; undefined when they are equal. */
export function statusPatch(stored: Stored, status: object): object | undefined {
  const prev = plain(stored.status ?? {});
  const next = plain(status);
  if (isDeepStrictEqual(prev, next)) return undefined;
  for (const key of Object.keys(prev)) if (!(key in next)) next[key] = null;
  return { metadata: { resourceVersion: stored.metadata?.resourceVersion }, status: next };
}

/** `value` as JSON carries it: undefined fields dropped. */
function plain(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
