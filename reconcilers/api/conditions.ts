/** Conditions of every continuum resource's status (`metav1.Condition` semantics). */
import type { Condition } from './types.ts';

/**
 * Sets a condition; keeps lastTransitionTime when the condition's status did not change, and
 * stamps the owner's generation.
 */
export function setCondition(
  status: { conditions?: Condition[] },
  c: Pick<Condition, 'type' | 'status' | 'reason' | 'message'>,
  now: Date,
  owner: { metadata: { generation?: number } },
): void {
  const conditions = (status.conditions ??= []);
  const i = conditions.findIndex((x) => x.type === c.type);
  const prev = conditions[i];
  const next: Condition = {
    ...c,
    lastTransitionTime:
      prev && prev.status === c.status ? prev.lastTransitionTime : now.toISOString(),
    observedGeneration: owner.metadata.generation,
  };
  if (i < 0) conditions.push(next);
  else conditions[i] = next;
}

/** The condition of a type, if any. */
export function conditionOf(
  status: { conditions?: Condition[] },
  type: string,
): Condition | undefined {
  return status.conditions?.find((c) => c.type === type);
}
