/**
 * GIVEN a Migration being deleted, its finalizer held
 * WHEN decide runs
 * THEN the imaging Job goes, a cleanup Job removes the archives not imaged (or sweeps the
 *   checkpoint window when a call was lost) unless the source node is gone, a restored pod is
 *   rolled back while the source runs but stays once Done, and the finalizer is released.
 */
import test from 'ava';
import { decide } from '../../reconcilers/migration/decide.ts';
import {
  ARCHIVE,
  IMAGE,
  archive,
  at,
  config,
  inPhase,
  job,
  migration as m,
  observed,
  target,
} from './fixtures.ts';
import { testRows } from './decide-table.ts';

testRows([
  {
    name: 'deleted mid-Imaging: Job removed, archives reported, finalizer released',
    given: observed(
      m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } }), {
        deletionTimestamp: at(9),
      }),
      { job: job() },
    ),
    phase: 'Imaging',
    actions: ['deleteJob', 'createJob', 'removeFinalizer'],
  },
  {
    name: 'deleted after imaging finished: no archives left',
    given: observed(
      m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } }), {
        deletionTimestamp: at(9),
      }),
      { job: job({ complete: true }) },
    ),
    phase: 'Imaging',
    actions: ['deleteJob', 'removeFinalizer'],
  },
  {
    name: 'deleted mid-Restoring with the source running: restored pod rolled back',
    given: observed(
      m({ restorePolicy: 'restart' }, inPhase('Restoring'), { deletionTimestamp: at(9) }),
      { targetPod: target() },
    ),
    phase: 'Restoring',
    actions: ['deletePod:rollback:app-0f1e2d3c', 'removeFinalizer'],
  },
  {
    name: 'a Failed Migration deleted with an archive not imaged: cleanup Job',
    given: observed(
      m(
        {},
        { ...inPhase('Imaging', { checkpoint: { archives: [archive()] } }), phase: 'Failed' },
        { deletionTimestamp: at(9) },
      ),
    ),
    phase: 'Failed',
    actions: ['createJob', 'removeFinalizer'],
  },
  {
    name: 'deleted after its source node went: no cleanup Job (it could never run)',
    given: observed(
      m(
        {},
        { ...inPhase('Imaging', { checkpoint: { archives: [archive()] } }), phase: 'Failed' },
        { deletionTimestamp: at(9) },
      ),
      { node: undefined },
    ),
    phase: 'Failed',
    actions: ['removeFinalizer'],
  },
  {
    name: 'deleted when Done after a checkpoint: no cleanup Job, the restored pod stays',
    given: observed(
      m({}, inPhase('Done', { image: IMAGE, checkpoint: { archives: [archive()] } }), {
        deletionTimestamp: at(9),
      }),
      {
        pod: undefined,
        targetPod: target({ ready: true }),
      },
    ),
    phase: 'Done',
    actions: ['deleteImages', 'removeFinalizer'],
  },
  {
    name: 'deleted when Done: the restored pod stays',
    given: observed(m({}, inPhase('Done'), { deletionTimestamp: at(9) }), {
      pod: undefined,
      targetPod: target({ ready: true }),
    }),
    phase: 'Done',
    actions: ['removeFinalizer'],
  },
  {
    name: 'deleted, finalizer already gone: nothing',
    given: observed(m({}, inPhase('Done'), { deletionTimestamp: at(9), finalizers: [] }), {
      pod: undefined,
    }),
    phase: 'Done',
    actions: [],
  },
]);

test('decide: a Migration deleted mid-Imaging starts a Job that removes its archives on the node', (t) => {
  const mig = m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } }), {
    deletionTimestamp: at(9),
  });
  const a = decide(observed(mig, { job: job() }), at(10), config).actions.find(
    (x) => x.type === 'createJob',
  );
  if (a?.type !== 'createJob') return t.fail('no cleanup Job');
  const spec = a.job.spec!.template.spec!;
  t.is(a.job.metadata!.name, `cleanup-${mig.metadata.uid}`);
  t.is(a.job.metadata!.ownerReferences, undefined, 'outlives the Migration');
  t.is(spec.nodeName, 'edge-1');
  t.deepEqual(spec.containers[0]!.command, ['continuum', 'cleanup']);
  t.deepEqual(spec.containers[0]!.args, [
    ...['--archive', ARCHIVE, '--dir', '/var/lib/kubelet/checkpoints'],
    ...['--pod', 'app', '--namespace', 'ns', '--container', 'app'],
    ...['--since', at(1).toISOString(), '--until', at(2).toISOString()],
  ]);
  t.deepEqual(
    spec.volumes?.map((v) => v.hostPath?.path),
    ['/var/lib/kubelet/checkpoints'],
  );
});

test('decide: deleted while a checkpoint call was lost (nothing recorded): the cleanup Job sweeps the pod containers of the window', (t) => {
  const mig = m({}, inPhase('Checkpointing'), { deletionTimestamp: at(9) });
  const d = decide(observed(mig), at(10), config);
  const a = d.actions.find((x) => x.type === 'createJob');
  if (a?.type !== 'createJob') return t.fail('no cleanup Job');
  t.deepEqual(a.job.spec!.template.spec!.containers[0]!.args, [
    ...['--dir', '/var/lib/kubelet/checkpoints', '--pod', 'app', '--namespace', 'ns'],
    ...['--container', 'app', '--since', at(1).toISOString(), '--until', at(10).toISOString()],
  ]);
  t.is(a.job.spec!.template.spec!.volumes?.[0]?.hostPath?.type, 'DirectoryOrCreate');
});

test('decide: a Migration that failed while checkpointing sweeps only up to its failure when deleted', (t) => {
  const failed = {
    ...inPhase('Checkpointing'),
    phase: 'Failed' as const,
    phaseTransitionTimestamps: {
      ...inPhase('Checkpointing').phaseTransitionTimestamps,
      Failed: at(4).toISOString(),
    },
  };
  const d = decide(observed(m({}, failed, { deletionTimestamp: at(9) })), at(60), config);
  const a = d.actions.find((x) => x.type === 'createJob');
  if (a?.type !== 'createJob') return t.fail('no cleanup Job');
  const args = a.job.spec!.template.spec!.containers[0]!.args!;
  t.is(args[args.indexOf('--until') + 1], at(4).toISOString());
});
