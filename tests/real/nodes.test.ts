/**
 * GIVEN the real nodes of the test environment (kubelet 1.34, runc, CRIU 4.1; containerd 2.3
 *   on real-edge, 2.4 on real-cloud, 2.3 on real-cloud-23)
 * WHEN a pod that keeps a counter only in memory runs on real-edge and the kubelet's checkpoint
 *   API is called on it (no operator involved)
 * THEN the nodes are Ready with their layer labels and taint, running their containerd, the pod's image was pulled with its
 *   pull Secret from the TLS registry, and the kubelet wrote a CRIU checkpoint archive while the
 *   container kept running.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { realNamespace } from './hooks.ts';
import { realNode, realNodeAvailable, counterPod, logsOf, kubeletCheckpoint } from './helpers.ts';
import { waitFor } from '../env/wait.ts';

const NAMESPACE = 'real-nodes';
const core = realNamespace(NAMESPACE);

test('the real nodes are Ready, labelled by layer and tainted', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  for (const [name, layer, runtime] of [
    ['real-edge', 'edge', 'containerd://2.3.7'],
    ['real-cloud', 'cloud', 'containerd://2.4.2'],
    ['real-cloud-23', 'cloud', 'containerd://2.3.7'],
  ] as const) {
    const node = await core.readNode({ name });
    t.is(node.metadata?.labels?.['continuum.dev/layer'], layer);
    t.true(node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    t.true(
      node.spec?.taints?.some(
        (x) => `${x.key}=${x.value}:${x.effect}` === 'test.continuum.dev/real-node=true:NoSchedule',
      ),
    );
    t.is(node.status?.nodeInfo?.containerRuntimeVersion, runtime);
    t.is(
      node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
      realNode(name).address,
    );
  }
});

test('the kubelet checkpoints a running container with CRIU; it keeps running', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(120_000);
  await core.createNamespacedPod({
    namespace: NAMESPACE,
    body: counterPod('counter', 'real-edge'),
  });
  const running = await waitFor(
    'the counter counting',
    async () => /count=3/.test(await logsOf(core, NAMESPACE, 'counter')),
    60_000,
  );
  t.true(running);
  const archive = await kubeletCheckpoint(realNode('real-edge'), NAMESPACE, 'counter', 'counter');
  t.regex(
    archive,
    /\/var\/lib\/kubelet\/checkpoints\/checkpoint-counter_real-nodes-counter-.*\.tar$/,
  );
  const onHost = join(realNode('real-edge').kubeletDir, 'checkpoints', archive.split('/').pop()!);
  const entries = execFileSync('tar', ['-tf', onHost], { encoding: 'utf8' }).split('\n');
  t.true(
    entries.some((e) => /^checkpoint\/pages-\d+\.img$/.test(e)),
    'CRIU memory pages',
  );
  t.true(entries.includes('config.dump') && entries.includes('spec.dump'));
  t.true(readdirSync(join(realNode('real-edge').kubeletDir, 'checkpoints')).length >= 1);
  const before = await logsOf(core, NAMESPACE, 'counter');
  const after = await waitFor(
    'the source counting on after the checkpoint',
    async () => {
      const logs = await logsOf(core, NAMESPACE, 'counter');
      return logs.length > before.length && logs;
    },
    30_000,
  );
  t.true(after.startsWith(before.trimEnd().split('\n')[0]!), 'the same process, not a restart');
});
