/**
 * GIVEN a restored pod that cannot run (the runtime refused the restore, an image that cannot
 * be pulled, a crash loop, a sandbox the node cannot create)
 * WHEN the Migration is Restoring
 * THEN while the source runs the Migration fails and the restored pod goes; once the source is
 *   gone a fresh pod of the original image takes its place on the same node (once), and the
 *   Migration ends Done with the lost state recorded; a stuck container that may recover shows
 *   in Synced.
 */
import test from 'ava';
import { decide } from '../../reconcilers/migration/decide.ts';
import type { Action } from '../../reconcilers/migration/model.ts';
import { fallbackPodName } from '../../reconcilers/migration/names.ts';
import { IMAGE, ARCHIVE, at, config, inPhase, migration, observed, target } from './fixtures.ts';

const restoring = (extra = {}, spec = {}) =>
  migration(
    spec,
    inPhase('Restoring', {
      image: IMAGE,
      checkpoint: { archives: [{ container: 'app', path: ARCHIVE, image: IMAGE }] },
      ...extra,
    }),
  );
const NOW = at(30);
const FRESH = fallbackPodName(migration());
const created = (actions: Action[]) =>
  actions.flatMap((a) => (a.type === 'createPod' ? [a.pod] : []));
const deleted = (actions: Action[]) =>
  actions.flatMap((a) => (a.type === 'deletePod' ? [`${a.why}:${a.name}`] : []));

test('the source still runs: a restore the runtime refuses fails the Migration and removes the restored pod', (t) => {
  const d = decide(
    observed(restoring({}, { cutover: 'TargetReady' }), {
      targetPod: target({ waiting: 'CreateContainerError' }),
    }),
    NOW,
    config,
  );
  t.is(d.status.phase, 'Failed');
  t.is(d.status.failureReason, 'TargetFailed');
  t.regex(
    d.status.conditions!.find((c) => c.type === 'Ready')!.message,
    /CreateContainerError happened/,
  );
  t.deepEqual(deleted(d.actions), [`rollback:${target().metadata!.name}`]);
  t.deepEqual(created(d.actions), []);
});

test('the source is gone: a fresh pod of the original image on the same node replaces the restored one', (t) => {
  const d = decide(
    observed(restoring(), {
      pod: undefined,
      targetPod: target({
        waiting: 'CreateContainerError',
        sourceImage: 'busybox:1.36',
        node: 'cloud-2',
      }),
    }),
    NOW,
    config,
  );
  t.is(d.status.phase, 'Restoring');
  t.deepEqual(d.status.restoreFallback, {
    reason: 'CreateContainerError',
    message: 'container "app": CreateContainerError: CreateContainerError happened',
  });
  t.is(d.status.targetPod, FRESH);
  const [fresh] = created(d.actions);
  t.is(fresh?.metadata?.name, FRESH);
  t.is(fresh?.spec?.nodeName, 'cloud-2');
  t.is(fresh?.spec?.containers[0]?.image, 'busybox:1.36', 'the original image, not the checkpoint');
  t.deepEqual(fresh?.spec?.initContainers ?? [], [], 'no base-image pulls: nothing to restore');
  t.false(fresh?.spec?.volumes?.some((v) => v.name === 'continuum-tools') ?? false);
  t.deepEqual(deleted(d.actions), [`fallback:${target().metadata!.name}`]);
  // created before the failed one is deleted: a crash between the two never leaves no pod
  t.true(
    d.actions.findIndex((a) => a.type === 'createPod') <
      d.actions.findIndex((a) => a.type === 'deletePod'),
  );
});

test('the fresh pod Ready: Done, saying the memory state was lost', (t) => {
  const fallback = { reason: 'CreateContainerError', message: 'container "app": restore refused' };
  const d = decide(
    observed(restoring({ targetPod: FRESH, restoreFallback: fallback }), {
      pod: undefined,
      targetPod: target({ ready: true, name: FRESH }),
    }),
    NOW,
    config,
  );
  t.is(d.status.phase, 'Done');
  t.regex(
    d.status.conditions!.find((c) => c.type === 'Ready')!.message,
    /started afresh from its original image.*restore refused.*memory state is lost/,
  );
});

test('the fresh pod cannot run either: Failed, and it stays (the only copy of the workload)', (t) => {
  const fallback = { reason: 'CreateContainerError', message: 'restore refused' };
  const d = decide(
    observed(restoring({ targetPod: FRESH, restoreFallback: fallback }), {
      pod: undefined,
      targetPod: target({ waiting: 'CrashLoopBackOff', name: FRESH }),
    }),
    NOW,
    config,
  );
  t.is(d.status.phase, 'Failed');
  t.is(d.status.failureReason, 'TargetFailed');
  t.deepEqual(deleted(d.actions), []);
  t.deepEqual(created(d.actions), []);
});

test('an image pull failing for less than the pull grace is shown in Synced, then counts', (t) => {
  const given = (now: Date) =>
    decide(
      observed(restoring(), {
        pod: undefined,
        targetPod: target({ waiting: 'ImagePullBackOff', created: at(10) }),
      }),
      now,
      config,
    );
  const young = given(at(20));
  t.is(young.status.phase, 'Restoring');
  t.like(
    young.status.conditions!.find((c) => c.type === 'Synced'),
    {
      status: 'False',
      reason: 'TargetNotRunning',
    },
  );
  t.deepEqual(young.actions, []);
  const old = given(new Date(at(10).getTime() + config.pullGraceMs));
  t.is(old.status.restoreFallback?.reason, 'ImagePullBackOff');
});

/** A restored pod bound to its node since at(10) whose sandbox the node has not created. */
const noSandbox = () => {
  const pod = target({ waiting: 'ContainerCreating', phase: 'Pending' });
  pod.status!.conditions!.push({
    type: 'PodReadyToStartContainers',
    status: 'False',
    lastTransitionTime: at(10),
  });
  return pod;
};

test('a sandbox the node cannot create counts once the pull grace is over, with the runtime error', (t) => {
  const runtimeSaid = 'no runtime for "continuum" is configured';
  const given = (now: Date) =>
    decide(
      observed(restoring({}, { cutover: 'TargetReady' }), {
        targetPod: noSandbox(),
        sandboxErrors: { 'target-uid': runtimeSaid },
      }),
      now,
      config,
    );
  const young = given(at(20));
  t.is(young.status.phase, 'Restoring');
  t.deepEqual(young.actions, []);
  const old = given(new Date(at(10).getTime() + config.pullGraceMs));
  t.is(old.status.phase, 'Failed');
  t.is(old.status.failureReason, 'TargetFailed');
  t.is(
    old.status.conditions!.find((c) => c.type === 'Ready')!.message,
    `restored pod "${target().metadata!.name}" cannot run: node "cloud-1" has not created the pod's sandbox in 60 s: ${runtimeSaid}`,
  );
  t.deepEqual(deleted(old.actions), [`rollback:${target().metadata!.name}`]);
});

test('the source is gone and the sandbox cannot be created: the fresh pod takes its place, without the RuntimeClass', (t) => {
  const d = decide(
    observed(restoring(), { pod: undefined, targetPod: noSandbox() }),
    at(100),
    config,
  );
  t.is(d.status.restoreFallback?.reason, 'SandboxNotCreated');
  t.regex(d.status.restoreFallback!.message, /kubectl describe pod shows the runtime's reason/);
  const [fresh] = created(d.actions);
  t.is(fresh?.spec?.nodeName, 'cloud-1');
  t.is(fresh?.spec?.runtimeClassName, undefined);
});
