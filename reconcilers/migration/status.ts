/**
 * Pure helpers that build the next status: phase transitions with their timestamps, failure,
 * and the Ready/Synced conditions. A condition's lastTransitionTime moves only when its
 * status does, so a pass that changes nothing writes nothing.
 */
import { setCondition } from '../api/conditions.ts';
import { formatDuration } from '../api/duration.ts';
import type { Migration, MigrationPhase, MigrationStatus } from '../api/types.ts';

/** A status to build on: a deep copy of the stored one (never mutated). */
export function copyStatus(m: Migration): MigrationStatus {
  return structuredClone(m.status ?? {});
}

/** The stored phase, `Pending` for a Migration never seen. */
export function phaseOf(m: Migration): MigrationPhase {
  return m.status?.phase ?? 'Pending';
}

/** Enters `phase`, stamping the time it was first entered; terminal phases record the duration. */
export function enter(
  m: Migration,
  status: MigrationStatus,
  phase: MigrationPhase,
  now: Date,
): void {
  status.phase = phase;
  const stamps = (status.phaseTransitionTimestamps ??= {});
  stamps[phase] ??= now.toISOString();
  if (phase === 'Done' || phase === 'Failed') {
    status.duration ??= formatDuration(now.getTime() - createdAt(m).getTime());
  }
}

/** Fails the Migration with a CamelCase reason and a message without timestamps. */
export function fail(
  m: Migration,
  status: MigrationStatus,
  reason: string,
  message: string,
  now: Date,
): void {
  enter(m, status, 'Failed', now);
  status.failureReason = reason;
  setCondition(status, { type: 'Ready', status: 'False', reason, message }, now, m);
}

export function createdAt(m: Migration): Date {
  return new Date(m.metadata.creationTimestamp ?? 0);
}

/** When the Migration runs out of time: creation + spec.timeoutSeconds. */
export function deadline(m: Migration): Date {
  return new Date(createdAt(m).getTime() + (m.spec.timeoutSeconds ?? 600) * 1000);
}

/** Seconds spent in each phase that has been left, from phaseTransitionTimestamps. */
export function phaseDurations(status: MigrationStatus): Partial<Record<MigrationPhase, number>> {
  const stamps = Object.entries(status.phaseTransitionTimestamps ?? {})
    .map(([phase, at]) => ({ phase: phase as MigrationPhase, at: Date.parse(at) }))
    .sort((a, b) => a.at - b.at);
  const out: Partial<Record<MigrationPhase, number>> = {};
  for (let i = 0; i + 1 < stamps.length; i++) {
    out[stamps[i]!.phase] = (stamps[i + 1]!.at - stamps[i]!.at) / 1000;
  }
  return out;
}
