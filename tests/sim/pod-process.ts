/**
 * How the SIMULATED job runner turns one container of a pod into a local process: the
 * filesystem paths the container would see are mapped to host directories, and every argument
 * and environment value naming such a path is rewritten.
 *
 * - hostPath volumes → `<node rootDir>/<hostPath.path>` (the node's filesystem);
 * - secret / configMap / projected volumes (Secrets, ConfigMaps, downward API, ServiceAccount
 *   tokens issued by the TokenRequest API) → files in a private temp dir (0600), `items` honoured;
 * - emptyDir → a temp dir of the container (not shared with the pod's other containers);
 * - the terminationMessagePath → a temp file, also named by CONTINUUM_TERMINATION_MESSAGE_PATH;
 * - env: value, valueFrom secretKeyRef / configMapKeyRef / fieldRef (metadata.name,
 *   metadata.namespace, metadata.uid, spec.nodeName, spec.serviceAccountName, status.podIP);
 * - the image is not pulled: `continuum` (any path ending in /continuum, or the image's
 *   entrypoint when the container has no command) runs this repository's bin/continuum.js.
 * - API access as the pod's ServiceAccount (unless automountServiceAccountToken is false): a
 *   kubeconfig with a bound token, named by KUBECONFIG and CONTINUUM_KUBECONFIG (in place of
 *   the in-cluster configuration, whose paths cannot be mapped).
 * Not simulated: envFrom, subPath.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKubeconfig } from '../env/kubeconfig.ts';
import { envValue, materialise, podToken } from './pod-sources.ts';
import type { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';

const CLI = fileURLToPath(new URL('../../bin/continuum.js', import.meta.url));

export interface PodProcessSpec {
  argv: string[];
  env: Record<string, string>;
  /** Private directory of this run (volumes, termination message, log); remove after exit. */
  workDir: string;
  terminationMessageFile: string;
  logFile: string;
}

/** Maps `container` of `pod` on a node rooted at `rootDir`; throws naming what is missing. */
export async function preparePodProcess(
  core: CoreV1Api,
  pod: V1Pod,
  container: V1Container,
  rootDir: string,
  api: { server: string; caFile: string },
): Promise<PodProcessSpec> {
  const workDir = mkdtempSync(join(tmpdir(), `sim-pod-${pod.metadata?.name}-`));
  try {
    return await prepareIn(workDir, core, pod, container, rootDir, api);
  } catch (err) {
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}

async function prepareIn(
  workDir: string,
  core: CoreV1Api,
  pod: V1Pod,
  container: V1Container,
  rootDir: string,
  api: { server: string; caFile: string },
): Promise<PodProcessSpec> {
  chmodSync(workDir, 0o700);
  const mounts: Array<[string, string]> = [];
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const m of container.volumeMounts ?? []) {
    const volume = volumes.get(m.name);
    if (!volume) throw new Error(`volume "${m.name}" is not defined in the pod`);
    mounts.push([m.mountPath, await materialise(core, pod, volume, rootDir, workDir)]);
  }
  const terminationMessageFile = join(workDir, 'termination-log');
  writeFileSync(terminationMessageFile, '');
  mounts.push([container.terminationMessagePath ?? '/dev/termination-log', terminationMessageFile]);
  mounts.sort((a, b) => b[0].length - a[0].length);
  const map = (s: string) => mapPaths(s, mounts);

  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workDir };
  for (const e of container.env ?? []) env[e.name] = map(await envValue(core, pod, e));
  env.CONTINUUM_TERMINATION_MESSAGE_PATH = terminationMessageFile;
  if (pod.spec?.automountServiceAccountToken !== false) {
    const kubeconfig = join(workDir, 'serviceaccount.kubeconfig');
    writeKubeconfig(kubeconfig, api.server, api.caFile, { token: await podToken(core, pod) });
    env.KUBECONFIG ??= kubeconfig;
    env.CONTINUUM_KUBECONFIG ??= kubeconfig;
  }
  const command = container.command?.length ? container.command : ['continuum'];
  const argv = [...command, ...(container.args ?? [])].map(map);
  const program = argv[0] === 'continuum' || argv[0]!.endsWith('/continuum');
  return {
    argv: program ? [process.execPath, CLI, ...argv.slice(1)] : argv,
    env,
    workDir,
    terminationMessageFile,
    logFile: join(workDir, 'container.log'),
  };
}

/**
 * Rewrites container paths to their host directories wherever a path starts: at the start of
 * `s`, or after `=`, `:`, `>`, whitespace or a quote (`--archive=/x`, `sh -c "cat /x"`).
 */
export function mapPaths(s: string, mounts: Array<[string, string]>): string {
  for (const [from, to] of mounts) {
    const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    s = s.replace(new RegExp(`(^|[=:>\\s"'])${escaped}(?=[/\\s"']|$)`, 'g'), `$1${to}`);
  }
  return s;
}
