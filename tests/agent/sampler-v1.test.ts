/**
 * The sampler measures real processes in real cgroup v1 cgroups of this machine, named as the
 * kubelet (cgroupfs driver, containerd) names a burstable pod's container.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { sleep } from '../env/wait.ts';
import { Sampler, type PodRef } from '../../reconcilers/agent/sampler.ts';
import { detectHierarchies } from '../../reconcilers/agent/cgroup-files.ts';
import { V1Tree, v1Available } from './v1-cgroup-tree.ts';

const MiB = 1024 * 1024;

function kwokPod(name: string): { pod: PodRef; relative: string } {
  const uid = randomUUID();
  const id = randomBytes(32).toString('hex');
  return {
    pod: {
      namespace: 'default',
      name,
      uid,
      qosClass: 'Burstable',
      containers: [{ name: 'app', containerID: `containerd://${id}` }],
    },
    relative: `kubepods/burstable/pod${uid}/${id}`,
  };
}

/** A cgroup tree of its own, removed after the test. */
function scratchTree(t: ExecutionContext): V1Tree {
  const tree = new V1Tree();
  t.teardown(() => tree.remove());
  return tree;
}

/** A sampler of `tree` (1 s interval and CPU window), closed after the test. */
function samplerOf(t: ExecutionContext, tree: V1Tree): Sampler {
  const sampler = new Sampler({
    node: 'edge-1',
    hierarchies: detectHierarchies(tree.root),
    procRoot: '/proc',
    intervalMs: 1000,
    cpuWindowMs: 1000,
  });
  t.teardown(() => sampler.close());
  return sampler;
}

const v1 = v1Available() ? test.serial : test.serial.skip;

v1('a CPU burner under a 0.5 CPU quota reads close to 100 % of its limit', async (t) => {
  t.timeout(30_000);
  const tree = scratchTree(t);
  const { pod, relative } = kwokPod('burner');
  tree.mkdir(relative);
  tree.write('cpu', relative, 'cpu.cfs_period_us', '100000');
  tree.write('cpu', relative, 'cpu.cfs_quota_us', '50000');
  const burner = tree.spawnNode(relative, 'for (;;) {}');
  t.teardown(() => burner.kill('SIGKILL'));
  const sampler = samplerOf(t, tree);
  await sleep(500);
  sampler.sample([pod]);
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    await sleep(1000);
    const message = sampler.sample([pod]);
    const cpu = message.pods[0]?.containers[0]?.cpuPercent;
    t.truthy(message.nodeMetrics.cpuPercent !== undefined);
    readings.push(cpu ?? -1);
  }
  t.log(`container CPU % of its 0.5 CPU limit: ${readings.join(', ')}`);
  for (const r of readings) t.true(r >= 80 && r <= 110, `reading ${r} outside 80..110`);
});

v1('a process holding 64 MiB reads its usage, as a share of its memory limit', async (t) => {
  t.timeout(30_000);
  const tree = scratchTree(t);
  const { pod, relative } = kwokPod('holder');
  tree.mkdir(relative);
  tree.write('memory', relative, 'memory.limit_in_bytes', String(512 * MiB));
  const holder = tree.spawnNode(
    relative,
    `process.stdin.once('data', () => {
       globalThis.held = Buffer.alloc(64 * 1024 * 1024, 1);
       process.stdout.write('ready\\n');
     });`,
  );
  t.teardown(() => holder.kill('SIGKILL'));
  const sampler = samplerOf(t, tree);
  await sleep(1000);
  const before = sampler.sample([pod]).pods[0]!.containers[0]!;
  holder.stdin!.write('go\n');
  await once(holder.stdout!, 'data');
  const after = sampler.sample([pod]).pods[0]!.containers[0]!;
  const grew = (after.memoryBytes - before.memoryBytes) / MiB;
  t.log(`memory before ${before.memoryBytes / MiB} MiB, after ${after.memoryBytes / MiB} MiB`);
  t.true(grew >= 60 && grew <= 72, `grew by ${grew} MiB`);
  t.true(Math.abs(after.memoryPercent - (after.memoryBytes / (512 * MiB)) * 100) < 0.1);
});

v1('a container whose cgroup disappears is skipped, not fatal', (t) => {
  const tree = scratchTree(t);
  const { pod, relative } = kwokPod('ghost');
  const sampler = samplerOf(t, tree);
  t.deepEqual(sampler.sample([pod]).pods, []);
  tree.mkdir(relative);
  t.is(sampler.sample([pod]).pods.length, 1);
  tree.remove();
  t.deepEqual(sampler.sample([pod]).pods, []);
});
