/**
 * What the tests on the real nodes share: the nodes, a workload whose state lives only in
 * memory, the pull Secret of the environment's TLS registry, container logs, and the kubelet's
 * checkpoint API called directly (the admin's client certificate; the serving certificate
 * verified against the environment's CA).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'node:https';
import { AppsV1Api, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { INSTALLER_NAME } from '../../reconcilers/restore/installer.ts';
import { adminKubeConfig, ignoreConflict } from '../env/service-account.ts';
import { testEnv, type RealNode } from '../env/info.ts';
import { pushLayout } from '../env/registry.ts';
import { waitFor } from '../env/wait.ts';
import type { Harness } from '../migration/harness.ts';
import type { OperatorProcess } from '../runtime/operator-process.ts';
import { OPERATOR_NAMESPACE, type MigrationSpec } from '../../reconcilers/api/types.ts';
import { REAL_NODE_TAINT } from '../env/real-node.ts';

export const REAL_NODE_TOLERATION = {
  key: 'test.continuum.dev/real-node',
  operator: 'Equal',
  value: 'true',
  effect: 'NoSchedule',
};
export const REAL_PULL_SECRET = 'real-registry-pull';

/** False when this run skipped the real nodes (CONTINUUM_REAL_NODES=0, never in CI). */
export function realNodeAvailable(): boolean {
  return testEnv().realNodes.length > 0;
}

export function realNode(name: string): RealNode {
  const node = testEnv().realNodes.find((n) => n.name === name);
  if (!node) throw new Error(`no real node ${name} in this test environment`);
  return node;
}

/**
 * A busybox pod on `nodeName` that picks a random token at start and prints
 * `token=<token> count=<n>` every second: both live only in the shell's memory, so a pod that
 * goes on with the same token and the next count was restored, not restarted.
 */
export function counterPod(
  name: string,
  nodeName: string,
  opts: { container?: string; image?: string } = {},
): V1Pod {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      nodeName,
      tolerations: [REAL_NODE_TOLERATION],
      imagePullSecrets: [{ name: REAL_PULL_SECRET }],
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: opts.container ?? 'counter',
          image: opts.image ?? testEnv().images.busybox,
          command: [
            'sh',
            '-c',
            'token=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d " \\n"); i=0; ' +
              'while true; do i=$((i+1)); echo "token=$token count=$i"; sleep 1; done',
          ],
        },
      ],
    },
  };
}

/**
 * The kubernetes.io/dockerconfigjson Secret for the registries the real nodes pull from, the TLS
 * and the plain-HTTP one (kept if there).
 */
export async function createPullSecret(core: CoreV1Api, namespace: string): Promise<void> {
  const { tlsRegistry, httpRegistry } = testEnv();
  const auths = Object.fromEntries(
    [tlsRegistry, httpRegistry].map(({ host, username, password }) => [
      host,
      { auth: Buffer.from(`${username}:${password}`).toString('base64') },
    ]),
  );
  await ignoreConflict(
    core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: REAL_PULL_SECRET },
        type: 'kubernetes.io/dockerconfigjson',
        stringData: { '.dockerconfigjson': JSON.stringify({ auths }) },
      },
    }),
  );
}

export async function logsOf(
  core: CoreV1Api,
  namespace: string,
  pod: string,
  container?: string,
): Promise<string> {
  return core.readNamespacedPodLog({ namespace, name: pod, container });
}

/** The `token=… count=…` lines of a counter's logs, in order. */
export function counts(logs: string): Array<{ token: string; count: number }> {
  return [...logs.matchAll(/token=(\w+) count=(\d+)/g)].map((m) => ({
    token: m[1]!,
    count: Number(m[2]),
  }));
}

export const lastCount = (logs: string) => counts(logs).at(-1);

/** Creates a counter pod and resolves with its last line once it has counted to `atLeast`. */
export async function startCounter(
  core: CoreV1Api,
  namespace: string,
  pod: V1Pod,
  atLeast = 2,
): Promise<{ token: string; count: number }> {
  await core.createNamespacedPod({ namespace, body: pod });
  return countedPast(core, namespace, pod.metadata!.name!, atLeast - 1);
}

/** The last line of counter `pod` once its count is past `count` (the process running on). */
export function countedPast(
  core: CoreV1Api,
  namespace: string,
  pod: string,
  count: number,
): Promise<{ token: string; count: number }> {
  return waitFor(`${pod} counting past ${count}`, async () => {
    const last = lastCount(await logsOf(core, namespace, pod));
    return last && last.count > count && last;
  });
}

