/**
 * End-to-end harness of the Migration state machine: the CRDs and the chart's RBAC installed,
 * `continuum operator` run as a child process under the chart's ServiceAccount (its token, and
 * nothing more), one namespace per test file, and polling helpers that assert resulting state.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  API_VERSION,
  GROUP,
  MIGRATION_PLURAL,
  OPERATOR_NAMESPACE,
  VERSION,
  type Migration,
  type MigrationSpec,
} from '../../reconcilers/api/types.ts';
import { mergePatch } from '../../reconcilers/runtime/kube.ts';
import { installCrds } from '../api/install-crds.ts';
import { kubectl } from '../api/kubectl.ts';
import { testEnv } from '../env/info.ts';
import {
  adminKubeConfig,
  createNamespace,
  ignoreConflict,
  serviceAccountKubeconfig,
} from '../env/service-account.ts';
import { waitFor } from '../env/wait.ts';
import { startOperatorProcess, type OperatorProcess } from '../runtime/operator-process.ts';

const CHART = new URL('../../charts/continuum', import.meta.url).pathname;
const RBAC_KINDS = new Set([
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
]);
export const PUSH_SECRET = 'registry-push';
export const PULL_SECRET = 'registry-pull';

let installed: Promise<string> | undefined;

/**
 * Applies the RBAC objects of the chart rendered with `helm template … --set <sets>` (the
 * operator's, agent's and imager's ServiceAccounts, roles and bindings).
 */
export async function applyChartRbac(sets: string[] = []): Promise<void> {
  const env = testEnv();
  const { stdout } = await promisify(execFile)(
    join(env.binDir, 'helm'),
    [
      'template',
      'continuum',
      CHART,
      '--kube-version',
      '1.34.0',
      ...sets.flatMap((s) => ['--set', s]),
    ],
    { maxBuffer: 16 << 20 },
  );
  const rbac = parseAllDocuments(stdout)
    .map((d) => d.toJS() as { kind?: string } | null)
    .filter((o) => o && RBAC_KINDS.has(o.kind ?? ''));
  await ignoreConflict(
    adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: OPERATOR_NAMESPACE } } }),
  );
  const apply = await kubectl(
    ['apply', '--server-side', '--force-conflicts', '--field-manager=continuum-tests', '-f', '-'],
    { input: rbac.map((o) => JSON.stringify(o)).join('\n') },
  );
  if (apply.code !== 0) throw new Error(`cannot apply the chart's RBAC: ${apply.stderr}`);
}

/** Installs CRDs and the chart's RBAC once per process; resolves to the operator's kubeconfig. */
export function installOperatorIdentity(): Promise<string> {
  installed ??= (async () => {
    await installCrds(testEnv().kubeconfig);
    await applyChartRbac();
    return serviceAccountKubeconfig(OPERATOR_NAMESPACE, 'continuum-operator');
  })();
  return installed;
}

export interface Harness {
  namespace: string;
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  /** The checkpoint repository of this file, on the plain registry. */
  repository: string;
  startOperator(opts?: { args?: string[]; env?: NodeJS.ProcessEnv }): OperatorProcess;
  createPod(
    name: string,
    opts?: {
      annotations?: Record<string, string>;
      labels?: Record<string, string>;
      node?: string;
      owner?: { apiVersion: string; kind: string; name: string; uid: string };
      /** Container names; default one container, `worker`. */
      containers?: string[];
    },
  ): Promise<V1Pod>;
  createMigration(name: string, spec: Partial<MigrationSpec>): Promise<Migration>;
  getMigration(name: string): Promise<Migration | undefined>;
  waitForMigration(
    name: string,
    accept: (m: Migration) => boolean,
    timeoutMs?: number,
  ): Promise<Migration>;
  pods(): Promise<V1Pod[]>;
  cleanup(): Promise<void>;
}

