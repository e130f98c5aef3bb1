/**
 * A workload for the metrics path on the real nodes: the counter of {@link counterPod} (a token
 * and a count that live only in the shell's memory) whose shell also burns CPU in a background
 * loop, under a CPU limit. Its container's CPU reads about 100 % of the limit, so a policy on
 * container CPU fires on real measurements, and the counter shows whether the memory survived.
 * Shared by tests/real/policy.test.ts and the demo (scripts/demo.ts).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { counterPod } from './helpers.ts';

/** The burner's share of a core; small, to spare the machine's other users. */
export const HOT_COUNTER_CPU_LIMIT = '200m';

/** {@link counterPod} `name` on `nodeName`, burning its whole CPU limit; its container is `counter`. */
export function hotCounterPod(
  name: string,
  nodeName: string,
  opts: { labels?: Record<string, string> } = {},
): V1Pod {
  const pod = counterPod(name, nodeName);
  pod.metadata!.labels = { ...pod.metadata!.labels, ...opts.labels };
  const container = pod.spec!.containers[0]!;
  const [shell, flag, script] = container.command!;
  container.command = [shell!, flag!, `while :; do :; done & ${script}`];
  container.resources = { limits: { cpu: HOT_COUNTER_CPU_LIMIT } };
  return pod;
}
