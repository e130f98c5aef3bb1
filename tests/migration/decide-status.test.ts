/**
 * GIVEN the status decide wrote on an earlier pass
 * WHEN decide runs again
 * THEN the conditions follow the phase (Done is Ready, with the duration, the phase times and the
 *   target node), a pass over its own result changes nothing, and a failure keeps its first
 *   timestamp and reason.
 */
import test from 'ava';
import { decide } from '../../reconcilers/migration/decide.ts';
import {
  IMAGE,
  archive,
  at,
  config,
  inPhase,
  migration as m,
  observed,
  target,
} from './fixtures.ts';

test('decide: conditions follow the phase, Done is Ready', (t) => {
  const d = decide(
    observed(
      m(
        { cutover: 'TargetReady' },
        inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } }),
      ),
      { targetPod: target({ ready: true }) },
    ),
    at(10),
    config,
  );
  const ready = d.status.conditions?.find((c) => c.type === 'Ready');
  t.like(ready, {
    status: 'True',
    reason: 'Succeeded',
    message: 'pod "app" runs as "app-0f1e2d3c" on node "cloud-1"',
  });
  t.like(
    d.status.conditions?.find((c) => c.type === 'Synced'),
    { status: 'True', reason: 'ReconcileSuccess' },
  );
  t.is(d.status.duration, '10s');
  t.is(d.status.phaseTransitionTimestamps?.Done, at(10).toISOString());
  t.is(d.status.targetNode, 'cloud-1');
});

test('decide: a pass over its own result changes nothing (status written only when it changed)', (t) => {
  const first = decide(
    observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), { targetPod: target() }),
    at(10),
    config,
  );
  const again = decide(
    observed(m({ restorePolicy: 'restart' }, first.status), { targetPod: target() }),
    at(20),
    config,
  );
  t.deepEqual(again.status, first.status);
  t.deepEqual(again.actions, []);
});

test('decide: a failure keeps its first timestamp and reason on later passes', (t) => {
  const failed = decide(observed(m(), { pod: undefined }), at(10), config);
  const later = decide(observed(m({}, failed.status), { pod: undefined }), at(50), config);
  t.deepEqual(later.status, failed.status);
  t.like(
    later.status.conditions?.find((c) => c.type === 'Ready'),
    { status: 'False', reason: 'PodNotFound', message: 'pod "app" does not exist' },
  );
});
