/**
 * Where a SIMULATED pod's data comes from: its volumes materialised as files (hostPath → the
 * node's directory; Secret, ConfigMap and projected sources written to a private directory),
 * env values (Secrets, ConfigMaps, fieldRefs), and ServiceAccount tokens (TokenRequest API).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type {
  CoreV1Api,
  V1EnvVar,
  V1Pod,
  V1ProjectedVolumeSource,
  V1Volume,
} from '@kubernetes/client-node';

/** The directory `v` is mounted from: a node directory, or a new one under `workDir`. */
export async function materialise(
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
export async function podToken(core: CoreV1Api, pod: V1Pod, audience?: string, seconds = 3607) {
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

/** The value of an env entry, resolved as the kubelet does; throws naming what is missing. */
export async function envValue(core: CoreV1Api, pod: V1Pod, e: V1EnvVar): Promise<string> {
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
