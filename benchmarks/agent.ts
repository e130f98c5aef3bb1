/**
 * Agent overhead benchmark (npm run bench:agent): the CPU the agent spends for 100 pods at a
 * 1 s interval, as a percentage of one core. Goal: < 1 %. Prints:
 *
 * 1. Sampling cost on a synthetic cgroup v2 tree (100 burstable pods, systemd driver,
 *    containerd, real file formats in a temp dir) and the real /proc: CPU per sample including
 *    the JSON message, hence % of one core at 1 sample/s.
 * 2. The same on a real cgroup v1 tree of this machine (100 pod cgroups created for the
 *    benchmark and removed afterwards), when cgroup v1 is mounted.
 * 3. Only inside a test environment (CONTINUUM_TEST_ENV set, e.g.
 *    `npx tsx tests/env/run.ts -- npx tsx benchmarks/agent.ts`): the whole `continuum agent`
 *    process (pod informer, NATS, timers, GC) with 100 pods from the real API server and real
 *    NATS, measured from /proc/<pid>/stat over 20 s of steady state; first with 0 pods as the
 *    baseline (/proc/<pid>/stat counts 10 ms ticks: expect ±0.3 % of noise).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sampler, type PodRef } from '../reconcilers/agent/sampler.ts';
import { detectHierarchies } from '../reconcilers/agent/cgroup-files.ts';
import { V1Tree, v1Available } from '../tests/agent/v1-cgroup-tree.ts';
import { sleep } from '../tests/env/wait.ts';

const PODS = 100;
const SAMPLES = 300;

function pods(): { refs: PodRef[]; systemd: string[]; cgroupfs: string[] } {
  const refs: PodRef[] = [];
  const systemd: string[] = [];
  const cgroupfs: string[] = [];
  for (let i = 0; i < PODS; i++) {
    const uid = randomUUID();
    const id = randomBytes(32).toString('hex');
    refs.push({
      namespace: 'bench',
      name: `pod-${i}`,
      uid,
      qosClass: 'Burstable',
      containers: [{ name: 'app', containerID: `containerd://${id}` }],
    });
    const u = uid.replaceAll('-', '_');
    systemd.push(
      `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice/cri-containerd-${id}.scope`,
    );
    cgroupfs.push(`kubepods/burstable/pod${uid}/${id}`);
  }
  return { refs, systemd, cgroupfs };
}

/** CPU milliseconds per sample (sampling + JSON encoding), over SAMPLES back-to-back samples. */
function costPerSample(sampler: Sampler, refs: PodRef[]): number {
  const encoder = new TextEncoder();
  for (let i = 0; i < 20; i++) encoder.encode(JSON.stringify(sampler.sample(refs)));
  const before = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < SAMPLES; i++)
    bytes += encoder.encode(JSON.stringify(sampler.sample(refs))).length;
  const used = process.cpuUsage(before);
  if (bytes === 0) throw new Error('no message');
  return (used.user + used.system) / 1000 / SAMPLES;
}

function report(what: string, msPerSample: number): void {
  const percent = (msPerSample / 1000) * 100;
  console.log(
    `${what}: ${msPerSample.toFixed(3)} ms CPU per sample of ${PODS} pods = ${percent.toFixed(2)} % of one core at 1 s (goal < 1 %: ${percent < 1 ? 'met' : 'NOT met'})`,
  );
}

function syntheticV2(): void {
  const root = mkdtempSync(join(tmpdir(), 'continuum-bench-v2-'));
  try {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory pids\n');
    const { refs, systemd } = pods();
    for (const rel of systemd) {
      const dir = join(root, rel);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cpu.max'), '50000 100000\n');
      writeFileSync(
        join(dir, 'cpu.stat'),
        'usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n',
      );
      writeFileSync(join(dir, 'memory.current'), '52428800\n');
      writeFileSync(join(dir, 'memory.max'), '268435456\n');
    }
    const sampler = new Sampler({
      node: 'bench',
      hierarchies: detectHierarchies(root),
      procRoot: '/proc',
      intervalMs: 1000,
      cpuWindowMs: 1000,
    });
    report('synthetic cgroup v2 tree', costPerSample(sampler, refs));
    sampler.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function realV1(): void {
  const tree = new V1Tree();
  try {
    const { refs, cgroupfs } = pods();
    for (const rel of cgroupfs) tree.mkdir(rel);
    const sampler = new Sampler({
      node: 'bench',
      hierarchies: detectHierarchies(tree.root),
      procRoot: '/proc',
      intervalMs: 1000,
      cpuWindowMs: 1000,
    });
    report('real cgroup v1 tree (cgroupfs)', costPerSample(sampler, refs));
    sampler.close();
  } finally {
    tree.remove();
  }
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s). */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function wholeProcess(pods: number): Promise<void> {
  const { testEnv } = await import('../tests/env/info.ts');
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { Collector, startAgent, TestNode } = await import('../tests/agent/harness.ts');
  const env = testEnv();
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  const node = new TestNode(kc);
  const tree = new V1Tree();
  const logDir = mkdtempSync(join(tmpdir(), 'continuum-bench-agent-'));
  const collector = await Collector.start(env.natsUrl, node.name);
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  try {
    await node.create();
    for (let i = 0; i < pods; i++) tree.mkdir((await node.pod(`pod-${i}`, { cpu: '100m' })).cgroup);
    agent = startAgent({
      node: node.name,
      natsUrl: env.natsUrl,
      kubeconfig: env.kubeconfig,
      cgroupRoot: tree.root,
      logDir,
    });
    const pid = agent.child.pid!;
    const full = () => collector.messages.at(-1)?.pods.length === pods;
    for (let i = 0; i < 600 && !full(); i++) await sleep(100);
    if (!full()) throw new Error('the agent never reported all pods');
    await sleep(5000);
    const [cpu0, t0, n0] = [processCpuSeconds(pid), performance.now(), collector.messages.length];
    await sleep(20_000);
    const cpu = processCpuSeconds(pid) - cpu0;
    const wall = (performance.now() - t0) / 1000;
    const percent = (cpu / wall) * 100;
    console.log(
      `whole agent process, ${pods} pods from the API server, real NATS: ${percent.toFixed(2)} % of one core over ${wall.toFixed(0)} s ` +
        `(${collector.messages.length - n0} messages; goal < 1 %: ${percent < 1 ? 'met' : 'NOT met'})`,
    );
  } finally {
    await collector.stop();
    await agent?.stop();
    tree.remove();
    await node.delete();
    rmSync(logDir, { recursive: true, force: true });
  }
}

syntheticV2();
if (v1Available()) realV1();
else console.log('real cgroup v1 tree: skipped (no cgroup v1 cpu/cpuacct/memory hierarchies)');
if (process.env.CONTINUUM_TEST_ENV) {
  await wholeProcess(0); // the baseline: timers, NATS, informer, GC of an idle agent
  await wholeProcess(PODS);
} else
  console.log(
    'whole agent process: skipped (needs the test environment, see the header of this file)',
  );
