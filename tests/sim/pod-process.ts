/**
 * How the SIMULATED job runner turns a pod's single container into a local process: the
 * filesystem paths the container would see are mapped to host directories, and every argument
 * and environment value naming such a path is rewritten.
 *
 * - hostPath volumes → `<node rootDir>/<hostPath.path>` (the node's filesystem);
 * - secret / configMap / projected volumes (Secrets, ConfigMaps, downward API, ServiceAccount
 *   tokens issued by the TokenRequest API) → files in a private temp dir (0600), `items` honoured;
 * - emptyDir → a temp dir;
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
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKubeconfig } from '../env/kubeconfig.ts';
import type {
  CoreV1Api,
  V1Container,
  V1EnvVar,
  V1Pod,
  V1ProjectedVolumeSource,
  V1Volume,
} from '@kubernetes/client-node';

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

async function materialise(
  core: CoreV1Api,
  pod: V1Pod,
  v: V1Volume,
  rootDir: string,
  workDir: string,
): Promise<string> {
  if (v.hostPath) return join(rootDir, v.hostPath.path);
  const dir = join(workDir, 'volumes', v.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (v.emptyDir) return dir;
  let files: Record<string, Buffer>;
  if (v.secret) files = await secretFiles(core, pod, v.secret.secretName!, v.secret.items);
  else if (v.configMap)
    files = await configMapFiles(core, pod, v.configMap.name!, v.configMap.items);
  else if (v.projected) files = await projectedFiles(core, pod, v.projected);
  else {
    throw new Error(
      `volume "${v.name}": only hostPath, secret, configMap, projected and emptyDir are simulated`,
    );
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content, { mode: 0o600 });
  }
  return dir;
}

type Items = Array<{ key: string; path: string }> | undefined;

function pick(data: Record<string, Buffer>, items: Items, what: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const { key, path } of items ?? Object.keys(data).map((k) => ({ key: k, path: k }))) {
    const content = data[key];
    if (!content) throw new Error(`key "${key}" not in ${what}`);
    out[path] = content;
  }
  return out;
}

async function secretFiles(core: CoreV1Api, pod: V1Pod, name: string, items: Items) {
  const s = await core.readNamespacedSecret({ namespace: pod.metadata!.namespace!, name });
  const data = Object.entries(s.data ?? {}).map(([k, b64]) => [k, Buffer.from(b64, 'base64')]);
  return pick(Object.fromEntries(data), items, `Secret "${name}"`);
}

async function configMapFiles(core: CoreV1Api, pod: V1Pod, name: string, items: Items) {
  const c = await core.readNamespacedConfigMap({ namespace: pod.metadata!.namespace!, name });
  const data = Object.entries(c.data ?? {}).map(([k, text]) => [k, Buffer.from(text)]);
  return pick(Object.fromEntries(data), items, `ConfigMap "${name}"`);
}

/** Projected volumes, e.g. the ServiceAccount token volume admission adds to every pod. */
async function projectedFiles(core: CoreV1Api, pod: V1Pod, p: V1ProjectedVolumeSource) {
  const files: Record<string, Buffer> = {};
  for (const source of p.sources ?? []) {
    if (source.secret)
      Object.assign(files, await secretFiles(core, pod, source.secret.name!, source.secret.items));
    if (source.configMap) {
      Object.assign(
        files,
        await configMapFiles(core, pod, source.configMap.name!, source.configMap.items),
      );
    }
    for (const item of source.downwardAPI?.items ?? []) {
      files[item.path] = Buffer.from(fieldValue(pod, item.fieldRef?.fieldPath ?? ''));
    }
    const t = source.serviceAccountToken;
    if (t) files[t.path] = Buffer.from(await podToken(core, pod, t.audience, t.expirationSeconds));
  }
  return files;
}

/** A token of the pod's ServiceAccount, bound to the pod (TokenRequest API). */
async function podToken(core: CoreV1Api, pod: V1Pod, audience?: string, seconds = 3607) {
  const request = await core.createNamespacedServiceAccountToken({
    namespace: pod.metadata!.namespace!,
    name: pod.spec?.serviceAccountName ?? 'default',
    body: {
      spec: {
        audiences: audience ? [audience] : [],
        expirationSeconds: seconds,
        boundObjectRef: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: pod.metadata!.name!,
          uid: pod.metadata!.uid!,
        },
      },
    },
  });
  return request.status?.token ?? '';
}

function fieldValue(pod: V1Pod, path: string): string {
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': '127.0.0.1',
    'status.hostIP': '127.0.0.1',
  };
  return fields[path] ?? '';
}

async function envValue(core: CoreV1Api, pod: V1Pod, e: V1EnvVar): Promise<string> {
  const from = e.valueFrom;
  if (!from) return e.value ?? '';
  if (from.secretKeyRef) {
    const { name, key } = from.secretKeyRef;
    const files = await secretFiles(core, pod, name!, [{ key, path: key }]);
    return files[key]!.toString('utf8');
  }
  if (from.configMapKeyRef) {
    const { name, key } = from.configMapKeyRef;
    const files = await configMapFiles(core, pod, name!, [{ key, path: key }]);
    return files[key]!.toString('utf8');
  }
  if (from.fieldRef) return fieldValue(pod, from.fieldRef.fieldPath);
  throw new Error(
    `env ${e.name}: only value, secretKeyRef, configMapKeyRef and fieldRef are simulated`,
  );
}
