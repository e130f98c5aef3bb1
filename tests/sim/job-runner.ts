/**
 * SIMULATED job runner: plays the kubelet of the kwok nodes for pods that must really run —
 * pods of Jobs (ownerReferences kind Job) and pods labelled `sim.continuum.dev/run` — by
 * executing each container as a local process (see pod-process.ts for the mapping of volumes,
 * env and the command): the init containers one after the other, each once the previous one
 * exited 0, then all containers together. It writes the pod's status through pods/status as a
 * kubelet does (pod-status.ts): Running, then Succeeded/Failed with each container's exit code
 * and termination message (terminationMessagePath, or the log tail with FallbackToLogsOnError).
 * restartPolicy OnFailure/Always restarts a process in place (restartCount, back-off from 1 s
 * to 30 s; an init container only when it failed). Deleting the pod kills the processes
 * (SIGTERM, SIGKILL after the grace period, at most 5 s), then removes the pod object for good,
 * as the kubelet does.
 *
 * kwok must leave these pods alone: run kwok with the stages of kwok-stages.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { CoreV1Api, type KubeConfig, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { backoffDelay } from '../../reconcilers/runtime/backoff.ts';
import { Informer } from '../../reconcilers/runtime/informer.ts';
import { apiErrorCode, keyOf, mergePatch } from '../../reconcilers/runtime/kube.ts';
import { silentLogger, type Logger } from '../../reconcilers/runtime/log.ts';
import { sleep } from '../env/wait.ts';
import { preparePodProcess, type PodProcessSpec } from './pod-process.ts';
import { podStatus, type ContainerState } from './pod-status.ts';

/** Pods with this label (any value) on a simulated node are run as local processes. */
export const RUN_LABEL = 'sim.continuum.dev/run';

const MAX_MESSAGE_BYTES = 4096;
const SETPRIV = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined;

export interface JobRunnerOptions {
  /** Admin access (reads pods, Secrets, ConfigMaps; writes pods/status). */
  kc: KubeConfig;
  /** The simulated nodes and the directories playing their filesystem roots. */
  nodes: Array<{ name: string; rootDir: string }>;
  log?: Logger;
}

/** One container of a pod the runner executes. */
interface Proc extends ContainerState {
  spec: V1Container;
  process?: PodProcessSpec;
  child?: ChildProcess;
  retry?: NodeJS.Timeout;
  /** Being prepared (volumes, token): not to be started twice. */
  starting?: boolean;
}

interface Running {
  pod: V1Pod;
  init: Proc[];
  main: Proc[];
  stopping: boolean;
  /** Status writes of this pod, in order (a fast exit must not overtake "Running"). */
  writes: Promise<void>;
  /** The pod is being deleted: remove it for good once the processes are gone. */
  deleted?: boolean;
}

export interface JobRunner {
  stop(): Promise<void>;
}

