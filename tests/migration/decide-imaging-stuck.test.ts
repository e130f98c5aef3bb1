/**
 * GIVEN an imaging pod whose container cannot start (its image not pulled)
 * WHEN the Migration is Imaging
 * THEN the kubelet's reason shows in Synced at once, and once the pull grace has passed the
 *   Migration fails with ImagingFailed (the Job would wait for ever); the source is untouched.
 */
import test from 'ava';
import type { V1Pod } from '@kubernetes/client-node';
import { decide } from '../../reconcilers/migration/decide.ts';
import { jobName } from '../../reconcilers/migration/names.ts';
import { ARCHIVE, at, config, inPhase, job, migration, observed } from './fixtures.ts';

const CREATED = at(5);
const imagingPod: V1Pod = {
  metadata: {
    name: 'imager-pod',
    namespace: 'ns',
    creationTimestamp: CREATED,
    labels: { 'job-name': jobName(migration()) },
  },
  status: {
    phase: 'Pending',
    containerStatuses: [
      {
        name: 'app',
        image: 'continuum:test',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: 'ImagePullBackOff', message: 'no basic auth credentials' } },
      },
    ],
  },
};
const given = () =>
  observed(
    migration(
      {},
      inPhase('Imaging', { checkpoint: { archives: [{ container: 'app', path: ARCHIVE }] } }),
    ),
    { job: job(), jobPods: [imagingPod] },
  );

test('an imaging pod that cannot pull its image shows in Synced at once', (t) => {
  const d = decide(given(), new Date(CREATED.getTime() + 5_000), config);
  t.is(d.status.phase, 'Imaging');
  t.like(
    d.status.conditions?.find((c) => c.type === 'Synced'),
    {
      status: 'False',
      reason: 'ImagingPodNotRunning',
      message:
        'imaging pod "imager-pod": container "app": ImagePullBackOff: no basic auth credentials',
    },
  );
});

test('past the pull grace it fails the Migration, and the Job goes', (t) => {
  const d = decide(given(), new Date(CREATED.getTime() + config.pullGraceMs), config);
  t.is(d.status.phase, 'Failed');
  t.is(d.status.failureReason, 'ImagingFailed');
  t.deepEqual(
    d.actions.map((a) => a.type),
    ['deleteJob'],
  );
});
