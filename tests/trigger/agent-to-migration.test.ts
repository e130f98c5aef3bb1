/**
 * The whole metrics path: a real `continuum agent` process measures a CPU burner in a real
 * cgroup v1 cgroup of this machine, publishes on the real NATS server, the trigger (built by
 * its operator factory) sees the breach held for the policy's window and creates one Migration
 * on the real API server.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEnv } from '../env/info.ts';
import type { Service } from '../env/process.ts';
import { V1Tree, v1Available } from '../agent/v1-cgroup-tree.ts';
import { startAgent, TestNode } from '../agent/harness.ts';
import { createPolicy, deletePolicy, podMigrations, startTrigger } from './harness.ts';
import { sleep, waitFor } from '../env/wait.ts';
import {
  GROUP,
  LAYER_LABEL,
  MIGRATION_POLICY_PLURAL,
  VERSION,
} from '../../reconcilers/api/types.ts';

const v1 = v1Available() ? test : test.skip;

v1(
  'a container held above its CPU threshold by a real process gets exactly one Migration',
  async (t) => {
    t.timeout(120_000);
    const env = testEnv();
    const h = await startTrigger();
    const node = new TestNode(h.kc);
    const tree = new V1Tree();
    const logDir = mkdtempSync(join(tmpdir(), 'continuum-e2e-metrics-'));
    const running: { agent?: Service } = {};
    t.teardown(async () => {
      await running.agent?.stop();
      tree.remove();
      await deletePolicy(h.kc, node.name);
      await node.delete();
      await h.stop();
      rmSync(logDir, { recursive: true, force: true });
    });
    await node.create({ [LAYER_LABEL]: 'edge', 'test.continuum.dev/case': node.name });
    const burner = await node.pod('burner', { cpu: '500m' });
    tree.mkdir(burner.cgroup);
    tree.write('cpu', burner.cgroup, 'cpu.cfs_period_us', '100000');
    tree.write('cpu', burner.cgroup, 'cpu.cfs_quota_us', '50000');
    tree.spawnNode(burner.cgroup, 'for (;;) {}');
    await createPolicy(h.kc, node.name, {
      selector: {
        nodeSelector: { 'test.continuum.dev/case': node.name },
        namespaceSelector: { matchLabels: { 'test.continuum.dev/case': node.name } },
      },
      triggers: [{ metric: 'containerCPU', above: 80, for: '3s' }],
      restorePolicy: 'checkpoint',
      cooldown: '1h',
    });
    const policies = h.informers.informer({
      path: `/apis/${GROUP}/${VERSION}/${MIGRATION_POLICY_PLURAL}`,
    });
    await waitFor('the trigger to see the policy', () => Boolean(policies.get(node.name)));
    running.agent = startAgent({
      node: node.name,
      natsUrl: env.natsUrl,
      kubeconfig: env.kubeconfig,
      cgroupRoot: tree.root,
      logDir,
    });
    const list = () => podMigrations(h.kc, node.name, burner.uid);
    await waitFor('a Migration of the burner', async () => (await list()).length > 0, 60_000);
    await sleep(3000); // the burner stays hot: still one Migration
    const migrations = await list();
    t.is(migrations.length, 1);
    const m = migrations[0]!;
    t.is(m.spec.podName, 'burner');
    t.is(m.spec.restorePolicy, 'checkpoint');
    t.deepEqual(m.spec.policyRef, { name: node.name });
    t.regex(
      m.spec.reason ?? '',
      /^containerCPU of container "app" above 80% for 3s: lowest \d+(\.\d)?%, latest \d+(\.\d)?%$/,
    );
    t.log(m.spec.reason);
  },
);
