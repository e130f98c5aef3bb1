/**
 * GIVEN the real nodes with continuum's runc wrapper installed, and an operator whose restore
 *   RuntimeClass names a handler containerd on real-cloud does not have (a node configured
 *   without continuum's handler), with a pull grace of 10 s
 * WHEN a counter on real-edge is migrated to real-cloud through the RuntimeClass, cutover
 *   TargetReady
 * THEN the kubelet cannot create the restored pod's sandbox; the Migration fails with
 *   TargetFailed, saying so in containerd's words, well before its deadline; the restored pod
 *   goes and the source counts on.
 */
import test from 'ava';
import { NodeV1Api } from '@kubernetes/client-node';
import { adminKubeConfig } from '../env/service-account.ts';
import { isPhase, type Harness } from '../migration/harness.ts';
import { realHarness } from './hooks.ts';
import {
  countedPast,
  counterPod,
  realImageSpec,
  realNodeAvailable,
  startCounter,
} from './helpers.ts';

const HANDLER = 'continuum-unconfigured';
const node = adminKubeConfig().makeApiClient(NodeV1Api);
let h: Harness;
realHarness('real-restore-sandbox', (x) => (h = x), {
  CONTINUUM_RESTORE_RUNTIME_CLASS: HANDLER,
  CONTINUUM_PULL_GRACE: '10',
});
test.before(async () => {
  if (!realNodeAvailable()) return;
  await node.createRuntimeClass({ body: { metadata: { name: HANDLER }, handler: HANDLER } });
});
test.after.always(async () => {
  if (realNodeAvailable()) await node.deleteRuntimeClass({ name: HANDLER }).catch(() => undefined);
});

test('a sandbox the node cannot create fails the Migration in the runtime words; the source counts on', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(180_000);
  const before = await startCounter(h.core, h.namespace, counterPod('boxless', 'real-edge'));
  await h.createMigration('no-handler', {
    podName: 'boxless',
    restorePolicy: 'checkpoint',
    restoreMode: 'RuntimeClass',
    cutover: 'TargetReady',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('no-handler', isPhase('Done', 'Failed'), 120_000);
  t.is(m.status?.failureReason, 'TargetFailed', JSON.stringify(m.status));
  t.regex(
    m.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /node "real-cloud" has not created the pod's sandbox in 10 s: .*no runtime for "continuum-unconfigured" is configured/,
  );
  const failedAfter = Date.parse(m.status!.phaseTransitionTimestamps!.Failed!);
  const restoringAt = Date.parse(m.status!.phaseTransitionTimestamps!.Restoring!);
  t.true(
    failedAfter - restoringAt < 60_000,
    'failed within a minute of Restoring, not at the deadline',
  );
  const after = await countedPast(h.core, h.namespace, 'boxless', before.count + 1);
  t.is(after.token, before.token, 'the same process');
  const restored = (await h.pods()).filter(
    (p) => p.metadata?.name?.startsWith('boxless-') && !p.metadata.deletionTimestamp,
  );
  t.deepEqual(
    restored.map((p) => p.metadata?.name),
    [],
    'no restored pod left',
  );
});