/** POST /checkpoint/… on the node's kubelet as the admin; resolves to the archive's path. */
export function kubeletCheckpoint(
  node: RealNode,
  namespace: string,
  pod: string,
  container: string,
): Promise<string> {
  const env = testEnv();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: node.address,
        port: node.kubeletPort,
        method: 'POST',
        path: `/checkpoint/${namespace}/${pod}/${container}`,
        ca: readFileSync(env.caFile),
        cert: readFileSync(env.adminClient.cert),
        key: readFileSync(env.adminClient.key),
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`kubelet answered ${res.statusCode}: ${body}`));
            return;
          }
          resolve((JSON.parse(body) as { items: string[] }).items[0]!);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts the operator of harness `h` for the real nodes: imaging Jobs run the product image
 * built from this checkout, pulled with {@link REAL_PULL_SECRET} (created in h's namespace), and
 * trust the TLS registry's CA; its restore installer puts continuum's runc wrapper on every real
 * node (every real operator shares the one DaemonSet of the operator namespace). `args` and `env` go to `continuum operator` too (the last of a flag
 * wins).
 */
export async function startRealOperator(
  h: Harness,
  opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<OperatorProcess> {
  await createPullSecret(h.core, h.namespace);
  // the restore installer's pods pull the product image in the operator's namespace
  await createPullSecret(h.core, OPERATOR_NAMESPACE);
  const operator = await h.startOperator({
    args: ['--registry-ca', testEnv().caFile, ...(opts.args ?? [])],
    env: {
      CONTINUUM_IMAGE: testEnv().images.continuum,
      CONTINUUM_IMAGE_PULL_SECRET: REAL_PULL_SECRET,
      CONTINUUM_RESTORE_INSTALLER: 'true',
      CONTINUUM_RESTORE_NODE_SELECTOR: `${REAL_NODE_TAINT.key}=true`,
      ...opts.env,
    },
  });
  await restoreWrapperReady();
  return operator;
}

/** Waits until the restore installer's pod (of the operator in `namespace`) is Ready on every real node. */
export async function restoreWrapperReady(namespace = OPERATOR_NAMESPACE): Promise<void> {
  const apps = adminKubeConfig().makeApiClient(AppsV1Api);
  await waitFor(
    'the restore wrapper installed on every real node',
    async () => {
      const ds = await apps
        .readNamespacedDaemonSet({ name: INSTALLER_NAME, namespace })
        .catch(() => undefined);
      return (
        (ds?.status?.numberReady ?? 0) >= testEnv().realNodes.length &&
        ds?.status?.updatedNumberScheduled === ds?.status?.desiredNumberScheduled
      );
    },
    90_000,
  );
}

/** spec.image of a Migration on the real nodes: the TLS registry, pushed and pulled with the Secret. */
export function realImageSpec(h: Harness): MigrationSpec['image'] {
  return {
    repository: `${testEnv().tlsRegistry.host}/continuum/${h.namespace}`,
    pushSecretRef: { name: REAL_PULL_SECRET },
    pullSecretRef: { name: REAL_PULL_SECRET },
  };
}

/**
 * A variant of busybox no node has pulled yet: its config carries a label of its own, so its
 * image ID differs too (containerd pulls a checkpoint's base image without credentials unless
 * an image of that ID is already on the node).
 */
export async function freshBaseImage(name: string): Promise<string> {
  const { tlsRegistry, caFile, images } = testEnv();
  const layout = mkdtempSync(join(tmpdir(), 'continuum-variant-'));
  try {
    cpSync(images.busyboxLayout, layout, { recursive: true });
    await promisify(execFile)('umoci', [
      'config',
      '--image',
      `${layout}:1.35`,
      `--config.label=test.continuum.dev/variant=${name}`,
    ]);
    return await pushLayout(tlsRegistry, caFile, layout, name, '1.35');
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}

/**
 * The `token=… count=…` lines of restored counter `pod` once it has counted on past `before`
 * (the last line seen before the checkpoint): waits up to 60 s.
 */
export function restoredCounter(
  core: CoreV1Api,
  namespace: string,
  pod: string,
  before: { count: number },
): Promise<Array<{ token: string; count: number }>> {
  return waitFor(
    'the restored counter past the checkpoint',
    async () => {
      const all = counts(await logsOf(core, namespace, pod));
      return (all.at(-1)?.count ?? 0) > before.count + 1 && all;
    },
    60_000,
  );
}
