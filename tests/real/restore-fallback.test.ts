/**
 * GIVEN a counter on real-edge whose base image real-cloud has never pulled — containerd 2.3
 *   pulls a checkpoint's base image itself, without the pod's pull Secret, so the registry
 *   answers 401 and the restore fails (CreateContainerError), as it would on containerd 2.4 or
 *   CRI-O's checkpoint_only
 * WHEN a checkpoint Migration moves it to real-cloud
 * THEN with the default cutover (the source deleted once the restored pod is scheduled) the
 *   workload is not lost: a fresh pod of the original image runs on real-cloud (new token, count
 *   from 1), the Migration is Done with status.restoreFallback and a RestoreFellBack Event, and
 *   no failed restored pod is left; with TargetReady the Migration fails and the source runs on.
 */
import test from 'ava';
import { waitFor } from '../env/wait.ts';
import { harness, isPhase, type Harness } from '../migration/harness.ts';
import {
  counterPod,
  counts,
  freshBaseImage,
  lastCount,
  logsOf,
  realImageSpec,
  realNodeAvailable,
  startRealOperator,
} from './helpers.ts';

let h: Harness;

test.before(async (t) => {
  if (!realNodeAvailable()) return;
  t.timeout(120_000);
  h = await harness('real-fallback');
  await startRealOperator(h);
});

test.after.always(async () => {
  await h?.cleanup();
});

/** A counter on real-edge of an image real-cloud has not got, counting. */
async function counterOfFreshImage(name: string): Promise<{ token: string; count: number }> {
  const image = await freshBaseImage(`fallback-${name}`);
  await h.core.createNamespacedPod({
    namespace: h.namespace,
    body: counterPod(name, 'real-edge', { image }),
  });
  return waitFor(`${name} counting`, async () => {
    const last = lastCount(await logsOf(h.core, h.namespace, name));
    return last && last.count >= 2 && last;
  });
}

test('AfterCheckpoint: a restore that fails after the source is gone starts the workload afresh', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const before = await counterOfFreshImage('lost-base');
  await h.createMigration('move-lost-base', {
    podName: 'lost-base',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('move-lost-base', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.is(m.status?.restoreFallback?.reason, 'CreateContainerError');
  t.regex(m.status?.restoreFallback?.message ?? '', /failed to pull checkpoint base image/);
  const fresh = m.status!.targetPod!;
  t.regex(fresh, /-fresh$/);
  const lines = await waitFor('the fresh pod counting', async () => {
    const all = counts(await logsOf(h.core, h.namespace, fresh));
    return all.length >= 2 && all;
  });
  t.not(lines[0]!.token, before.token, 'a new process: the memory state is lost, and said so');
  t.is(lines[0]!.count, 1);
  const left = await waitFor('the failed restored pod and the source gone', async () => {
    const names = (await h.pods()).map((p) => p.metadata!.name!);
    return names.filter((p) => p.startsWith('lost-base')).length === 1 && names;
  });
  t.deepEqual(
    left.filter((p) => p.startsWith('lost-base')),
    [fresh],
  );
  const events = await h.core.listNamespacedEvent({
    namespace: h.namespace,
    fieldSelector: `involvedObject.name=move-lost-base,reason=RestoreFellBack`,
  });
  t.is(events.items.length, 1);
  t.is(events.items[0]?.type, 'Warning');
});

test('TargetReady: a restore that fails leaves the source running and no restored pod', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const before = await counterOfFreshImage('kept');
  await h.createMigration('move-kept', {
    podName: 'kept',
    restorePolicy: 'checkpoint',
    cutover: 'TargetReady',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('move-kept', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.failureReason, 'TargetFailed', JSON.stringify(m.status));
  t.regex(
    m.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /CreateContainerError/,
  );
  await waitFor('the restored pod removed', async () =>
    (await h.pods()).every((p) => !p.metadata!.name!.startsWith('kept-')),
  );
  const after = await waitFor('the source still counting', async () => {
    const last = lastCount(await logsOf(h.core, h.namespace, 'kept'));
    return last && last.count > before.count + 1 && last;
  });
  t.is(after.token, before.token, 'the same process ran on');
});
