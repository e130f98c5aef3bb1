/**
 * GIVEN real-cloud-23, containerd 2.3 as it installs by default — its opt-in restore of
 *   checkpoint images (`enable_experimental_restore_via_create`) off — with continuum's runc
 *   wrapper installed by the operator's restore installer, and counters on real-edge whose token
 *   and count live only in memory
 * WHEN checkpoint Migrations move them there
 * THEN with restoreMode Auto the wrapper restores (status.restoreMode RuntimeClass) and the
 *   counter goes on with its token; with restoreMode Runtime containerd refuses the checkpoint
 *   image (the reason the wrapper exists) and, the cutover waiting for the target, the Migration
 *   fails with TargetFailed while the source counts on.
 */
import test from 'ava';
import { waitFor } from '../env/wait.ts';
import { isPhase, type Harness } from '../migration/harness.ts';
import { counterContinuity } from './counter-continuity.ts';
import { realHarness } from './hooks.ts';
import {
  countedPast,
  counterPod,
  realImageSpec,
  realNodeAvailable,
  restoredCounter,
  startCounter,
} from './helpers.ts';

const TARGET = 'real-cloud-23';

let h: Harness;
realHarness('real-flag-off', (x) => (h = x));

test('Auto to containerd 2.3 without its restore opt-in: the wrapper restores, memory carried over', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const before = await startCounter(h.core, h.namespace, counterPod('auto', 'real-edge'));
  await h.createMigration('auto-to-23', {
    podName: 'auto',
    restorePolicy: 'checkpoint',
    target: { nodeName: TARGET },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('auto-to-23', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.is(m.status?.restoreMode, 'RuntimeClass');
  t.is(m.status?.targetNode, TARGET);
  const lines = await restoredCounter(h.core, h.namespace, m.status!.targetPod!, before);
  t.like(counterContinuity(lines, before.token), { continued: true }, 'one token, counting on');
});

test('Runtime to it: containerd refuses the checkpoint image; the source runs on', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const before = await startCounter(h.core, h.namespace, counterPod('runtime', 'real-edge'));
  await h.createMigration('runtime-to-23', {
    podName: 'runtime',
    restorePolicy: 'checkpoint',
    restoreMode: 'Runtime',
    cutover: 'TargetReady',
    target: { nodeName: TARGET },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('runtime-to-23', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.failureReason, 'TargetFailed', JSON.stringify(m.status));
  t.is(m.status?.restoreMode, 'Runtime');
  t.regex(
    m.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /cannot run: container "counter": CreateContainerError/,
  );
  await waitFor('the restored pod removed', async () =>
    (await h.pods()).every((p) => !p.metadata!.name!.startsWith('runtime-')),
  );
  const after = await countedPast(h.core, h.namespace, 'runtime', before.count + 1);
  t.is(after.token, before.token, 'the same process ran on');
});
