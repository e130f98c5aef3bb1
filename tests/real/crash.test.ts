/**
 * GIVEN a counter on real-edge holding 512 MiB, so that the real kubelet's CRIU checkpoint takes
 *   seconds
 * WHEN the operator is SIGKILLed while that checkpoint call is in flight, and started again
 * THEN the restarted operator checkpoints again and the Migration ends Done with the memory
 *   carried over, and no archive of the pod is left on the node: the lost call's archive (the
 *   kubelet wrote it, nobody recorded it) is deleted by the imaging Job's first step.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { sleep, waitFor } from '../env/wait.ts';
import { harness, isPhase, type Harness } from '../migration/harness.ts';
import {
  createPullSecret,
  lastCount,
  logsOf,
  realImageSpec,
  realNode,
  realNodeAvailable,
  startRealOperator,
} from './helpers.ts';
import { memoryHolderPod, startMemoryHolder } from './memory-holder.ts';

const MIB = 512;
let h: Harness;

test.before(async (t) => {
  if (!realNodeAvailable()) return;
  t.timeout(120_000);
  h = await harness('real-crash');
  await createPullSecret(h.core, h.namespace);
});

test.after.always(async () => {
  await h?.cleanup();
});

/** The archives of the pod in real-edge's checkpoint directory. */
function archives(pod: string): string[] {
  const dir = join(realNode('real-edge').kubeletDir, 'checkpoints');
  const prefix = `checkpoint-${pod}_${h.namespace}-`;
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(prefix)) : [];
}

test('the operator SIGKILLed mid-checkpoint: Done, and no archive left on the node', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(480_000);
  await startMemoryHolder(h.core, h.namespace, memoryHolderPod('heavy', 'real-edge', MIB), MIB);
  const seen = new Set<string>();
  const watch = setInterval(() => archives('heavy').forEach((f) => seen.add(f)), 100);
  t.teardown(() => clearInterval(watch));
  const first = await startRealOperator(h);
  await h.createMigration('move-heavy', {
    podName: 'heavy',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(h),
  });
  await h.waitForMigration('move-heavy', isPhase('Checkpointing'), 60_000);
  await sleep(500); // the call in flight: CRIU dumps 512 MiB
  await first.kill('SIGKILL');
  t.deepEqual(seen, new Set(), 'killed before the kubelet answered');
  const before = lastCount(await logsOf(h.core, h.namespace, 'heavy'))!;
  await startRealOperator(h);
  const m = await h.waitForMigration('move-heavy', isPhase('Done', 'Failed'), 400_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  const recorded = m.status!.checkpoint!.archives[0]!.path.split('/').pop()!;
  await waitFor('no archive of the pod on real-edge', () => archives('heavy').length === 0);
  clearInterval(watch);
  t.true(seen.has(recorded), 'the recorded archive was written');
  t.true(seen.size >= 2, `the lost call wrote an archive of its own: ${[...seen].join(', ')}`);
  const restored = await waitFor('the restored counter', async () =>
    lastCount(await logsOf(h.core, h.namespace, m.status!.targetPod!)),
  );
  t.is(restored.token, before.token, 'the memory came along');
});
