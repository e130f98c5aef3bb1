/**
 * GIVEN a Migration Checkpointing its source pod
 * WHEN decide runs
 * THEN each container (those of spec.containers) is checkpointed once, an archive already
 *   recorded never again, and the Migration moves to Imaging once every archive is recorded; the
 *   source pod or its node going fails it.
 */
import { archive, inPhase, migration as m, observed, pod } from './fixtures.ts';
import { testRows } from './decide-table.ts';

testRows([
  {
    name: 'one checkpoint per container',
    given: observed(m({}, inPhase('Checkpointing')), { pod: pod({ containers: ['app', 'side'] }) }),
    phase: 'Checkpointing',
    actions: ['checkpoint:app', 'checkpoint:side'],
  },
  {
    name: 'resume: a recorded archive is never checkpointed again',
    given: observed(
      m({}, inPhase('Checkpointing', { checkpoint: { archives: [archive('app')] } })),
      { pod: pod({ containers: ['app', 'side'] }) },
    ),
    phase: 'Checkpointing',
    actions: ['checkpoint:side'],
  },
  {
    name: 'spec.containers limits the checkpoints',
    given: observed(m({ containers: ['side'] }, inPhase('Checkpointing')), {
      pod: pod({ containers: ['app', 'side'] }),
    }),
    phase: 'Checkpointing',
    actions: ['checkpoint:side'],
  },
  {
    name: 'all archives recorded: on to Imaging',
    given: observed(m({}, inPhase('Checkpointing', { checkpoint: { archives: [archive()] } }))),
    phase: 'Imaging',
    actions: [],
  },
  {
    name: 'the source node disappears while checkpointing',
    given: observed(m({}, inPhase('Checkpointing')), { node: undefined }),
    phase: 'Failed',
    reason: 'SourceNodeGone',
    actions: [],
  },
  {
    name: 'the pod is deleted while checkpointing',
    given: observed(m({}, inPhase('Checkpointing')), { pod: undefined }),
    phase: 'Failed',
    reason: 'SourcePodGone',
    actions: [],
  },
]);