/** Starts watching pods; resolves once the pod cache is synced. */
export async function startJobRunner(opts: JobRunnerOptions): Promise<JobRunner> {
  const log = opts.log ?? silentLogger();
  const core = opts.kc.makeApiClient(CoreV1Api);
  const roots = new Map(opts.nodes.map((n) => [n.name, n.rootDir]));
  const cluster = opts.kc.getCurrentCluster();
  if (!cluster?.caFile) throw new Error('the job runner needs a kubeconfig with a CA file');
  const api = { server: cluster.server, caFile: cluster.caFile };
  const runs = new Map<string, Running>();
  const informer = new Informer<V1Pod>(opts.kc, { path: '/api/v1/pods' }, log);

  const eligible = (pod: V1Pod): boolean =>
    roots.has(pod.spec?.nodeName ?? '') &&
    (pod.metadata?.ownerReferences?.some((o) => o.kind === 'Job') === true ||
      pod.metadata?.labels?.[RUN_LABEL] !== undefined);

  async function writeStatus(pod: V1Pod, status: object): Promise<void> {
    const { namespace, name } = pod.metadata!;
    for (let attempt = 1; ; attempt++) {
      try {
        await core.patchNamespacedPodStatus(
          { namespace: namespace!, name: name!, body: { status } },
          mergePatch,
        );
        return;
      } catch (err) {
        if (apiErrorCode(err) === 404) return;
        if (attempt >= 5) {
          log.error({ pod: keyOf(pod), err: String(err) }, 'cannot write pod status');
          return;
        }
        await sleep(200 * attempt);
      }
    }
  }

  /**
   * Runs a step in the background: its failure (a bug of the simulation) is logged, never an
   * unhandled rejection, which would end the environment's process and the whole test run.
   */
  function inBackground(what: string, pod: V1Pod, step: Promise<void>): void {
    step.catch((err) => log.error({ pod: keyOf(pod), err: String(err) }, `${what} failed`));
  }

  function record(r: Running): Promise<void> {
    const status = podStatus(r.pod, r.init, r.main, new Date().toISOString());
    r.writes = r.writes.then(() => writeStatus(r.pod, status));
    return r.writes;
  }

  /**
   * Starts what may start now: the next init container, else every container not started yet.
   * True once the pod is done: an init container failed for good, or every container exited.
   */
  function advance(uid: string, r: Running): boolean {
    const idle = (p: Proc) => !p.exit && !p.child && !p.retry && !p.starting;
    const next = r.init.find((p) => p.exit?.exitCode !== 0);
    if (next) {
      if (next.exit) return true;
      if (idle(next)) inBackground('starting a container', r.pod, start(uid, r, next));
      return false;
    }
    if (r.main.every((p) => p.exit)) return true;
    for (const p of r.main)
      if (idle(p)) inBackground('starting a container', r.pod, start(uid, r, p));
    return false;
  }

  async function start(uid: string, r: Running, p: Proc): Promise<void> {
    p.retry = undefined;
    p.starting = true;
    try {
      const rootDir = roots.get(r.pod.spec!.nodeName!)!;
      p.process ??= await preparePodProcess(core, r.pod, p.spec, rootDir, api);
      p.cannotStart = undefined;
    } catch (err) {
      p.starting = false;
      if (r.stopping) return settleStop(uid, r);
      p.cannotStart = (err as Error).message;
      log.warn({ pod: keyOf(r.pod), err: p.cannotStart }, 'cannot start the container; retrying');
      await record(r);
      p.retry = setTimeout(
        () => inBackground('starting a container', r.pod, start(uid, r, p)),
        2000,
      );
      return;
    }
    p.starting = false;
    if (r.stopping) return settleStop(uid, r);
    const { argv, env, workDir, logFile } = p.process;
    const fd = openSync(logFile, 'a');
    // Where setpriv exists, the process dies with the test run however it ends (PDEATHSIG).
    const [file, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', ...argv]]
      : [argv[0]!, argv.slice(1)];
    const child = spawn(file, args, { env, cwd: workDir, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    p.child = child;
    p.run = { ...p.run, startedAt: new Date().toISOString(), pid: child.pid };
    child.on('error', (err) => log.warn({ pod: keyOf(r.pod), err: String(err) }, 'spawn failed'));
    child.on('exit', (code, signal) => {
      const exitCode = code ?? (signal ? 128 + constants.signals[signal] : 1);
      inBackground('handling an exit', r.pod, exited(uid, r, p, exitCode));
    });
    log.info({ pod: keyOf(r.pod), container: p.spec.name, argv }, 'container started');
    await record(r);
  }

  async function exited(uid: string, r: Running, p: Proc, exitCode: number): Promise<void> {
    p.child = undefined;
    if (r.stopping) return settleStop(uid, r);
    const policy = r.pod.spec?.restartPolicy ?? 'Always';
    const init = r.init.includes(p);
    const restart = init
      ? exitCode !== 0 && policy !== 'Never'
      : policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    if (restart) {
      p.run = { ...p.run, restartCount: p.run.restartCount + 1 };
      const backoffMs = backoffDelay(p.run.restartCount, { baseMs: 1000, maxMs: 30_000 });
      p.retry = setTimeout(
        () => inBackground('restarting a container', r.pod, start(uid, r, p)),
        backoffMs,
      );
      return;
    }
    const message = terminationMessage(p, exitCode);
    log.info({ pod: keyOf(r.pod), container: p.spec.name, exitCode }, 'container exited');
    p.exit = { exitCode, finishedAt: new Date().toISOString(), message };
    const finished = advance(uid, r);
    await record(r);
    if (finished) cleanup(uid, r);
  }

  function terminationMessage(p: Proc, exitCode: number): string | undefined {
    const read = (file: string) => {
      try {
        return readFileSync(file);
      } catch {
        return Buffer.alloc(0);
      }
    };
    const own = read(p.process!.terminationMessageFile).subarray(0, MAX_MESSAGE_BYTES).toString();
    if (own || exitCode === 0) return own || undefined;
    if (p.spec.terminationMessagePolicy !== 'FallbackToLogsOnError') return undefined;
    const lines = read(p.process!.logFile).toString().trimEnd().split('\n').slice(-80).join('\n');
    return lines.slice(-2048) || undefined;
  }

  function cleanup(uid: string, r: Running): void {
    for (const p of [...r.init, ...r.main]) {
      clearTimeout(p.retry);
      if (p.process) rmSync(p.process.workDir, { recursive: true, force: true });
    }
    if (runs.get(uid) === r) runs.delete(uid);
  }

  /** A stopping pod whose processes are all gone: cleaned up, and removed if deleted. */
  async function settleStop(uid: string, r: Running): Promise<void> {
    if ([...r.init, ...r.main].some((p) => p.child)) return;
    cleanup(uid, r);
    if (r.deleted) await removePod(r.pod);
  }

  /** As the kubelet does once the containers of a deleted pod are gone: delete it for good. */
  async function removePod(pod: V1Pod): Promise<void> {
    const { namespace, name, uid } = pod.metadata!;
    try {
      await core.deleteNamespacedPod({
        namespace: namespace!,
        name: name!,
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
    } catch (err) {
      const code = apiErrorCode(err);
      if (code !== 404 && code !== 409)
        log.warn({ pod: keyOf(pod), err: String(err) }, 'cannot delete pod');
    }
  }

  function kill(uid: string, r: Running, deleted: boolean): void {
    r.stopping = true;
    r.deleted ||= deleted;
    const graceMs = Math.min(5, r.pod.spec?.terminationGracePeriodSeconds ?? 5) * 1000;
    for (const p of [...r.init, ...r.main]) {
      clearTimeout(p.retry);
      const child = p.child;
      if (!child) continue;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => clearTimeout(timer));
    }
    inBackground('stopping', r.pod, settleStop(uid, r));
  }

  function observe(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || !eligible(pod)) return;
    const r = runs.get(uid);
    if (pod.metadata?.deletionTimestamp) {
      if (!r) inBackground('removing', pod, removePod(pod));
      else if (!r.stopping) kill(uid, r, true);
      return;
    }
    if (r || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const proc = (spec: V1Container): Proc => ({
      spec,
      run: { container: spec.name, image: spec.image ?? '', startedAt: '', restartCount: 0 },
    });
    const fresh: Running = {
      pod,
      init: (pod.spec!.initContainers ?? []).map(proc),
      main: pod.spec!.containers.map(proc),
      stopping: false,
      writes: Promise.resolve(),
    };
    runs.set(uid, fresh);
    advance(uid, fresh);
  }

  informer.on('add', observe);
  informer.on('update', observe);
  informer.on('delete', (pod) => {
    const uid = pod.metadata?.uid ?? '';
    const r = runs.get(uid);
    if (r) kill(uid, r, false);
  });
  informer.start();
  await informer.synced();
  return {
    async stop() {
      await informer.stop();
      const exits = [...runs.values()]
        .flatMap((r) => [...r.init, ...r.main])
        .map(
          (p) => p.child && new Promise<void>((resolve) => p.child!.once('exit', () => resolve())),
        );
      for (const [uid, r] of runs) kill(uid, r, false);
      await Promise.all(exits);
      for (const [uid, r] of runs) cleanup(uid, r);
    },
  };
}
