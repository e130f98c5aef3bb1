/**
 * GIVEN the real nodes — real-cloud on containerd 2.4 (no restore of checkpoint images),
 *   real-edge on containerd 2.3 — with continuum's runc wrapper installed on them by the
 *   operator's restore installer, and counters whose token and count live only in memory
 * WHEN Migrations ask for a restore mode
 * THEN restoreMode Runtime to real-cloud fails with RestoreUnsupported before anything is
 *   checkpointed or deleted, the source counting on; restoreMode RuntimeClass to real-edge (the
 *   other containerd) restores through the wrapper with the memory carried over; and when that
 *   restored container later exits, the kubelet's restart starts it fresh from its image (a new
 *   token, count 1) instead of resuming the old checkpoint, the Migration staying Done.
 */
import test from 'ava';
import { kubectl } from '../api/kubectl.ts';
import { waitFor } from '../env/wait.ts';
import { isPhase, type Harness } from '../migration/harness.ts';
import { counterContinuity } from './counter-continuity.ts';
import { realHarness } from './hooks.ts';
import {
  countedPast,
  counterPod,
  counts,
  logsOf,
  realImageSpec,
  realNodeAvailable,
  restoredCounter,
  startCounter,
} from './helpers.ts';

let h: Harness;
realHarness('real-restore-mode', (x) => (h = x));

/** A counter on `node` that exits (code 3) once /tmp/stop exists in its container. */
async function stoppableCounter(name: string, node: string) {
  const pod = counterPod(name, node);
  pod.spec!.containers[0]!.command = [
    'sh',
    '-c',
    'token=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d " \\n"); i=0; ' +
      'while [ ! -e /tmp/stop ]; do i=$((i+1)); echo "token=$token count=$i"; sleep 1; done; exit 3',
  ];
  return startCounter(h.core, h.namespace, pod, 3);
}

test('restoreMode Runtime to containerd 2.4: RestoreUnsupported, the source untouched', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(180_000);
  const before = await stoppableCounter('runtime', 'real-edge');
  await h.createMigration('runtime-to-24', {
    podName: 'runtime',
    restorePolicy: 'checkpoint',
    restoreMode: 'Runtime',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('runtime-to-24', isPhase('Done', 'Failed'), 120_000);
  t.is(m.status?.failureReason, 'RestoreUnsupported', JSON.stringify(m.status));
  t.is(m.status?.checkpoint, undefined, 'nothing checkpointed');
  t.regex(
    m.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /containerd:\/\/2\.4\.2\) no longer restores checkpoint images/,
  );
  const after = await countedPast(h.core, h.namespace, 'runtime', before.count + 1);
  t.is(after.token, before.token, 'the same process');
  t.false(
    (await h.pods()).some((p) => p.metadata?.name?.startsWith('runtime-')),
    'no restored pod',
  );
});

test('RuntimeClass to containerd 2.3: restored through the wrapper; a later restart starts fresh', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const before = await stoppableCounter('back', 'real-cloud');
  await h.createMigration('back-to-edge', {
    podName: 'back',
    restorePolicy: 'checkpoint',
    restoreMode: 'RuntimeClass',
    target: { nodeName: 'real-edge' },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('back-to-edge', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.is(m.status?.restoreMode, 'RuntimeClass');
  t.is(m.status?.targetNode, 'real-edge');
  const name = m.status!.targetPod!;
  const lines = await restoredCounter(h.core, h.namespace, name, before);
  t.like(counterContinuity(lines, before.token), { continued: true }, 'one token, counting on');

  // the restored container exits: the kubelet restarts it, and the wrapper starts it fresh
  const stop = await kubectl(['-n', h.namespace, 'exec', name, '--', 'touch', '/tmp/stop']);
  t.is(stop.code, 0, stop.stderr);
  const restarted = await waitFor(
    'the container restarted, counting',
    async () => {
      const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name });
      const status = pod.status?.containerStatuses?.[0];
      if (!status?.restartCount || !status.state?.running) return false;
      const fresh = counts(await logsOf(h.core, h.namespace, name));
      return fresh.length >= 2 && { status, fresh };
    },
    120_000,
  );
  t.is(restarted.status.lastState?.terminated?.exitCode, 3);
  t.not(restarted.fresh[0]!.token, before.token, 'a new process, not the checkpoint again');
  t.is(restarted.fresh[0]!.count, 1, 'counting from 1');
  t.is((await h.getMigration('back-to-edge'))?.status?.phase, 'Done');
});
