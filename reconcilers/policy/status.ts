/**
 * The status of a MigrationPolicy, a pure function of what was observed: the Migrations that
 * carry its label (the trigger labels every Migration it creates), and whether the trigger runs
 * at all. `lastTriggered` never moves back, so deleting old Migrations keeps it.
 */
import type { Migration, MigrationPolicy, MigrationPolicyStatus } from '../api/types.ts';
import { setCondition } from '../migration/status.ts';

export interface PolicyObservation {
  /** The Migrations labelled with this policy's name, in every namespace. */
  migrations: Migration[];
  /** Whether this operator runs the trigger (it needs a NATS URL). */
  triggerRunning: boolean;
}

export function policyStatus(
  policy: MigrationPolicy,
  o: PolicyObservation,
  now: Date,
): MigrationPolicyStatus {
  // creationTimestamp is typed Date but arrives as an RFC3339 string: new Date takes both
  const times = [
    ...o.migrations.map((m) => m.metadata.creationTimestamp),
    policy.status?.lastTriggered,
  ]
    .filter((t) => t !== undefined)
    .map((t) => new Date(t).getTime())
    .filter(Number.isFinite);
  const status: MigrationPolicyStatus = {
    observedGeneration: policy.metadata.generation,
    conditions: structuredClone(policy.status?.conditions ?? []),
    migrationsCreated: o.migrations.length,
    ...(times.length ? { lastTriggered: new Date(Math.max(...times)).toISOString() } : {}),
  };
  setCondition(
    status,
    o.triggerRunning
      ? {
          type: 'Ready',
          status: 'True',
          reason: 'Active',
          message: 'the trigger evaluates this policy on the metrics of its edge nodes',
        }
      : {
          type: 'Ready',
          status: 'False',
          reason: 'TriggerNotRunning',
          message: 'the operator has no NATS URL: no metrics arrive, so this policy never fires',
        },
    now,
    policy,
  );
  return status;
}
