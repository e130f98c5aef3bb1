/**
 * GIVEN the operator with NATS under the chart's RBAC, the metrics agent of real-edge as a local
 *   process that reads the real kubelet's cgroups (below its cgroupRoot, cgroupfs driver,
 *   containerd IDs), and on real-edge a counter that also burns its whole CPU limit
 * WHEN a MigrationPolicy covers it (container CPU above 50 % of its limit for 3 s: the burner
 *   reads ~90-100 %, an idle counter ~0 %, and 50 leaves room for a loaded machine; checkpoint,
 *   to real-cloud)
 * THEN the trigger creates one Migration from those real measurements, the Migration ends Done,
 *   and the restored pod on real-cloud goes on with the same token and the next count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { OPERATOR_NAMESPACE } from '../../reconcilers/api/types.ts';
import { startAgent } from '../agent/harness.ts';
import { testEnv } from '../env/info.ts';
import type { Service } from '../env/process.ts';
import { serviceAccountKubeconfig } from '../env/service-account.ts';
import { waitFor } from '../env/wait.ts';
import { harness, isPhase, type Harness } from '../migration/harness.ts';
import { createPolicy, deletePolicy, podMigrations } from '../trigger/harness.ts';
import {
  counterPod,
  lastCount,
  logsOf,
  realImageSpec,
  realNode,
  realNodeAvailable,
  startRealOperator,
  restoredCounter,
} from './helpers.ts';
import { counterContinuity } from './counter-continuity.ts';
import { HOT_COUNTER_CPU_LIMIT, hotCounterPod } from './hot-counter.ts';

const POLICY = 'real-hot-counter';
const logDir = mkdtempSync(join(tmpdir(), 'continuum-real-policy-'));
let h: Harness;
let agent: Service | undefined;

test.before(async (t) => {
  if (!realNodeAvailable()) return;
  t.timeout(120_000);
  h = await harness('real-policy');
  // the real operator, with the metrics path and the real registry as spec.image's defaults
  const image = realImageSpec(h)!;
  await startRealOperator(h, {
    env: {
      CONTINUUM_NATS_URL: testEnv().natsUrl,
      CONTINUUM_REGISTRY_REPOSITORY: image.repository,
      CONTINUUM_REGISTRY_PUSH_SECRET: image.pushSecretRef!.name,
      CONTINUUM_REGISTRY_PULL_SECRET: image.pullSecretRef!.name,
    },
  });
});

test.after.always(async () => {
  await agent?.stop();
  if (h) await deletePolicy(h.kc, POLICY);
  await h?.cleanup();
  rmSync(logDir, { recursive: true, force: true });
});

test('a policy on real cgroup metrics moves a hot counter real-edge → real-cloud with its memory', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const { core, namespace } = h;
  const edge = realNode('real-edge');
  agent = startAgent({
    node: edge.name,
    natsUrl: testEnv().natsUrl,
    kubeconfig: await serviceAccountKubeconfig(OPERATOR_NAMESPACE, 'continuum-agent'),
    cgroupRoot: '/sys/fs/cgroup',
    kubeletCgroupRoot: edge.cgroupRoot,
    logDir,
  });
  // containerd 2.3 pulls a checkpoint's base image itself, anonymously: it must be on the node
  await core.createNamespacedPod({ namespace, body: counterPod('base-image', 'real-cloud') });
  const source = await core.createNamespacedPod({
    namespace,
    body: hotCounterPod('hot-counter', edge.name),
  });
  await waitFor('the hot counter at 3 and the base image on real-cloud', async () => {
    const [hot, base] = await Promise.all([
      logsOf(core, namespace, 'hot-counter'),
      logsOf(core, namespace, 'base-image'),
    ]);
    return (lastCount(hot)?.count ?? 0) >= 3 && base.length > 0;
  });
  const before = lastCount(await logsOf(core, namespace, 'hot-counter'))!;

  await createPolicy(h.kc, POLICY, {
    selector: {
      nodeSelector: { 'kubernetes.io/hostname': edge.name },
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
      podSelector: { matchLabels: { app: 'hot-counter' } },
    },
    triggers: [{ metric: 'containerCPU', above: 50, for: '3s' }],
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    cooldown: '1h',
  });
  const uid = source.metadata!.uid!;
  const created = await waitFor(
    'a Migration from the trigger',
    async () => (await podMigrations(h.kc, namespace, uid))[0],
    60_000,
  );
  t.log(created.spec.reason);
  t.deepEqual(created.spec.policyRef, { name: POLICY });
  t.is(created.spec.restorePolicy, 'checkpoint');
  t.regex(created.spec.reason ?? '', /^containerCPU of container "counter" above 50% for 3s: /);

  const m = await h.waitForMigration(created.metadata.name!, isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.is(m.status?.restoreFallback, undefined, 'restored, not started afresh');
  t.is(m.status?.sourceNode, 'real-edge');
  t.is(m.status?.targetNode, 'real-cloud');
  t.is((await podMigrations(h.kc, namespace, uid)).length, 1, 'one Migration for the hot pod');
  const target = m.status!.targetPod!;
  const lines = await restoredCounter(core, namespace, target, before);
  const continuity = counterContinuity(lines, before.token);
  const seen = lines.map((l) => l.count).join(' ');
  t.true(continuity.sameToken, 'one token: the memory came along');
  t.true(continuity.noGap, `the count goes on, never from 1 again: ${seen}`);
  t.true(continuity.repeated <= 1, `at most the line in flight at the checkpoint twice: ${seen}`);
  const restored = await core.readNamespacedPod({ namespace, name: target });
  t.is(restored.spec?.nodeName, 'real-cloud');
  t.is(
    restored.spec?.containers[0]?.resources?.limits?.cpu,
    HOT_COUNTER_CPU_LIMIT,
    'the CPU limit kept',
  );
});
