/**
 * Whether a pod the Migration waits for (the restored pod, an imaging pod) can still come up,
 * read from its containers' waiting reasons: the kubelet retries a container that cannot be
 * created or keeps crashing for ever, so waiting would only end at the deadline. An image that
 * cannot be pulled may be a passing registry outage: it counts once the pod is older than the
 * pull grace. So does a pod whose node cannot create its sandbox (a runtime handler missing, a
 * network that cannot be set up): the kubelet retries that for ever too, and the pod's status only
 * says PodReadyToStartContainers False — the runtime's words are in the pod's Events.
 */
import type { V1Pod } from '@kubernetes/client-node';

/** Reasons a container does not get past on its own (a failed restore is CreateContainerError). */
const HOPELESS = new Set([
  'CreateContainerError',
  'CreateContainerConfigError',
  'RunContainerError',
  'CrashLoopBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);
const PULLING = new Set(['ErrImagePull', 'ImagePullBackOff']);

export interface Stuck {
  reason: string;
  message: string;
  /** True when waiting longer cannot help. */
  hopeless: boolean;
}

/** The first container of the pod that waits for a reason other than starting up, if any. */
export function stuckContainer(pod: V1Pod, now: Date, pullGraceMs: number): Stuck | undefined {
  const age = now.getTime() - new Date(pod.metadata?.creationTimestamp ?? now).getTime();
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  for (const cs of statuses) {
    const reason = cs.state?.waiting?.reason ?? '';
    if (!HOPELESS.has(reason) && !PULLING.has(reason)) continue;
    const detail = cs.state?.waiting?.message?.trim();
    return {
      reason,
      message: `container "${cs.name}": ${reason}${detail ? `: ${detail}` : ''}`,
      hopeless: HOPELESS.has(reason) || age >= pullGraceMs,
    };
  }
  return undefined;
}

/**
 * Whether `pod`'s node has been trying to create its sandbox for longer than `graceMs`: it is
 * bound, still Pending, and PodReadyToStartContainers has said False since then.
 */
export function sandboxNotCreated(pod: V1Pod, now: Date, graceMs: number): boolean {
  if (!pod.spec?.nodeName || pod.status?.phase !== 'Pending') return false;
  const ready = pod.status.conditions?.find((c) => c.type === 'PodReadyToStartContainers');
  if (ready?.status !== 'False' || !ready.lastTransitionTime) return false;
  return now.getTime() - new Date(ready.lastTransitionTime).getTime() >= graceMs;
}

/**
 * A restored pod's trouble: terminated is as stuck as a container that cannot start, and so is
 * a sandbox its node has not created within the pull grace (`sandboxError`: the kubelet's last
 * FailedCreatePodSandBox message, when observe found one).
 */
export function restoredPodState(
  pod: V1Pod,
  now: Date,
  pullGraceMs: number,
  sandboxError?: string,
): Stuck | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') {
    return {
      reason: `Pod${phase}`,
      message: `terminated (${phase}) before it became Ready`,
      hopeless: true,
    };
  }
  if (sandboxNotCreated(pod, now, pullGraceMs)) {
    const seconds = Math.round(pullGraceMs / 1000);
    return {
      reason: 'SandboxNotCreated',
      message: `node "${pod.spec!.nodeName}" has not created the pod's sandbox in ${seconds} s: ${
        sandboxError ?? "kubectl describe pod shows the runtime's reason"
      }`,
      hopeless: true,
    };
  }
  return stuckContainer(pod, now, pullGraceMs);
}
