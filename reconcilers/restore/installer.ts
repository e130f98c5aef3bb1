/**
 * What the operator keeps in its namespace for continuum's runc wrapper:
 *  - the Secret `continuum-restore-key`: the key restore tickets are signed with, made once
 *    (32 random bytes) by the first operator that needs it, read by the others;
 *  - with restore.installer on, the DaemonSet `continuum-restore` on the wrapper's nodes: an
 *    init container (`continuum install-restore`, root, the host directory mounted) installs
 *    the wrapper and the key there; its pod is Ready once that is done, which is how the
 *    operator knows the node can restore (restore-mode.ts). A new key or image rolls it.
 */
import { randomBytes } from 'node:crypto';
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1DaemonSet,
  type V1Pod,
} from '@kubernetes/client-node';
import { PART_OF_LABELS } from '../api/install.ts';
import { applyDaemonSet, shortHash, specHashAnnotation } from '../runtime/daemonset.ts';
import { apiErrorCode } from '../runtime/kube.ts';

export const KEY_SECRET = 'continuum-restore-key';
const KEY_FIELD = 'restore.key';
export const INSTALLER_NAME = 'continuum-restore';
export const INSTALLER_LABELS = {
  'app.kubernetes.io/name': INSTALLER_NAME,
  'app.kubernetes.io/component': 'restore-installer',
};
export const INSTALLER_SELECTOR = Object.entries(INSTALLER_LABELS)
  .map(([k, v]) => `${k}=${v}`)
  .join(',');

export interface InstallerSettings {
  namespace: string;
  image: string;
  imagePullSecret?: string;
  nodeSelector: Record<string, string>;
  /** The host directory the RuntimeClass handler's runtime binary is in. */
  hostDir: string;
}

export function installerDaemonSet(s: InstallerSettings, key: Buffer): V1DaemonSet {
  const keyHash = shortHash(key, 16);
  const spec: V1DaemonSet['spec'] = {
    selector: { matchLabels: INSTALLER_LABELS },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
    template: {
      metadata: {
        labels: { ...INSTALLER_LABELS, ...PART_OF_LABELS },
        annotations: { 'continuum.dev/restore-key-hash': keyHash },
      },
      spec: {
        ...(s.imagePullSecret ? { imagePullSecrets: [{ name: s.imagePullSecret }] } : {}),
        nodeSelector: s.nodeSelector,
        tolerations: [{ operator: 'Exists' }],
        automountServiceAccountToken: false,
        initContainers: [
          {
            name: 'install',
            image: s.image,
            command: ['continuum', 'install-restore'],
            args: [
              '--to=/host',
              `--host-dir=${s.hostDir}`,
              `--issuer=${s.namespace}`,
              `--key=/key/${KEY_FIELD}`,
            ],
            // root: it writes the host directory
            securityContext: { runAsUser: 0, runAsNonRoot: false },
            volumeMounts: [
              { name: 'host', mountPath: '/host' },
              { name: 'key', mountPath: '/key', readOnly: true },
            ],
          },
        ],
        containers: [
          {
            name: 'installed',
            image: s.image,
            command: ['/bin/busybox', 'sleep', '2147483647'],
            resources: { requests: { cpu: '1m', memory: '4Mi' }, limits: { memory: '16Mi' } },
            securityContext: {
              runAsNonRoot: true,
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
          },
        ],
        terminationGracePeriodSeconds: 1,
        volumes: [
          { name: 'host', hostPath: { path: s.hostDir, type: 'DirectoryOrCreate' } },
          { name: 'key', secret: { secretName: KEY_SECRET, defaultMode: 0o400 } },
        ],
      },
    },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: INSTALLER_NAME,
      namespace: s.namespace,
      labels: { ...INSTALLER_LABELS, ...PART_OF_LABELS },
      annotations: specHashAnnotation(spec),
    },
    spec,
  };
}

/** The signing key: the Secret's, or a new one stored there (first writer wins). */
export async function ensureRestoreKey(kc: KubeConfig, namespace: string): Promise<Buffer> {
  const core = kc.makeApiClient(CoreV1Api);
  const read = async () => {
    const secret = await core.readNamespacedSecret({ name: KEY_SECRET, namespace });
    const key = Buffer.from(secret.data?.[KEY_FIELD] ?? '', 'base64');
    if (key.length < 32) throw new Error(`Secret ${namespace}/${KEY_SECRET} holds no 32-byte key`);
    return key;
  };
  try {
    return await read();
  } catch (err) {
    if (apiErrorCode(err) !== 404) throw err;
  }
  try {
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: KEY_SECRET, labels: PART_OF_LABELS },
        data: { [KEY_FIELD]: randomBytes(32).toString('base64') },
      },
    });
  } catch (err) {
    if (apiErrorCode(err) !== 409) throw err;
  }
  return read();
}

/** Creates the installer DaemonSet, or replaces it when what it runs changed. */
export async function ensureInstaller(kc: KubeConfig, desired: V1DaemonSet): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const { name, namespace } = desired.metadata as { name: string; namespace: string };
  const existing = await apps.readNamespacedDaemonSet({ name, namespace }).catch((err: unknown) => {
    if (apiErrorCode(err) !== 404) throw err;
    return undefined;
  });
  await applyDaemonSet(apps, desired, existing);
}

/** Nodes where a Ready installer pod runs: the wrapper is installed there. */
export function wrapperNodes(installerPods: V1Pod[]): Set<string> {
  return new Set(
    installerPods
      .filter(
        (p) =>
          !p.metadata?.deletionTimestamp &&
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      )
      .map((p) => p.spec?.nodeName)
      .filter((n): n is string => !!n),
  );
}
