/** settle: how the outcomes of a pass's actions end up in the recorded status. */
import test from 'ava';
import { decide } from '../../reconcilers/migration/decide.ts';
import { settle } from '../../reconcilers/migration/settle.ts';
import { ARCHIVE, at, config, inPhase, migration, observed, pod, target } from './fixtures.ts';

const checkpointing = () =>
  observed(migration({}, inPhase('Checkpointing')), { pod: pod({ containers: ['app', 'side'] }) });
const archive = { container: 'app', path: ARCHIVE };

test('settle: an archive the kubelet named is recorded at once', (t) => {
  const o = checkpointing();
  const d = decide(o, at(10), config);
  const { status, retry } = settle(
    o,
    d,
    [
      { ok: true, archive },
      { ok: true, archive: { container: 'side', path: '/x.tar' } },
    ],
    at(10),
    config,
  );
  t.deepEqual(status.checkpoint?.archives, [archive, { container: 'side', path: '/x.tar' }]);
  t.is(retry, undefined);
});

test('settle: the first checkpoint is kept when the second fails, with one more attempt', (t) => {
  const o = checkpointing();
  const d = decide(o, at(10), config);
  const failed = {
    ok: false as const,
    transient: true,
    reason: 'CheckpointFailed',
    message: 'kubelet answered 500',
  };
  const { status, retry } = settle(o, d, [{ ok: true, archive }, failed], at(10), config);
  t.deepEqual(status.checkpoint?.archives, [archive]);
  t.is(status.attempts, 1);
  t.is(status.phase, 'Checkpointing');
  t.like(
    status.conditions?.find((c) => c.type === 'Synced'),
    { status: 'False', reason: 'CheckpointFailed', message: 'kubelet answered 500' },
  );
  t.is(retry, 'kubelet answered 500');
});

test('settle: too many transient kubelet failures fail the Migration', (t) => {
  const o = observed(migration({}, inPhase('Checkpointing', { attempts: config.maxAttempts - 1 })));
  const d = decide(o, at(10), config);
  const failed = {
    ok: false as const,
    transient: true,
    reason: 'CheckpointFailed',
    message: 'no answer within 35000 ms',
  };
  const { status, retry } = settle(o, d, [failed], at(10), config);
  t.is(status.phase, 'Failed');
  t.is(status.failureReason, 'CheckpointFailed');
  t.is(status.attempts, config.maxAttempts);
  t.is(retry, undefined);
});

test('settle: a permanent kubelet refusal fails at once', (t) => {
  const o = observed(migration({}, inPhase('Checkpointing')));
  const d = decide(o, at(10), config);
  const failed = {
    ok: false as const,
    transient: false,
    reason: 'CheckpointNotSupported',
    message: 'kubelet answered 404',
  };
  const { status } = settle(o, d, [failed], at(10), config);
  t.is(status.phase, 'Failed');
  t.is(status.failureReason, 'CheckpointNotSupported');
});

test('settle: a transition whose action failed does not happen', (t) => {
  const o = observed(
    migration(
      { cutover: 'TargetReady' },
      inPhase('Restoring', { image: 'r@sha256:1', checkpoint: { archives: [archive] } }),
    ),
    { targetPod: target({ ready: true }) },
  );
  const d = decide(o, at(10), config);
  t.is(d.status.phase, 'Done');
  const failed = {
    ok: false as const,
    transient: true,
    reason: 'PodDeleteFailed',
    message: 'HTTP 500',
  };
  const { status, retry } = settle(o, d, [failed], at(10), config);
  t.is(status.phase, 'Restoring');
  t.is(status.attempts, undefined, 'API server errors are not counted as attempts');
  t.is(retry, 'HTTP 500');
});
