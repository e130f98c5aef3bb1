/**
 * The MigrationPolicy status controller in the operator: reconciles a policy when it changes and
 * when a Migration carrying its label appears, changes or goes, and writes its status (Ready,
 * how many of its Migrations exist, when it last created one) when that changed. An operator
 * restricted to one namespace (CONTINUUM_WATCH_NAMESPACE, tests sharing a cluster) does not run
 * it: policies are cluster-wide and counting one namespace would be wrong.
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
import type { ControllerFactory } from '../operator/context.ts';
import { Controller, type Reconciler } from '../runtime/controller.ts';
import type { Informer } from '../runtime/informer.ts';
import { writeStatusIfChanged } from '../runtime/kube.ts';
import { POLICY_LABEL } from '../trigger/decide.ts';
import { policyStatus } from './status.ts';

class PolicyStatusReconciler implements Reconciler {
  constructor(
    private readonly kc: KubeConfig,
    private readonly policies: Informer<MigrationPolicy>,
    private readonly migrations: Informer<Migration>,
    private readonly triggerRunning: boolean,
  ) {}

  async reconcile(name: string): Promise<void> {
    const policy = this.policies.get(name);
    if (!policy || policy.metadata.deletionTimestamp) return;
    const migrations = this.migrations
      .list()
      .filter((m) => m.metadata.labels?.[POLICY_LABEL] === name);
    const status = policyStatus(
      policy,
      { migrations, triggerRunning: this.triggerRunning },
      new Date(),
    );
    const ref = { group: GROUP, version: VERSION, plural: MIGRATION_POLICY_PLURAL, name };
    await writeStatusIfChanged(this.kc, ref, policy.status, status);
  }
}

export const policyStatusFactory: ControllerFactory = {
  name: 'policy-status',
  create(ctx) {
    if (process.env.CONTINUUM_WATCH_NAMESPACE) {
      ctx.log.info('watching one namespace: the MigrationPolicy status controller does not run');
      return [];
    }
    const policies = ctx.informers.informer<MigrationPolicy>({
      path: `/apis/${API_VERSION}/${MIGRATION_POLICY_PLURAL}`,
    });
    const migrations = ctx.informers.informer<Migration>({
      path: `/apis/${API_VERSION}/${MIGRATION_PLURAL}`,
    });
    const reconciler = new PolicyStatusReconciler(
      ctx.kc,
      policies,
      migrations,
      Boolean(ctx.config.natsUrl),
    );
    const controller = new Controller({ name: 'policy-status', reconciler, log: ctx.log });
    controller.watch(policies);
    controller.watch(migrations, (m) => m.metadata.labels?.[POLICY_LABEL]);
    return [controller];
  },
};
