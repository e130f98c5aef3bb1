/**
 * Benchmark: checkpoint Migrations between the real nodes of a workload holding N MiB of dirty
 * memory (busybox `sort` buffering N MiB of random bytes) beside a counter printing every
 * 100 ms. For each size it prints the time in Checkpointing, Imaging and Restoring (status
 * timestamps), the service gap — from the last line the source printed to the first line the
 * restored container printed (container log timestamps) — the lines the source printed after its
 * checkpoint (work the restored copy does again), the checkpoint image's size, the CPU the
 * operator and the imaging pod used, and the restored pod's time from its creation to its
 * container running (of that, the checkpoint fetch of the RuntimeClass path).
 *
 * The direction picks the restore: `edge-to-cloud` (default) restores on real-cloud, containerd
 * 2.4, through continuum's RuntimeClass; `cloud-to-edge` on real-edge, containerd 2.3, by the
 * runtime's own restore of the checkpoint image (restoreMode Runtime).
 *
 *   npx tsx tests/env/run.ts -- npx tsx benchmarks/real-freeze.ts [16,256,1024] [edge-to-cloud|cloud-to-edge]
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import type { Migration } from '../reconcilers/api/types.ts';
import { testEnv } from '../tests/env/info.ts';
import { withCertDir } from '../tests/env/registry.ts';
import { sleep, waitFor } from '../tests/env/wait.ts';
import { harness, isPhase } from '../tests/migration/harness.ts';
import { realImageSpec, realNode, startRealOperator } from '../tests/real/helpers.ts';
import { memoryHolderPod, startMemoryHolder } from '../tests/real/memory-holder.ts';

const SIZES = (process.argv[2] ?? '16,256,1024').split(',').map(Number);
const DIRECTIONS = {
  'edge-to-cloud': { from: 'real-edge', to: 'real-cloud', restoreMode: 'RuntimeClass' },
  'cloud-to-edge': { from: 'real-cloud', to: 'real-edge', restoreMode: 'Runtime' },
} as const;
const direction = DIRECTIONS[(process.argv[3] ?? 'edge-to-cloud') as keyof typeof DIRECTIONS];
if (!direction) throw new Error(`direction: one of ${Object.keys(DIRECTIONS).join(', ')}`);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const env = testEnv();
const h = await harness('bench-real-freeze');
const operator = await startRealOperator(h);

/** CPU seconds a process has used (utime + stime, in clock ticks of 1/100 s). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of a pod on a real node so far (its cpuacct cgroup), 0 once it is gone. */
function podCpu(node: string, uid: string): number {
  const root = join('/sys/fs/cgroup/cpuacct', realNode(node).cgroupRoot, 'kubepods');
  for (const qos of ['', 'besteffort', 'burstable']) {
    try {
      return Number(readFileSync(join(root, qos, `pod${uid}`, 'cpuacct.usage'), 'utf8')) / 1e9;
    } catch {
      // another QoS class
    }
  }
  return 0;
}

/**
 * The lines of a pod's container log with their timestamps, read every 100 ms until `stop()`:
 * the last one is what the source printed last (within 0.1 s of its end).
 */
function follow(pod: string) {
  const lines: Array<{ at: number; count: number }> = [];
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const text = await h.core
        .readNamespacedPodLog({ namespace: h.namespace, name: pod, timestamps: true })
        .catch(() => '');
      const parsedLines = text.split('\n').flatMap(parsed);
      if (parsedLines.length >= lines.length) lines.splice(0, lines.length, ...parsedLines);
      await sleep(100);
    }
  })();
  return { lines, stop: () => (stopped = true) };
}

function parsed(line: string): Array<{ at: number; count: number }> {
  const m = /^(\S+) token=\w+ count=(\d+)/.exec(line);
  return m ? [{ at: Date.parse(m[1]!), count: Number(m[2]) }] : [];
}

/** Size of the image's layers (through its index to its one manifest), in MiB. */
async function imageMiB(ref: string): Promise<number> {
  const { tlsRegistry } = env;
  const raw = (reference: string) =>
    withCertDir(env.caFile, (certDir) =>
      promisify(execFile)('skopeo', [
        'inspect',
        '--raw',
        `--creds=${tlsRegistry.username}:${tlsRegistry.password}`,
        `--cert-dir=${certDir}`,
        `docker://${reference}`,
      ]),
    ).then(({ stdout }) => JSON.parse(stdout) as Manifest);
  type Manifest = { manifests?: Array<{ digest: string }>; layers?: Array<{ size: number }> };
  let manifest = await raw(ref);
  if (manifest.manifests)
    manifest = await raw(`${ref.split('@')[0]}@${manifest.manifests[0]!.digest}`);
  return (manifest.layers ?? []).reduce((sum, l) => sum + l.size, 0) / 2 ** 20;
}

