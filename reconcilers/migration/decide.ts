/**
 * The pure tier of the Migration reconciler: given what was observed and the time, the status
 * to write, the actions to take and when to look again. Checks that fail a Migration whatever
 * its phase (deadline, source pod or node gone) run before the phase's own step.
 */
import {
  DEFAULT_TIMEOUT_SECONDS,
  FINALIZER,
  type MigrationPhase,
  type MigrationStatus,
} from '../api/types.ts';
import type { Decision, MigrationConfig, Observed } from './model.ts';
import { BEFORE_RESTORING, TERMINAL } from './model.ts';
import { checkpointing } from './phases/checkpointing.ts';
import { finalize, terminal } from './phases/done.ts';
import { imaging } from './phases/imaging.ts';
import { pending } from './phases/pending.ts';
import { restoring } from './phases/restoring.ts';
import { isAlive } from './pods.ts';
import { setCondition } from '../api/conditions.ts';
import { copyStatus, deadline, fail, phaseOf } from './status.ts';

type Step = (o: Observed, status: MigrationStatus, now: Date, cfg: MigrationConfig) => Decision;

const steps: Record<Exclude<MigrationPhase, 'Done' | 'Failed'>, Step> = {
  Pending: pending,
  Checkpointing: checkpointing,
  Imaging: imaging,
  Restoring: restoring,
};

export function decide(o: Observed, now: Date, cfg: MigrationConfig): Decision {
  const m = o.migration;
  const status = copyStatus(m);
  status.observedGeneration = m.metadata.generation;
  const phase = phaseOf(m);
  let d: Decision;
  if (m.metadata.deletionTimestamp) {
    d = finalize(o, status, now, cfg);
  } else if (TERMINAL.includes(phase)) {
    d = terminal(o, status, now, cfg);
  } else {
    const failure = guard(o, phase, now);
    if (failure) fail(m, status, failure.reason, failure.message, now);
    d = failure
      ? terminal(o, status, now, cfg)
      : steps[phase as keyof typeof steps](o, status, now, cfg);
    // A restart Migration goes from Pending straight on to Restoring in the same pass: the
    // source it just read is what Restoring copies (a pass and a status write fewer). A restored
    // pod left by a pass that crashed before recording Restoring is AlreadyExists (success) and
    // is checked as its own by the next pass, which reads it. Not a StatefulSet's pod: its
    // source is deleted first, and the restore webhook must find Restoring recorded by then.
    const next = d.status;
    if (phase === 'Pending' && next.phase === 'Restoring' && next.owner?.kind !== 'StatefulSet') {
      d = restoring(o, d.status, now, cfg);
    }
    if (d.status.phase === 'Failed') d = { ...terminal(o, d.status, now, cfg), problem: undefined };
    // Done: back shortly for the terminal step (checkpoint images, the TTL), which runs on a pass
    // that finds the Migration Done; a restored pod that stays still would bring none.
    if (d.status.phase === 'Done') d.requeueAfterMs ??= cfg.pollMs;
    if (!m.metadata.finalizers?.includes(FINALIZER)) d.actions.unshift({ type: 'addFinalizer' });
  }
  conditions(o, d, now);
  return d;
}

/** The failure that ends the Migration whatever its phase, if any. */
export function guard(
  o: Observed,
  phase: MigrationPhase,
  now: Date,
): { reason: string; message: string } | undefined {
  const m = o.migration;
  const pod = `pod "${m.spec.podName}"`;
  if (now.getTime() >= deadline(m).getTime()) {
    const seconds = m.spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    return {
      reason: 'DeadlineExceeded',
      message: `the migration did not finish within ${seconds}s (phase ${phase})`,
    };
  }
  if (BEFORE_RESTORING.includes(phase)) {
    if (!o.pod)
      return {
        reason: phase === 'Pending' ? 'PodNotFound' : 'SourcePodGone',
        message: `${pod} does not exist`,
      };
    if (!isAlive(o.pod)) return { reason: 'SourcePodGone', message: `${pod} is being deleted` };
    if (phase !== 'Pending' && !o.node) {
      return {
        reason: 'SourceNodeGone',
        message: `node "${m.status?.sourceNode}" of ${pod} does not exist`,
      };
    }
  }
  // a StatefulSet's pod is deleted first, its replacement created after (restoring-in-place.ts)
  const inPlace = m.status?.owner?.kind === 'StatefulSet';
  if (phase === 'Restoring' && !o.targetPod && !isAlive(o.pod) && !inPlace) {
    return {
      reason: 'SourcePodGone',
      message: `${pod} was deleted before its replacement was created`,
    };
  }
  return undefined;
}

/** Ready follows the phase; Synced says whether this pass met an obstacle. */
function conditions(o: Observed, d: Decision, now: Date): void {
  const m = o.migration;
  const s = d.status;
  if (s.phase === 'Done') {
    const where = s.targetNode ? ` on node "${s.targetNode}"` : '';
    const fresh = s.restoreFallback
      ? `, started afresh from its original image: the restore failed (${s.restoreFallback.message}) and its memory state is lost`
      : '';
    const message = `pod "${m.spec.podName}" runs as "${s.targetPod}"${where}${fresh}`;
    setCondition(s, { type: 'Ready', status: 'True', reason: 'Succeeded', message }, now, m);
  } else if (s.phase !== 'Failed') {
    const phase = s.phase ?? 'Pending';
    const message = `migration of pod "${m.spec.podName}" is in phase ${phase}`;
    setCondition(s, { type: 'Ready', status: 'False', reason: phase, message }, now, m);
  }
  const synced = d.problem
    ? { status: 'False' as const, ...d.problem }
    : {
        status: 'True' as const,
        reason: 'ReconcileSuccess',
        message: 'the last pass met no obstacle',
      };
  setCondition(s, { type: 'Synced', ...synced }, now, m);
}
