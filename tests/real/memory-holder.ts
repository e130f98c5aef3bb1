/**
 * A counter (helpers.ts) that also holds `mib` MiB of dirty memory: busybox `sort` buffers that
 * much random data and waits for an end of input that never comes. Its checkpoint takes as long
 * as dumping that memory, which the benchmark measures and the crash test needs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../env/wait.ts';
import { counterPod, realNode } from './helpers.ts';

/** The pod, printing every `periodMs` (100 ms for the gap measurements, else a second). */
export function memoryHolderPod(name: string, node: string, mib: number, periodMs = 1000): V1Pod {
  const pod = counterPod(name, node);
  pod.spec!.containers[0]!.command = [
    'sh',
    '-c',
    'token=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d " \\n"); ' +
      `(head -c ${mib}m /dev/urandom; exec sleep 1000000) | sort >/dev/null & ` +
      `i=0; while true; do i=$((i+1)); echo "token=$token count=$i"; usleep ${periodMs * 1000}; done`,
  ];
  return pod;
}

/** Creates the pod and resolves once its memory cgroup holds `mib` MiB. */
export async function startMemoryHolder(
  core: CoreV1Api,
  namespace: string,
  pod: V1Pod,
  mib: number,
): Promise<V1Pod> {
  const created = await core.createNamespacedPod({ namespace, body: pod });
  const usage = join(
    '/sys/fs/cgroup/memory',
    realNode(pod.spec!.nodeName!).cgroupRoot,
    'kubepods/besteffort',
    `pod${created.metadata!.uid}`,
    'memory.usage_in_bytes',
  );
  await waitFor(
    `${pod.metadata!.name} holding ${mib} MiB`,
    () => Number(readFileSync(usage, 'utf8')) >= mib * 2 ** 20,
    120_000,
  );
  return created;
}