const seconds = (s: Migration['status'], from: string, to: string) => {
  const t = s?.phaseTransitionTimestamps as Record<string, string>;
  return ((Date.parse(t[to]!) - Date.parse(t[from]!)) / 1000).toFixed(2);
};

/**
 * Where the restored pod's time went (the API's timestamps have whole seconds): from its creation
 * to its first container start, and of that the checkpoint fetch (the wrapper's init container).
 */
function insideRestoredPod(pod: V1Pod): string {
  const at = (t: Date | string | undefined) => (t ? new Date(t).getTime() : NaN);
  const started = at(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt);
  const created = at(pod.metadata?.creationTimestamp);
  const fetch = pod.status?.initContainerStatuses?.find((c) => c.name === 'continuum-checkpoint')
    ?.state?.terminated;
  const fetched = fetch ? `, fetch ${(at(fetch.finishedAt) - at(fetch.startedAt)) / 1000} s` : '';
  return `${(started - created) / 1000} s${fetched}`;
}

const rows: string[] = [];
try {
  for (const mib of SIZES) {
    const name = `hold-${mib}m`;
    const pod = memoryHolderPod(name, direction.from, mib, 100);
    await startMemoryHolder(h.core, h.namespace, pod, mib);
    const source = follow(name);
    await waitFor('the source log followed', () => source.lines.length > 0);
    const operatorCpu = cpuOf(operator.child.pid!);
    let imagerCpu = 0;
    const sampler = setInterval(async () => {
      const pods = await h.pods().catch(() => []);
      for (const p of pods.filter((x) => x.metadata?.labels?.['job-name']))
        imagerCpu = Math.max(imagerCpu, podCpu(direction.from, p.metadata!.uid!));
    }, 100);
    await h.createMigration(`move-${name}`, {
      podName: name,
      restorePolicy: 'checkpoint',
      target: { nodeName: direction.to },
      restoreMode: direction.restoreMode,
      image: realImageSpec(h),
      timeoutSeconds: 1800,
    });
    const m = await h.waitForMigration(`move-${name}`, isPhase('Done', 'Failed'), 1_800_000);
    clearInterval(sampler);
    if (m.status?.phase !== 'Done') throw new Error(`${name}: ${JSON.stringify(m.status)}`);
    const checkpointAt = Date.parse(m.status.phaseTransitionTimestamps!.Imaging!);
    const restored = await waitFor('the restored counter', async () => {
      const text = await h.core.readNamespacedPodLog({
        namespace: h.namespace,
        name: m.status!.targetPod!,
        timestamps: true,
      });
      return text
        .split('\n')
        .flatMap(parsed)
        .find((l) => l.at > checkpointAt);
    });
    await waitFor(
      'the source gone',
      async () => !(await h.pods()).some((p) => p.metadata?.name === name),
    );
    source.stop();
    const last = source.lines.at(-1)!;
    const target = await h.core.readNamespacedPod({
      namespace: h.namespace,
      name: m.status.targetPod!,
    });
    rows.push(
      [
        `${mib} MiB`,
        `${direction.to} (${m.status.restoreMode})`,
        `${seconds(m.status, 'Checkpointing', 'Imaging')} s`,
        `${seconds(m.status, 'Imaging', 'Restoring')} s`,
        `${seconds(m.status, 'Restoring', 'Done')} s`,
        `${((restored.at - last.at) / 1000).toFixed(2)} s`,
        `${last.count - (restored.count - 1)} lines`,
        `${(await imageMiB(m.status.image!)).toFixed(1)} MiB`,
        `${(cpuOf(operator.child.pid!) - operatorCpu).toFixed(2)} s`,
        `≥ ${imagerCpu.toFixed(2)} s`,
        insideRestoredPod(target),
      ].join(' | '),
    );
    log(rows.at(-1)!);
    await h.core.deleteNamespacedPod({ namespace: h.namespace, name: m.status.targetPod! });
  }
} finally {
  await h.cleanup(); // stops the operator too, also when a size failed
}
console.log(
  'dirty memory | restored on | Checkpointing | Imaging | Restoring | service gap | redone after checkpoint | image | operator CPU | imaging pod CPU | restored pod: created → running',
);
for (const row of rows) console.log(row);
