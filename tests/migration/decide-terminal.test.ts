/**
 * GIVEN a Migration Done or Failed
 * WHEN decide runs
 * THEN nothing more is done: a finished imaging Job stays for its TTL, only one still running
 *   when the Migration failed goes.
 */
import { inPhase, job, migration as m, observed, target } from './fixtures.ts';
import { testRows } from './decide-table.ts';

testRows([
  {
    name: 'Done: the finished imaging Job stays (its TTL removes it)',
    given: observed(m({}, inPhase('Done')), {
      pod: undefined,
      job: job({ complete: true }),
      targetPod: target({ ready: true }),
    }),
    phase: 'Done',
    actions: [],
  },
  {
    name: 'Done while the cached Job does not say Complete yet: it stays too',
    given: observed(m({}, inPhase('Done')), {
      pod: undefined,
      job: job(),
      targetPod: target({ ready: true }),
    }),
    phase: 'Done',
    actions: [],
  },
  {
    name: 'Failed with the imaging Job still running: the Job goes',
    given: observed(
      m({}, { ...inPhase('Imaging'), phase: 'Failed', failureReason: 'DeadlineExceeded' }),
      { job: job() },
    ),
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    actions: ['deleteJob'],
  },
  {
    name: 'Failed stays Failed, nothing to do',
    given: observed(
      m({}, { ...inPhase('Imaging'), phase: 'Failed', failureReason: 'ImagingFailed' }),
    ),
    phase: 'Failed',
    reason: 'ImagingFailed',
    actions: [],
  },
]);
