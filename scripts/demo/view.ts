/**
 * What the demo prints: the live line of a Migration beside the workload's latest output, the
 * summary table at the end, and the workload's output before and after the move.
 */
import { MIGRATION_PHASES, type Migration } from '../../reconcilers/api/types.ts';
import type { CounterContinuity } from '../../tests/real/counter-continuity.ts';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One line of a counter's output, and where it was printed. */
export interface WorkloadLine {
  pod: string;
  node: string;
  token: string;
  count: number;
}

/** Milliseconds spent in each phase reached, from status.phaseTransitionTimestamps. */
export function phaseDurations(m: Migration, now = Date.now()): Array<[string, number]> {
  const stamps = m.status?.phaseTransitionTimestamps ?? {};
  const reached = MIGRATION_PHASES.filter((p) => stamps[p]).map(
    (p) => [p, Date.parse(stamps[p]!)] as const,
  );
  return reached.map(([phase, start], i) => {
    const terminal = phase === 'Done' || phase === 'Failed';
    const end = reached[i + 1]?.[1] ?? (terminal ? start : now);
    return [phase, end - start];
  });
}

const describeLine = (l: WorkloadLine) =>
  `token=${l.token} count=${String(l.count).padEnd(4)} ${l.pod} on ${l.node}`;

export const LIVE_HEADER = `  ${'PHASE'.padEnd(13)} ${'ELAPSED'.padStart(7)}   WORKLOAD OUTPUT (latest line, pod, node)`;

/** One line: phase, time since creation, and the workload's latest output (if any yet). */
export function liveLine(m: Migration, output: WorkloadLine | undefined, now = Date.now()): string {
  const created = Date.parse(m.metadata.creationTimestamp as unknown as string);
  const phase = (m.status?.phase ?? 'New').padEnd(13);
  return `${phase} ${seconds(now - created).padStart(7)}   ${output ? describeLine(output) : '-'}`;
}

export function summary(m: Migration): string {
  const s = m.status ?? {};
  const rows = phaseDurations(m).filter(([p]) => p !== 'Done' && p !== 'Failed');
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  return [
    `Migration ${m.metadata.namespace}/${m.metadata.name}: ${s.phase}${s.failureReason ? ` (${s.failureReason})` : ''}`,
    '',
    '  phase           duration',
    ...rows.map(([p, ms]) => `  ${p.padEnd(15)} ${seconds(ms).padStart(8)}`),
    `  ${'total'.padEnd(15)} ${seconds(total).padStart(8)}`,
    '',
    `  reason   ${m.spec.reason ?? '-'}`,
    `  policy   ${m.spec.policyRef?.name ?? '-'} (restorePolicy ${m.spec.restorePolicy})`,
    `  source   pod ${m.spec.podName} on ${s.sourceNode ?? '-'}`,
    `  target   pod ${s.targetPod ?? '-'} on ${s.targetNode ?? '-'}`,
    `  image    ${s.image ?? '-'}`,
    `  restore  ${s.restoreMode ?? '-'}${s.restoreMode === 'RuntimeClass' ? " (continuum's runc wrapper)" : ''}`,
  ].join('\n');
}

/**
 * The workload's output before the move and after it, and what its restored log says: whether
 * the memory state came along.
 */
export function workloadVerdict(
  before: WorkloadLine,
  after: WorkloadLine,
  log: CounterContinuity,
): string {
  const twice = log.repeated ? ' (the line in flight at the checkpoint printed twice)' : '';
  const verdict = log.continued
    ? `the same token, counting on from the checkpoint: the memory state moved${twice}`
    : `NOT continued (same token: ${log.sameToken}, no gap: ${log.noGap}, ` +
      `repeated lines: ${log.repeated})`;
  return [
    `  before   ${describeLine(before)} (when the trigger fired)`,
    `  after    ${describeLine(after)}`,
    `           ${verdict}`,
  ].join('\n');
}
