/**
 * The MigrationPolicy status controller in the operator: reconciles a policy when it changes,
 * when a Migration carrying its label appears, changes or goes, and when the trigger's NATS
 * connection comes or goes; writes its status (Ready, how many of its Migrations exist, when it
 * last created one) when that changed. The trigger's factory builds it, with the trigger's
 * connection. An operator restricted to one namespace (CONTINUUM_WATCH_NAMESPACE, tests sharing
 * a cluster) does not run it: policies are cluster-wide and counting one namespace would be wrong.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import {
  API_VERSION,
  GROUP,
  MIGRATION_PLURAL,
  MIGRATION_POLICY_PLURAL,
  VERSION,
  type Migration,
  type MigrationPolicy,
} from '../api/types.ts';
import type { ControllerContext } from '../operator/context.ts';
import { Controller, type ReconcileResult, type Reconciler } from '../runtime/controller.ts';
import type { Informer } from '../runtime/informer.ts';
import { writeStatus } from '../runtime/kube.ts';
import { POLICY_LABEL } from '../trigger/decide.ts';
import type { TriggerConnection } from '../trigger/subscriber.ts';
import { policyStatus, type TriggerState } from './status.ts';

/**
 * How long the trigger may be disconnected before its policies say NatsUnreachable: longer than
 * a NATS restart or the operator's own first connection, so that Ready does not flap.
 */
export const UNREACHABLE_AFTER_MS = 10_000;

/** The trigger's state now, and when it will change by itself (end of the grace period). */
function triggerState(
  connection: TriggerConnection | undefined,
  now: number,
): { state: TriggerState; recheckInMs?: number } {
  if (!connection) return { state: 'notRunning' };
  if (connection.connected()) return { state: 'connected' };
  const left = connection.changedAt() + UNREACHABLE_AFTER_MS - now;
  return left > 0 ? { state: 'settling', recheckInMs: left } : { state: 'unreachable' };
}

class PolicyStatusReconciler implements Reconciler {
  constructor(
    private readonly kc: KubeConfig,
    private readonly policies: Informer<MigrationPolicy>,
    private readonly migrations: Informer<Migration>,
    private readonly connection: TriggerConnection | undefined,
  ) {}

  async reconcile(name: string): Promise<ReconcileResult | void> {
    const policy = this.policies.get(name);
    if (!policy || policy.metadata.deletionTimestamp) return;
    const migrations = this.migrations
      .list()
      .filter((m) => m.metadata.labels?.[POLICY_LABEL] === name);
    const now = new Date();
    const trigger = triggerState(this.connection, now.getTime());
    const status = policyStatus(policy, { migrations, trigger: trigger.state }, now);
    const ref = { group: GROUP, version: VERSION, plural: MIGRATION_POLICY_PLURAL, name };
    await writeStatus(this.kc, ref, policy, status);
    return trigger.recheckInMs === undefined ? undefined : { requeueAfterMs: trigger.recheckInMs };
  }
}

/**
 * The controller, or none in an operator watching one namespace. `connection` is the trigger's
 * (undefined when the operator has no NATS URL and runs no trigger).
 */
export function policyStatusControllers(
  ctx: ControllerContext,
  connection: TriggerConnection | undefined,
): Controller[] {
  if (ctx.config.watchNamespace) {
    ctx.log.info('watching one namespace: the MigrationPolicy status controller does not run');
    return [];
  }
  const policies = ctx.informers.informer<MigrationPolicy>({
    path: `/apis/${API_VERSION}/${MIGRATION_POLICY_PLURAL}`,
  });
  const migrations = ctx.informers.informer<Migration>({
    path: `/apis/${API_VERSION}/${MIGRATION_PLURAL}`,
  });
  const reconciler = new PolicyStatusReconciler(ctx.kc, policies, migrations, connection);
  const controller = new Controller({ name: 'policy-status', reconciler, log: ctx.log });
  controller.watch(policies);
  controller.watch(migrations, (m) => m.metadata.labels?.[POLICY_LABEL]);
  connection?.onChange(() => {
    for (const p of policies.list()) if (p.metadata.name) controller.enqueue(p.metadata.name);
  });
  return [controller];
}
