/**
 * Folds the outcomes of a pass's actions into the status to record (pure). When every action
 * succeeded, the decided status stands, plus the archives the kubelet named. When one failed,
 * the decided transition did not happen: the stored status stands, plus the archives of the
 * checkpoints that did succeed, one more attempt (kubelet calls only), and Synced False; a
 * permanent failure, or too many attempts, fails the Migration.
 */
import type { MigrationStatus } from '../api/types.ts';
import type { Decision, MigrationConfig, Observed, Outcome } from './model.ts';
import { withArchive } from './phases/checkpointing.ts';
import { IMAGES_DELETED } from './phases/done.ts';
import { setCondition } from '../api/conditions.ts';
import { copyStatus, fail } from './status.ts';

export interface Settled {
  status: MigrationStatus;
  /** The failure to retry with backoff, when an action failed transiently. */
  retry?: string;
}

export function settle(
  o: Observed,
  d: Decision,
  outcomes: Outcome[],
  now: Date,
  cfg: MigrationConfig,
): Settled {
  const m = o.migration;
  const i = outcomes.findIndex((x) => !x.ok);
  const failed = outcomes[i] as Extract<Outcome, { ok: false }> | undefined;
  const status = failed ? copyStatus(m) : structuredClone(d.status);
  if (failed) status.observedGeneration = m.metadata.generation;
  for (const x of outcomes) {
    if (x.ok && x.archive) withArchive(status, x.archive);
    if (x.ok && x.imagesDeleted) {
      setCondition(status, { type: IMAGES_DELETED, ...x.imagesDeleted }, now, m);
    }
  }
  if (!failed) return { status };

  // only kubelet calls are counted: API server errors are retried until the deadline
  const counted = d.actions[i]?.type === 'checkpoint';
  const attempts = (status.attempts ?? 0) + (counted ? 1 : 0);
  if (counted) status.attempts = attempts;
  const terminal = status.phase === 'Done' || status.phase === 'Failed';
  if (!terminal && (!failed.transient || (counted && attempts >= cfg.maxAttempts))) {
    const after = failed.transient ? ` (after ${attempts} attempts)` : '';
    fail(m, status, failed.reason, `${failed.message}${after}`, now);
    return { status };
  }
  setCondition(
    status,
    { type: 'Synced', status: 'False', reason: failed.reason, message: failed.message },
    now,
    m,
  );
  return { status, retry: failed.message };
}
