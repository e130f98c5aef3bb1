/**
 * The three scenarios of the original system (policies/), end to end: each workload pod is
 * moved by a Migration with its policy's restorePolicy — restart, checkpoint, and restart of
 * the pod limited to half a CPU — and ends on the cloud node.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import type { V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { MigrationPolicy } from '../../reconcilers/api/types.ts';
import { PULL_SECRET, PUSH_SECRET, harness, isPhase, type Harness } from './harness.ts';
import { waitFor } from '../env/wait.ts';

const POLICIES = new URL('../../policies/', import.meta.url);
const load = <T>(file: string): T[] =>
  parseAllDocuments(readFileSync(new URL(file, POLICIES), 'utf8')).map((d) => d.toJS() as T);
const workloads = [
  ...load<V1Pod>('workloads/image-processing.yaml'),
  ...load<V1Pod>('workloads/image-processing-half-cpu.yaml'),
];

let h: Harness;

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-scenarios');
  h.startOperator();
});

test.after.always(async () => {
  await h?.cleanup();
});

for (const file of [
  'scenario-1-restart.yaml',
  'scenario-2-checkpoint.yaml',
  'scenario-3-half-cpu-restart.yaml',
]) {
  test(`${file}: its workload moves to the cloud with the policy's restorePolicy`, async (t) => {
    t.timeout(300_000);
    const [policy] = load<MigrationPolicy>(file);
    const wanted = policy!.spec.selector.podSelector?.matchLabels ?? {};
    const pod = workloads.find((p) =>
      Object.entries(wanted).every(([k, v]) => p.metadata?.labels?.[k] === v),
    );
    if (!pod) return t.fail(`no workload in policies/workloads matches ${file}`);
    await h.core.createNamespacedPod({ namespace: h.namespace, body: pod });
    const name = pod.metadata!.name!;
    const running = await waitFor(`pod ${name} Running`, async () => {
      const p = await h.core.readNamespacedPod({ namespace: h.namespace, name });
      return p.status?.phase === 'Running' ? p : undefined;
    });
    const restorePolicy = policy!.spec.restorePolicy;
    const image = {
      repository: h.repository,
      pushSecretRef: { name: PUSH_SECRET },
      pullSecretRef: { name: PULL_SECRET },
    };
    const migration = `${policy!.metadata.name}`;
    await h.createMigration(migration, {
      podName: name,
      restorePolicy,
      ...(restorePolicy === 'checkpoint' ? { image } : {}),
    });
    const m = await h.waitForMigration(migration, isPhase('Done', 'Failed'), 240_000);
    t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
    t.true(running.spec?.nodeName?.startsWith('edge-'));
    const target = await h.core.readNamespacedPod({
      namespace: h.namespace,
      name: m.status!.targetPod!,
    });
    t.is(target.spec?.nodeName, 'cloud-1');
    t.deepEqual(
      target.spec?.containers[0]?.resources,
      running.spec?.containers[0]?.resources,
      'limits kept',
    );
    if (restorePolicy === 'checkpoint') t.is(target.spec?.containers[0]?.image, m.status?.image);
    else t.is(target.spec?.containers[0]?.image, running.spec?.containers[0]?.image);
  });
}
