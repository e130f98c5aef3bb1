/**
 * The status of a MigrationPolicy, a pure function of what was observed: the Migrations that
 * carry its label (the trigger labels every Migration it creates), and whether metrics reach
 * the trigger. `lastTriggered` never moves back, so deleting old Migrations keeps it.
 */
import type { Condition, Migration, MigrationPolicy, MigrationPolicyStatus } from '../api/types.ts';
import { setCondition } from '../api/conditions.ts';

/**
 * The trigger as the policies see it: not running (the operator has no NATS URL), connected
 * to NATS, unreachable (disconnected for longer than a grace period), or settling
 * (disconnected for less: a NATS restart or the operator's own start, where Ready is left as
 * it was rather than flapping).
 */
export type TriggerState = 'notRunning' | 'connected' | 'unreachable' | 'settling';

export interface PolicyObservation {
  /** The Migrations labelled with this policy's name, in every namespace. */
  migrations: Migration[];
  trigger: TriggerState;
}

const readiness: Record<
  Exclude<TriggerState, 'settling'>,
  Pick<Condition, 'status' | 'reason' | 'message'>
> = {
  connected: {
    status: 'True',
    reason: 'Active',
    message: 'the trigger evaluates this policy on the metrics of its edge nodes',
  },
  notRunning: {
    status: 'False',
    reason: 'TriggerNotRunning',
    message: 'the operator has no NATS URL: no metrics arrive, so this policy never fires',
  },
  unreachable: {
    status: 'False',
    reason: 'NatsUnreachable',
    message: 'the operator cannot reach NATS: no metrics arrive, so this policy cannot fire',
  },
};

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
  if (o.trigger !== 'settling') {
    setCondition(status, { type: 'Ready', ...readiness[o.trigger] }, now, policy);
  } else if (!status.conditions?.some((c) => c.type === 'Ready')) {
    setCondition(
      status,
      {
        type: 'Ready',
        status: 'Unknown',
        reason: 'Connecting',
        message: 'the operator is connecting to NATS',
      },
      now,
      policy,
    );
  }
  return status;
}
