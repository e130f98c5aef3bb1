/**
 * Pod status as a kubelet writes it, for the SIMULATED job runner, from the state of each
 * container: init containers one after the other, then the containers together. The phase is
 * Pending until every init container has exited 0 and a container started, Running while one
 * runs, then Succeeded (all exited 0) or Failed (one exited non-zero for good, an init container
 * included). Plain JSON (timestamps as RFC 3339 strings), sent as a merge patch of pods/status.
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

/** One container: waiting (not started, or cannot start), running, or exited for good. */
export interface ContainerState {
  run: Run;
  exit?: Exit;
  /** Why it cannot start (a missing Secret, …): CreateContainerConfigError. */
  cannotStart?: string;
}

type Json = Record<string, unknown>;

const running = (c: ContainerState) => !c.exit && !c.cannotStart && c.run.startedAt !== '';
const failed = (c: ContainerState) => c.exit !== undefined && c.exit.exitCode !== 0;

/** The pod's status from its init containers' and containers' states, at time `at`. */
export function podStatus(
  pod: V1Pod,
  init: ContainerState[],
  main: ContainerState[],
  at: string,
): Json {
  const initialized = init.every((c) => c.exit?.exitCode === 0);
  const done = (initialized && main.every((c) => c.exit)) || init.some(failed);
  const phase = done
    ? init.some(failed) || main.some(failed)
      ? 'Failed'
      : 'Succeeded'
    : initialized && main.some((c) => c.run.startedAt !== '')
      ? 'Running'
      : 'Pending';
  const ready = initialized && main.every(running);
  const startTimes = [...init, ...main].map((c) => c.run.startedAt).filter(Boolean);
  const started = startTimes.length > 0;
  return {
    phase,
    hostIP: '127.0.0.1',
    ...(started ? { podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] } : {}),
    ...(started ? { startTime: pod.status?.startTime ?? startTimes[0] } : {}),
    conditions: conditions(pod, at, { started: started && !done, initialized, ready }),
    ...(init.length ? { initContainerStatuses: init.map((c) => containerStatus(c, true)) } : {}),
    containerStatuses: main.map((c) => containerStatus(c, initialized)),
  };
}

function conditions(
  pod: V1Pod,
  at: string,
  s: { started: boolean; initialized: boolean; ready: boolean },
): Json[] {
  const c = (type: string, status: boolean, reason?: string): Json => ({
    type,
    status: status ? 'True' : 'False',
    lastTransitionTime: at,
    ...(status || !reason ? {} : { reason }),
  });
  const list = [
    c('PodReadyToStartContainers', s.started),
    c('Initialized', s.initialized, 'ContainersNotInitialized'),
    c('Ready', s.ready, 'ContainersNotReady'),
    c('ContainersReady', s.ready, 'ContainersNotReady'),
  ];
  return pod.spec?.nodeName ? [...list, c('PodScheduled', true)] : list;
}

function containerStatus(c: ContainerState, mayStart: boolean): Json {
  const { run, exit } = c;
  let state: Json;
  if (exit) {
    const terminated = {
      exitCode: exit.exitCode,
      reason: exit.exitCode === 0 ? 'Completed' : 'Error',
      ...(exit.message ? { message: exit.message } : {}),
      startedAt: run.startedAt,
      finishedAt: exit.finishedAt,
      containerID: `sim://${run.pid ?? 0}`,
    };
    state = { terminated };
  } else if (c.cannotStart) {
    state = { waiting: { reason: 'CreateContainerConfigError', message: c.cannotStart } };
  } else if (run.startedAt) {
    state = { running: { startedAt: run.startedAt } };
  } else {
    state = { waiting: { reason: mayStart ? 'ContainerCreating' : 'PodInitializing' } };
  }
  return {
    name: run.container,
    image: run.image,
    imageID: '',
    ...(run.pid ? { containerID: `sim://${run.pid}` } : {}),
    ready: running(c),
    started: running(c),
    restartCount: run.restartCount,
    state,
  };
}
