/**
 * GIVEN a counter on real-edge that holds a file of its emptyDir volume open — CRIU dumps the
 *   open file by its path, an emptyDir does not travel (the Migration says volumes: Detach, or
 *   it would be refused), so CRIU cannot restore it on real-cloud and the restore fails (the
 *   runc wrapper's error, with the tail of CRIU's log), as any restore the wrapper or the
 *   runtime refuses
 * WHEN a checkpoint Migration moves it to real-cloud
 * THEN with the default cutover (the source deleted once the restored pod is scheduled) the
 *   workload is not lost: a fresh pod of the original image runs on real-cloud (new token, count
 *   from 1), the Migration is Done with status.restoreFallback and a RestoreFellBack Event, and
 *   no failed restored pod is left; with TargetReady the Migration fails and the source runs on.
 */
import test from 'ava';
import { waitFor } from '../env/wait.ts';
import { isPhase, type Harness } from '../migration/harness.ts';
import { realHarness } from './hooks.ts';
import {
  countedPast,
  counterPod,
  counts,
  logsOf,
  realImageSpec,
  realNodeAvailable,
  startCounter,
} from './helpers.ts';

let h: Harness;
realHarness('real-fallback', (x) => (h = x));

/** A counter on real-edge holding `/data/held` of its emptyDir open, counting. */
async function counterHoldingAFile(name: string): Promise<{ token: string; count: number }> {
  const pod = counterPod(name, 'real-edge');
  const container = pod.spec!.containers[0]!;
  const [sh, c, counter] = container.command!;
  container.command = [sh!, c!, `echo held >/data/held; exec 3</data/held; ${counter}`];
  container.volumeMounts = [{ name: 'data', mountPath: '/data' }];
  pod.spec!.volumes = [{ name: 'data', emptyDir: {} }];
  return startCounter(h.core, h.namespace, pod);
}

test('AfterCheckpoint: a restore that fails after the source is gone starts the workload afresh', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const before = await counterHoldingAFile('lost-base');
  await h.createMigration('move-lost-base', {
    podName: 'lost-base',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    // the emptyDir stays behind, empty on real-cloud: CRIU cannot reopen the held file
    volumes: 'Detach',
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('move-lost-base', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.regex(m.status?.restoreFallback?.reason ?? '', /^RunContainerError$/);
  t.regex(
    m.status?.restoreFallback?.message ?? '',
    /container "counter": .*continuum: restoring container "counter" failed: runc restore failed .*Restoring FAILED/,
  );
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
  const before = await counterHoldingAFile('kept');
  await h.createMigration('move-kept', {
    podName: 'kept',
    restorePolicy: 'checkpoint',
    cutover: 'TargetReady',
    target: { nodeName: 'real-cloud' },
    volumes: 'Detach',
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('move-kept', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.failureReason, 'TargetFailed', JSON.stringify(m.status));
  t.regex(
    m.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /cannot run: container "counter": RunContainerError: .*continuum: restoring container "counter" failed: runc restore failed/,
  );
  await waitFor('the restored pod removed', async () =>
    (await h.pods()).every((p) => !p.metadata!.name!.startsWith('kept-')),
  );
  const after = await countedPast(h.core, h.namespace, 'kept', before.count + 1);
  t.is(after.token, before.token, 'the same process ran on');
});
