/**
 * Pod status as a kubelet writes it, for the SIMULATED job runner: Running with the container
 * started, then Succeeded/Failed with the container terminated (exit code, reason, message).
 * Plain JSON (timestamps as RFC 3339 strings), sent as a merge patch of pods/status.
 */
import type { V1Pod } from '@kubernetes/client-node';

export interface Run {
  container: string;
  image: string;
  startedAt: string;
  restartCount: number;
  pid?: number;
}

export interface Exit {
  exitCode: number;
  finishedAt: string;
  message?: string;
}

type Json = Record<string, unknown>;

function conditions(pod: V1Pod, at: string, running: boolean): Json[] {
  const c = (type: string, status: boolean): Json => ({
    type,
    status: status ? 'True' : 'False',
    lastTransitionTime: at,
    ...(status || type === 'PodReadyToStartContainers' ? {} : { reason: 'PodCompleted' }),
  });
  const list = [
    c('PodReadyToStartContainers', running),
    c('Initialized', true),
    c('Ready', running),
    c('ContainersReady', running),
  ];
  return pod.spec?.nodeName ? [...list, c('PodScheduled', true)] : list;
}

function containerStatus(run: Run, state: Json, running: boolean): Json {
  return {
    name: run.container,
    image: run.image,
    imageID: '',
    containerID: `sim://${run.pid ?? 0}`,
    ready: running,
    started: running,
    restartCount: run.restartCount,
    state,
  };
}

/** The status of a pod whose container runs. */
export function runningStatus(pod: V1Pod, run: Run): Json {
  return {
    phase: 'Running',
    hostIP: '127.0.0.1',
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    startTime: pod.status?.startTime ?? run.startedAt,
    conditions: conditions(pod, run.startedAt, true),
    containerStatuses: [containerStatus(run, { running: { startedAt: run.startedAt } }, true)],
  };
}

/** The status of a pod whose container exited for good (the pod is done). */
export function terminatedStatus(pod: V1Pod, run: Run, exit: Exit): Json {
  const ok = exit.exitCode === 0;
  const terminated = {
    exitCode: exit.exitCode,
    reason: ok ? 'Completed' : 'Error',
    ...(exit.message ? { message: exit.message } : {}),
    startedAt: run.startedAt,
    finishedAt: exit.finishedAt,
    containerID: `sim://${run.pid ?? 0}`,
  };
  return {
    ...runningStatus(pod, run),
    phase: ok ? 'Succeeded' : 'Failed',
    conditions: conditions(pod, exit.finishedAt, false),
    containerStatuses: [containerStatus(run, { terminated }, false)],
  };
}

/** A pod that cannot start its container (a missing Secret, …), as the kubelet reports it. */
export function waitingStatus(container: string, image: string, message: string): Json {
  const waiting = { reason: 'CreateContainerConfigError', message };
  return {
    phase: 'Pending',
    hostIP: '127.0.0.1',
    containerStatuses: [
      { name: container, image, imageID: '', ready: false, restartCount: 0, state: { waiting } },
    ],
  };
}
