/**
 * GIVEN a Migration past its spec.timeoutSeconds
 * WHEN decide runs
 * THEN it fails with DeadlineExceeded before anything else is checked: the imaging Job and a
 *   restored pod not yet the workload go, the source untouched; after cutover the restored pod is
 *   the workload and stays.
 */
import { IMAGE, archive, at, inPhase, job, migration as m, observed, target } from './fixtures.ts';
import { testRows } from './decide-table.ts';

testRows([
  {
    name: 'deadline in Imaging: Failed, Job removed, source untouched',
    now: at(600),
    given: observed(m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } })), {
      job: job(),
    }),
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    actions: ['deleteJob'],
  },
  {
    name: 'deadline with an unschedulable restored pod: rolled back, source untouched',
    now: at(601),
    given: observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), {
      targetPod: target({ node: '' }),
    }),
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    actions: ['deletePod:rollback:app-0f1e2d3c'],
  },
  {
    name: 'deadline after cutover: the restored pod is the workload and stays',
    now: at(601),
    given: observed(
      m({}, inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } })),
      { pod: undefined, targetPod: target() },
    ),
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    actions: [],
  },
  {
    name: 'the deadline is checked before anything else',
    now: at(700),
    given: observed(m(), { pod: undefined }),
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    actions: [],
  },
]);
