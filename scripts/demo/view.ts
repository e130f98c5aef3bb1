/** What the demo prints: the live line of a Migration and the summary table at the end. */
import { MIGRATION_PHASES, type Migration } from '../../reconcilers/api/types.ts';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

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

/** One line: phase, time since creation, and the time spent in each phase so far. */
export function liveLine(m: Migration, now = Date.now()): string {
  const created = Date.parse(m.metadata.creationTimestamp as unknown as string);
  const phases = phaseDurations(m, now)
    .filter(([p]) => p !== 'Done' && p !== 'Failed')
    .map(([p, ms]) => `${p} ${seconds(ms)}`)
    .join(' → ');
  return `${(m.status?.phase ?? 'New').padEnd(13)} ${seconds(now - created).padStart(7)}   ${phases}`;
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
  ].join('\n');
}