/** A namespace with the registry Secrets, and the operator's kubeconfig. */
export async function harness(
  namespace: string,
): Promise<Harness & { operatorKubeconfig: string }> {
  const env = testEnv();
  const operatorKubeconfig = await installOperatorIdentity();
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  // a namespace of an earlier run against the same environment may still be terminating
  await waitFor(`namespace ${namespace} free`, async () =>
    core.readNamespace({ name: namespace }).then(
      () => undefined,
      () => true,
    ),
  );
  await createNamespace(namespace);
  const dockerconfig = Buffer.from(readFileSync(env.registry.dockerConfig)).toString('base64');
  for (const name of [PUSH_SECRET, PULL_SECRET]) {
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': dockerconfig },
      },
    });
  }
  const operators: OperatorProcess[] = [];
  /** For a timeout's message: each operator's state and its last log lines. */
  const operatorTail = () =>
    operators
      .map((op, i) => {
        const state = op.child.exitCode ?? op.child.signalCode ?? 'running';
        const lines = op.logs.slice(-15).map((l) => JSON.stringify(l).slice(0, 400));
        return `\noperator ${i} (${state}):\n  ${lines.join('\n  ')}`;
      })
      .join('');
  const ref = { group: GROUP, version: VERSION, plural: MIGRATION_PLURAL, namespace };
  const getMigration = async (name: string) => {
    try {
      return (await custom.getNamespacedCustomObject({ ...ref, name })) as Migration;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };
  return {
    namespace,
    kc,
    core,
    custom,
    operatorKubeconfig,
    repository: `${env.registry.host}/continuum/${namespace}`,
    startOperator(opts = {}) {
      const op = startOperatorProcess(
        [
          '--kubeconfig',
          operatorKubeconfig,
          '--namespace',
          OPERATOR_NAMESPACE,
          '--kubelet-ca',
          env.caFile,
          '--leader-elect',
          'false',
          ...(opts.args ?? []),
        ],
        {
          CONTINUUM_WATCH_NAMESPACE: namespace,
          CONTINUUM_IMAGE: 'continuum:e2e',
          CONTINUUM_LOG_LEVEL: 'debug',
          ...opts.env,
        },
      );
      operators.push(op);
      return op;
    },
    async createPod(name, opts = {}) {
      const body: V1Pod = {
        metadata: {
          name,
          labels: { app: name, ...opts.labels },
          annotations: opts.annotations,
          ...(opts.owner ? { ownerReferences: [{ ...opts.owner, controller: true }] } : {}),
        },
        spec: {
          nodeName: opts.node ?? 'edge-1',
          containers: (opts.containers ?? ['worker']).map((c) => ({
            name: c,
            image: 'busybox:1.36',
            command: ['sleep', 'infinity'],
          })),
        },
      };
      await core.createNamespacedPod({ namespace, body });
      return waitFor(`pod ${name} Ready`, async () => {
        const pod = await core.readNamespacedPod({ namespace, name });
        return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? pod
          : undefined;
      });
    },
    async createMigration(name, spec) {
      const body = {
        apiVersion: API_VERSION,
        kind: 'Migration',
        metadata: { name },
        spec: { restorePolicy: 'restart', ...spec },
      };
      return (await custom.createNamespacedCustomObject({ ...ref, body })) as Migration;
    },
    getMigration,
    waitForMigration(name, accept, timeoutMs = 120_000) {
      return waitFor(
        `Migration ${name}`,
        async () => {
          const m = await getMigration(name);
          return m && accept(m) ? m : undefined;
        },
        timeoutMs,
        async () =>
          `${JSON.stringify((await getMigration(name))?.status ?? null)}${operatorTail()}`,
      );
    },
    async pods() {
      return (await core.listNamespacedPod({ namespace })).items;
    },
    async cleanup() {
      // Migrations first, so the finalizer is released by the operator (or by force if it is gone)
      const list = (await custom.listNamespacedCustomObject(ref)) as { items: Migration[] };
      await Promise.all(
        list.items.map((m) =>
          custom
            .deleteNamespacedCustomObject({ ...ref, name: m.metadata.name! })
            .catch(() => undefined),
        ),
      );
      const gone = await waitFor(
        'Migrations deleted',
        async () =>
          ((await custom.listNamespacedCustomObject(ref)) as { items: Migration[] }).items.length
            ? undefined
            : true,
        20_000,
      ).catch(() => false);
      await Promise.all(operators.map((o) => o.kill('SIGKILL')));
      if (!gone) {
        const left = ((await custom.listNamespacedCustomObject(ref)) as { items: Migration[] })
          .items;
        for (const m of left) {
          await custom
            .patchNamespacedCustomObject(
              { ...ref, name: m.metadata.name!, body: { metadata: { finalizers: null } } },
              mergePatch,
            )
            .catch(() => undefined);
        }
      }
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    },
  };
}

export const isPhase =
  (...phases: string[]) =>
  (m: Migration) =>
    phases.includes(m.status?.phase ?? '');
