/**
 * `continuum agent` as a real process: pods from the real API server, real processes in real
 * cgroup v1 cgroups of this machine named as the kubelet names them, messages over real NATS.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { KubeConfig } from '@kubernetes/client-node';
import { testEnv } from '../env/info.ts';
import { freePort, logTail, startService, type Service } from '../env/process.ts';
import type { MetricsMessage } from '../../reconcilers/agent/message.ts';
import { V1Tree, v1Available } from './v1-cgroup-tree.ts';
import { Collector, startAgent, TestNode } from './harness.ts';
import { sleep, waitFor } from '../env/wait.ts';

const MiB = 1024 * 1024;

function container(m: MetricsMessage, pod: string) {
  return m.pods.find((p) => p.name === pod)?.containers[0];
}

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testEnv().kubeconfig);
  return kc;
}

const v1 = v1Available() ? test.serial : test.serial.skip;

v1(
  'the agent measures a CPU burner and a memory holder, and survives pods coming and going',
  async (t) => {
    t.timeout(120_000);
    const env = testEnv();
    const logDir = mkdtempSync(join(tmpdir(), 'continuum-agent-test-'));
    const tree = new V1Tree();
    const node = new TestNode(kubeConfig());
    const running: { agent?: Service; collector?: Collector } = {};
    t.teardown(async () => {
      await running.collector?.stop();
      await running.agent?.stop();
      tree.remove();
      await node.delete();
      rmSync(logDir, { recursive: true, force: true });
    });
    await node.create();
    const burner = await node.pod('burner', { cpu: '500m' });
    const holder = await node.pod('holder', { memory: '512Mi' });
    tree.mkdir(burner.cgroup);
    tree.mkdir(holder.cgroup);
    tree.write('cpu', burner.cgroup, 'cpu.cfs_period_us', '100000');
    tree.write('cpu', burner.cgroup, 'cpu.cfs_quota_us', '50000');
    tree.write('memory', holder.cgroup, 'memory.limit_in_bytes', String(512 * MiB));
    tree.spawnNode(burner.cgroup, 'for (;;) {}');
    const held = tree.spawnNode(
      holder.cgroup,
      `process.stdin.once('data', () => {
       globalThis.held = Buffer.alloc(64 * 1024 * 1024, 1);
       process.stdout.write('ready\\n');
     });`,
    );
    const collector = (running.collector = await Collector.start(env.natsUrl, node.name));
    const agent = (running.agent = startAgent({
      node: node.name,
      natsUrl: env.natsUrl,
      kubeconfig: env.kubeconfig,
      cgroupRoot: tree.root,
      logDir,
    }));
    const messages = collector.messages;
    const burnerReadings = () =>
      messages.flatMap((m) => container(m, 'burner')?.cpuPercent ?? []).slice(1);
    await waitFor('4 CPU readings of the burner', () =>
      burnerReadings().length >= 4 ? true : undefined,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${logTail(agent)}`);
    });
    t.log(`burner CPU % of its 0.5 CPU limit: ${burnerReadings().join(', ')}`);
    for (const r of burnerReadings()) t.true(r >= 80 && r <= 110, `reading ${r} outside 80..110`);

    const baseline = container(messages.at(-1)!, 'holder')!.memoryBytes;
    held.stdin!.write('go\n');
    await once(held.stdout!, 'data');
    const after = messages.length;
    const grown = await waitFor('the holder to read its 64 MiB', () =>
      messages
        .slice(after)
        .map((m) => container(m, 'holder'))
        .find((c) => c && c.memoryBytes - baseline >= 60 * MiB),
    );
    const grew = (grown.memoryBytes - baseline) / MiB;
    t.log(`holder memory grew by ${grew.toFixed(1)} MiB (${grown.memoryPercent} % of 512 MiB)`);
    t.true(grew <= 72, `grew by ${grew} MiB`);
    t.true(Math.abs(grown.memoryPercent - (grown.memoryBytes / (512 * MiB)) * 100) < 0.1);

    // Pods come and go: the holder is deleted, a pod without any cgroup appears.
    await node.deletePod('holder');
    await node.pod('ghost', { cpu: '100m' });
    const mark = messages.length;
    await waitFor('messages without the holder', () =>
      messages.slice(mark).filter((m) => !container(m, 'holder')).length >= 2 ? true : undefined,
    );
    const last = messages.at(-1)!;
    t.truthy(container(last, 'burner'));
    t.falsy(container(last, 'ghost'));
    t.false(agent.exited());
    t.is(collector.invalid, 0);
    t.truthy(last.nodeMetrics.cpuPercent !== undefined && last.nodeMetrics.memoryPercent > 0);
  },
);

test.serial(
  'the agent keeps sampling through a NATS outage and publishes again after it',
  async (t) => {
    t.timeout(120_000);
    const env = testEnv();
    const logDir = mkdtempSync(join(tmpdir(), 'continuum-agent-test-'));
    const node = new TestNode(kubeConfig());
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const nats = () =>
      startService('nats', 'nats-server', ['-a', '127.0.0.1', '-p', String(port)], { logDir });
    const running: { server: Service; agent?: Service; collector?: Collector } = {
      server: nats(),
    };
    t.teardown(async () => {
      await running.collector?.stop();
      await running.agent?.stop();
      await running.server.stop();
      await node.delete();
      rmSync(logDir, { recursive: true, force: true });
    });
    await node.create();
    await sleep(300);
    const collector = (running.collector = await Collector.start(url, node.name));
    const agent = (running.agent = startAgent({
      node: node.name,
      natsUrl: url,
      kubeconfig: env.kubeconfig,
      cgroupRoot: '/sys/fs/cgroup',
      logDir,
    }));
    const messages = collector.messages;
    await waitFor('first messages', () => (messages.length >= 2 ? true : undefined));
    await running.server.stop();
    const outageStart = Date.now();
    await sleep(3000);
    t.false(agent.exited(), 'the agent survives the outage');
    running.server = nats();
    const before = messages.length;
    const resumed = await waitFor('messages after the outage', () =>
      messages.slice(before).find((m) => Date.parse(m.time) > outageStart + 3000),
    );
    t.truthy(resumed.nodeMetrics.cpuPercent !== undefined, 'CPU windows stayed warm');
    t.false(agent.exited());
  },
);

test.serial('the agent stops at once on SIGTERM while NATS has never answered', async (t) => {
  t.timeout(60_000);
  const env = testEnv();
  const logDir = mkdtempSync(join(tmpdir(), 'continuum-agent-test-'));
  const node = new TestNode(kubeConfig());
  const running: { agent?: Service } = {};
  t.teardown(async () => {
    await running.agent?.stop();
    await node.delete();
    rmSync(logDir, { recursive: true, force: true });
  });
  await node.create();
  const agent = (running.agent = startAgent({
    node: node.name,
    natsUrl: `nats://127.0.0.1:${await freePort()}`, // nothing listens there
    kubeconfig: env.kubeconfig,
    cgroupRoot: '/sys/fs/cgroup',
    logDir,
  }));
  await waitFor('a failed attempt to reach NATS', () =>
    readFileSync(agent.logFile, 'utf8').includes('cannot connect to NATS'),
  );
  const exited = once(agent.child, 'exit');
  const signalled = Date.now();
  agent.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  t.is(code, 0);
  t.true(Date.now() - signalled < 3000, `exited ${Date.now() - signalled} ms after SIGTERM`);
});
