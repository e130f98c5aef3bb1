/**
 * The Migration reconciler shell: observe → decide → act → settle → record, then Events and
 * metrics for what happened. The only place of the state machine that does I/O in sequence;
 * the decisions are in decide.ts and the phases.
 */
import {
  MIGRATION_PHASES,
  type Migration,
  type MigrationPhase,
  type MigrationStatus,
} from '../api/types.ts';
import type { KubeletClient } from '../kubelet/client.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { apiErrorCode, splitKey } from '../runtime/kube.ts';
import { forObject, type Logger } from '../runtime/log.ts';
import type { Metrics } from '../runtime/metrics.ts';
import { act } from './act.ts';
import type { Cluster } from './cluster.ts';
import { decide } from './decide.ts';
import { MigrationReader } from './migration-reader.ts';
import { TERMINAL, type MigrationConfig } from './model.ts';
import { observe, type Caches, type ImageRegistry } from './observe.ts';
import { emitEvent, recordStatus } from './record.ts';
import { settle } from './settle.ts';
import { conditionOf } from '../api/conditions.ts';
import { deadline, phaseDurations } from './status.ts';

export interface MigrationReconcilerDeps {
  cluster: Cluster;
  caches: Caches;
  registry: ImageRegistry;
  kubelet: KubeletClient;
  config: MigrationConfig;
  log: Logger;
  metrics: Metrics;
  /** The clock; tests of the shell may pin it. */
  now?: () => Date;
}

export class MigrationReconciler implements Reconciler {
  private readonly reader: MigrationReader;

  constructor(private readonly deps: MigrationReconcilerDeps) {
    this.reader = new MigrationReader(deps.cluster, deps.caches.migrations);
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    try {
      return await this.pass(key);
    } catch (err) {
      if (apiErrorCode(err) === 409) this.reader.conflicted(key);
      throw err;
    }
  }

  private async pass(key: string): Promise<ReconcileResult | void> {
    const { cluster, config } = this.deps;
    const { namespace, name } = splitKey(key);
    const current = await this.reader.read(namespace ?? '', name);
    this.countPhases();
    if (!current) return;
    const o = await observe(this.deps, current);
    const now = (this.deps.now ?? (() => new Date()))();
    const d = decide(o, now, config);
    const { outcomes, migration } = await act(this.deps, o, d.actions);
    const { status, retry } = settle(o, d, outcomes, now, config);
    this.reader.wrote(await recordStatus(cluster, migration, status));
    const log = forObject(this.deps.log, 'migration', key);
    await this.announceObstacle(o.migration, status, log);
    const cutover = d.actions.findIndex((a) => a.type === 'deletePod' && a.toldBySucceeded);
    await this.announce(o.migration, status, log, cutover >= 0 && !!outcomes[cutover]?.ok);
    if (retry) throw new Error(retry);
    if (o.migration.metadata.deletionTimestamp) return;
    // a finished Migration comes back when its TTL is over
    if (TERMINAL.includes(status.phase ?? 'Pending')) {
      return d.requeueAfterMs === undefined ? undefined : { requeueAfterMs: d.requeueAfterMs };
    }
    const untilDeadline = Math.max(0, deadline(o.migration).getTime() - now.getTime()) + 100;
    return { requeueAfterMs: Math.min(d.requeueAfterMs ?? untilDeadline, untilDeadline) };
  }

  /**
   * Events and metrics for a phase change that was recorded; `sourceDeleted`: by this pass, at
   * cutover (the Succeeded Event says so, instead of an Event of its own).
   */
  private async announce(
    m: Migration,
    status: MigrationStatus,
    log: Logger,
    sourceDeleted: boolean,
  ): Promise<void> {
    const from = m.status?.phase;
    const to = status.phase;
    if (!to || from === to) return;
    const { metrics } = this.deps;
    const left = from && status.phaseTransitionTimestamps?.[from];
    const entered = status.phaseTransitionTimestamps?.[to];
    if (from && left && entered) {
      metrics.phaseDuration.observe(
        { phase: from },
        (Date.parse(entered) - Date.parse(left)) / 1000,
      );
    }
    const ready = conditionOf(status, 'Ready')?.message ?? '';
    log.info({ from, to, reason: status.failureReason }, `phase ${to}`);
    if (to === 'Done' || to === 'Failed') {
      const result = to === 'Done' ? 'done' : 'failed';
      metrics.migrationsCompleted.inc({ result, restore_policy: m.spec.restorePolicy });
    }
    const err =
      to === 'Failed'
        ? await emitEvent(this.deps, m, 'Warning', status.failureReason ?? 'Failed', ready)
        : await emitEvent(
            this.deps,
            m,
            'Normal',
            to === 'Done' ? 'Succeeded' : to,
            eventMessage(m, status, to, sourceDeleted),
          );
    if (err) log.warn({ err: String(err) }, 'cannot record an Event');
  }

  /**
   * A Warning Event (and a warning log) when a pass meets a new obstacle (Synced turns False,
   * or its reason changes): a stuck pod or an unreachable registry shows in `kubectl describe`
   * within seconds, not only at the deadline.
   */
  private async announceObstacle(m: Migration, status: MigrationStatus, log: Logger) {
    const before = m.status && conditionOf(m.status, 'Synced');
    const after = conditionOf(status, 'Synced');
    if (after?.status !== 'False') return;
    if (before?.status === 'False' && before.reason === after.reason) return;
    log.warn({ reason: after.reason }, after.message ?? '');
    const err = await emitEvent(
      this.deps,
      m,
      'Warning',
      after.reason ?? 'Obstacle',
      after.message ?? '',
    );
    if (err) log.warn({ err: String(err) }, 'cannot record an Event');
  }

  private countPhases(): void {
    const counts: Partial<Record<MigrationPhase, number>> = {};
    for (const m of this.deps.caches.migrations.list()) {
      const phase = m.status?.phase ?? 'Pending';
      counts[phase] = (counts[phase] ?? 0) + 1;
    }
    for (const phase of MIGRATION_PHASES) {
      this.deps.metrics.migrationsByPhase.set({ phase }, counts[phase] ?? 0);
    }
  }
}

function eventMessage(
  m: Migration,
  s: MigrationStatus,
  to: MigrationPhase,
  sourceDeleted: boolean,
): string {
  const pod = `pod "${m.spec.podName}"`;
  switch (to) {
    case 'Checkpointing':
      return `checkpointing ${pod} on node "${s.sourceNode}"`;
    case 'Imaging':
      return `checkpointed ${s.checkpoint?.archives.length ?? 0} container(s) of ${pod}; building the image`;
    case 'Restoring':
      return m.spec.restorePolicy === 'restart'
        ? `restoring ${pod} from its original image`
        : `checkpoint image verified in the registry; restoring ${pod}`;
    case 'Done': {
      const took = Object.entries(phaseDurations(s)).map(([p, secs]) => `${p} ${secs.toFixed(1)}s`);
      const deleted = sourceDeleted ? `; deleted source pod "${m.spec.podName}"` : '';
      return `${conditionOf(s, 'Ready')?.message ?? ''}${deleted} (${took.join(', ')})`;
    }
    default:
      return `${pod} is in phase ${to}`;
  }
}
