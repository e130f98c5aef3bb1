/**
 * SIMULATED job runner: plays the kubelet of the kwok nodes for pods that must really run —
 * pods of Jobs (ownerReferences kind Job) and pods labelled `sim.continuum.dev/run` — by
 * executing their single container as a local process (see pod-process.ts for the mapping of
 * volumes, env and the command) and writing the pod's status through pods/status as a kubelet
 * does: Running, then Succeeded/Failed with the exit code and the termination message
 * (terminationMessagePath, or the log tail with FallbackToLogsOnError). restartPolicy
 * OnFailure/Always restarts the process in place (restartCount, back-off from 1 s to 30 s).
 * Deleting the pod kills the process (SIGTERM, SIGKILL after the grace period, at most 5 s),
 * then removes the pod object for good, as the kubelet does.
 *
 * kwok must leave these pods alone: run kwok with the stages of kwok-stages.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Informer } from '../../reconcilers/runtime/informer.ts';
import { apiErrorCode, keyOf, mergePatch } from '../../reconcilers/runtime/kube.ts';
import { silentLogger, type Logger } from '../../reconcilers/runtime/log.ts';
import { preparePodProcess, type PodProcessSpec } from './pod-process.ts';
import { runningStatus, terminatedStatus, waitingStatus, type Run } from './pod-status.ts';

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

interface Running {
  pod: V1Pod;
  run: Run;
  spec?: PodProcessSpec;
  child?: ChildProcess;
  stopping: boolean;
  /** Status writes of this pod, in order (a fast exit must not overtake "Running"). */
  writes: Promise<void>;
  /** The pod is being deleted: remove it for good once the process is gone. */
  deleted?: boolean;
  retry?: NodeJS.Timeout;
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
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  function record(r: Running, status: object): Promise<void> {
    r.writes = r.writes.then(() => writeStatus(r.pod, status));
    return r.writes;
  }

  async function start(uid: string, r: Running): Promise<void> {
    const container = r.pod.spec!.containers[0]!;
    try {
      if (r.pod.spec!.containers.length !== 1) {
        throw new Error('the simulated job runner runs pods of exactly one container');
      }
      const rootDir = roots.get(r.pod.spec!.nodeName!)!;
      r.spec ??= await preparePodProcess(core, r.pod, container, rootDir, api);
    } catch (err) {
      if (r.stopping) return;
      const message = (err as Error).message;
      log.warn({ pod: keyOf(r.pod), err: message }, 'cannot start the container; retrying');
      await record(r, waitingStatus(container.name, container.image ?? '', message));
      r.retry = setTimeout(() => void start(uid, r), 2000);
      return;
    }
    if (r.stopping) return cleanup(uid, r);
    const { argv, env, workDir, logFile } = r.spec;
    const fd = openSync(logFile, 'a');
    // Where setpriv exists, the process dies with the test run however it ends (PDEATHSIG).
    const [file, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', ...argv]]
      : [argv[0]!, argv.slice(1)];
    const child = spawn(file, args, { env, cwd: workDir, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    r.child = child;
    r.run = { ...r.run, startedAt: new Date().toISOString(), pid: child.pid };
    child.on('error', (err) => log.warn({ pod: keyOf(r.pod), err: String(err) }, 'spawn failed'));
    child.on(
      'exit',
      (code, signal) => void exited(uid, r, code ?? (signal ? 128 + constants.signals[signal] : 1)),
    );
    log.info({ pod: keyOf(r.pod), argv }, 'container started');
    await record(r, runningStatus(r.pod, r.run));
  }

  async function exited(uid: string, r: Running, exitCode: number): Promise<void> {
    r.child = undefined;
    if (r.stopping) {
      cleanup(uid, r);
      if (r.deleted) await removePod(r.pod);
      return;
    }
    const policy = r.pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
      r.run = { ...r.run, restartCount: r.run.restartCount + 1 };
      const backoffMs = Math.min(30_000, 1000 * 2 ** Math.min(r.run.restartCount - 1, 5));
      r.retry = setTimeout(() => void start(uid, r), backoffMs);
      return;
    }
    const message = terminationMessage(r, exitCode);
    log.info({ pod: keyOf(r.pod), exitCode }, 'container exited');
    await record(
      r,
      terminatedStatus(r.pod, r.run, { exitCode, finishedAt: new Date().toISOString(), message }),
    );
    cleanup(uid, r);
  }

  function terminationMessage(r: Running, exitCode: number): string | undefined {
    const read = (file: string) => {
      try {
        return readFileSync(file);
      } catch {
        return Buffer.alloc(0);
      }
    };
    const own = read(r.spec!.terminationMessageFile).subarray(0, MAX_MESSAGE_BYTES).toString();
    if (own || exitCode === 0) return own || undefined;
    if (r.pod.spec?.containers[0]?.terminationMessagePolicy !== 'FallbackToLogsOnError')
      return undefined;
    const lines = read(r.spec!.logFile).toString().trimEnd().split('\n').slice(-80).join('\n');
    return lines.slice(-2048) || undefined;
  }

  function cleanup(uid: string, r: Running): void {
    clearTimeout(r.retry);
    if (r.spec) rmSync(r.spec.workDir, { recursive: true, force: true });
    if (runs.get(uid) === r) runs.delete(uid);
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
    clearTimeout(r.retry);
    const child = r.child;
    if (!child) {
      cleanup(uid, r);
      if (deleted) void removePod(r.pod);
      return;
    }
    child.kill('SIGTERM');
    const graceMs = Math.min(5, r.pod.spec?.terminationGracePeriodSeconds ?? 5) * 1000;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => clearTimeout(timer));
  }

  function observe(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || !eligible(pod)) return;
    const r = runs.get(uid);
    if (pod.metadata?.deletionTimestamp) {
      if (!r) void removePod(pod);
      else if (!r.stopping) kill(uid, r, true);
      return;
    }
    if (r || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const container = pod.spec!.containers[0]!;
    const run: Run = {
      container: container.name,
      image: container.image ?? '',
      startedAt: '',
      restartCount: 0,
    };
    const fresh: Running = { pod, run, stopping: false, writes: Promise.resolve() };
    runs.set(uid, fresh);
    void start(uid, fresh);
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
      const exits = [...runs.values()].map((r) =>
        r.child
          ? new Promise<void>((resolve) => r.child!.once('exit', () => resolve()))
          : undefined,
      );
      for (const [uid, r] of runs) kill(uid, r, false);
      await Promise.all(exits);
      for (const [uid, r] of runs) cleanup(uid, r);
    },
  };
}
