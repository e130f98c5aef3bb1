/**
 * The local demo: a real control plane with kwok edge and cloud nodes, the chart installed with
 * helm, the operator and the edge-1 agent as local processes under the chart's ServiceAccounts,
 * and a workload whose container command really burns CPU in a real cgroup of this machine.
 * The agent measures it, the policy of scenario 2 fires, and the Migration moves the pod to the
 * cloud node by checkpoint/restore. Everything is stopped and removed at the end, or on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  GROUP,
  MIGRATION_PLURAL,
  OPERATOR_NAMESPACE,
  VERSION,
  type Migration,
} from '../reconcilers/api/types.ts';
import { V1Tree } from '../tests/agent/v1-cgroup-tree.ts';
import { startEnv, type RunningEnv } from '../tests/env/index.ts';
import { startService, type Service } from '../tests/env/process.ts';
import {
  adminKubeConfig,
  createNamespace,
  serviceAccountKubeconfig,
} from '../tests/env/service-account.ts';
import { waitFor } from '../tests/env/wait.ts';
import { liveLine, summary } from './demo/view.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const NAMESPACE = 'demo';
const WORKLOAD = 'image-processing-checkpoint';
const say = (line: string) => console.log(`\x1b[1m▸\x1b[0m ${line}`);

const cleanups: Array<() => unknown> = [];
async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await Promise.resolve(step()).catch(() => {});
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

function run(env: RunningEnv, tool: string, args: string[]): string {
  return execFileSync(join(env.info.binDir, tool), [...args, '--kubeconfig', env.info.kubeconfig], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The workload of policies/workloads/, limited to half a CPU so that its burn reads ~100 %. */
function workload(): V1Pod {
  const docs = parseAllDocuments(
    readFileSync(join(repo, 'policies/workloads/image-processing.yaml'), 'utf8'),
  ).map((d) => d.toJS() as V1Pod);
  const pod = docs.find((d) => d.metadata?.name === WORKLOAD)!;
  pod.spec!.nodeSelector = { 'kubernetes.io/hostname': 'edge-1' };
  pod.spec!.containers[0]!.resources!.limits = { cpu: '500m', memory: '128Mi' };
  return pod;
}

/** As a kubelet would: the container's ID in the pod status (kwok writes none). */
async function recordContainerId(core: CoreV1Api, pod: V1Pod, id: string): Promise<void> {
  const container = pod.spec!.containers[0]!;
  await core.patchNamespacedPodStatus(
    {
      name: pod.metadata!.name!,
      namespace: NAMESPACE,
      body: {
        status: {
          containerStatuses: [
            {
              name: container.name,
              image: container.image!,
              imageID: '',
              ready: true,
              restartCount: 0,
              started: true,
              containerID: `containerd://${id}`,
              state: { running: { startedAt: new Date().toISOString() } },
            },
          ],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

async function main(): Promise<number> {
  say('Starting the local environment: etcd, kube-apiserver, controller-manager, scheduler,');
  say('kwok (SIMULATED nodes edge-1, edge-2, cloud-1, edge-proxy), NATS, an OCI registry.');
  const env = await startEnv((line) => say(`  ${line}`), { realNodes: false });
  cleanups.push(() => env.stop());
  process.env.CONTINUUM_TEST_ENV = env.infoFile;
  say('SIMULATED: the kubelet checkpoint API (no CRIU on this kernel) and the kubelet that runs');
  say('  the imaging Job as a local process; the agent of edge-1 runs as a local process too.');

  say('helm install continuum charts/continuum');
  run(env, 'helm', [
    'install',
    'continuum',
    join(repo, 'charts/continuum'),
    '--namespace',
    OPERATOR_NAMESPACE,
    '--create-namespace',
    '--set',
    'createNamespace=false',
    // kwok nodes cannot run the operator's container: it runs below as a local process.
    '--set',
    'replicas=0',
    '--set',
    `natsUrl=${env.info.natsUrl}`,
    '--set',
    `registry.repository=${env.info.registry.host}/demo/checkpoints`,
    '--set',
    'registry.pushSecret=registry-push',
    '--set',
    'registry.pullSecret=registry-pull',
  ]);

  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await createNamespace(NAMESPACE);
  const dockerconfig = readFileSync(env.info.registry.dockerConfig).toString('base64');
  for (const name of ['registry-push', 'registry-pull']) {
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: {
        metadata: { name },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': dockerconfig },
      },
    });
  }

  const logDir = env.info.workDir;
  say(`continuum operator (as ServiceAccount ${OPERATOR_NAMESPACE}/continuum-operator)`);
  const operator: Service = startService(
    'operator',
    process.execPath,
    [
      join(repo, 'bin/continuum.js'),
      'operator',
      '--listen',
      '127.0.0.1:0',
      '--kubeconfig',
      await serviceAccountKubeconfig(OPERATOR_NAMESPACE, 'continuum-operator'),
    ],
    {
      logDir,
      env: {
        POD_NAMESPACE: OPERATOR_NAMESPACE,
        CONTINUUM_NATS_URL: env.info.natsUrl,
        CONTINUUM_REGISTRY_REPOSITORY: `${env.info.registry.host}/demo/checkpoints`,
        CONTINUUM_REGISTRY_PUSH_SECRET: 'registry-push',
        CONTINUUM_REGISTRY_PULL_SECRET: 'registry-pull',
        CONTINUUM_KUBELET_CA: env.info.caFile,
        CONTINUUM_IMAGE: 'continuum:demo',
      },
    },
  );
  cleanups.push(() => operator.stop());

  say('kubectl apply -f policies/edge-node.yaml -f policies/scenario-2-checkpoint.yaml');
  run(env, 'kubectl', [
    'apply',
    '-f',
    join(repo, 'policies/edge-node.yaml'),
    '-f',
    join(repo, 'policies/scenario-2-checkpoint.yaml'),
  ]);

  say(`Workload ${NAMESPACE}/${WORKLOAD} on edge-1, limited to 0.5 CPU`);
  const created = await core.createNamespacedPod({ namespace: NAMESPACE, body: workload() });
  await waitFor(
    'the workload to run',
    async () => {
      const pod = await core.readNamespacedPod({ namespace: NAMESPACE, name: WORKLOAD });
      return pod.status?.phase === 'Running' ? pod : undefined;
    },
    30_000,
  );
  const containerId = `demo${Date.now().toString(16)}`;
  await recordContainerId(core, created, containerId);
  const tree = new V1Tree();
  cleanups.push(() => tree.remove());
  const cgroup = `kubepods/burstable/pod${created.metadata!.uid}/${containerId}`;
  tree.mkdir(cgroup);
  tree.write('cpu', cgroup, 'cpu.cfs_period_us', '100000');
  tree.write('cpu', cgroup, 'cpu.cfs_quota_us', '50000');
  const command = created.spec!.containers[0]!.command!.slice(2).join(' ');
  tree.spawnNode(
    cgroup,
    `require('child_process').spawnSync('sh', ['-c', ${JSON.stringify(command)}], { stdio: 'ignore' })`,
  );
  say(`  its command runs in the real cgroup ${cgroup} (cpu.cfs_quota_us 50000): ${command}`);

  say('continuum agent --node edge-1 (as ServiceAccount continuum-agent), sampling every 1 s');
  const agent = startService(
    'agent',
    process.execPath,
    [
      join(repo, 'bin/continuum.js'),
      'agent',
      '--node',
      'edge-1',
      '--nats-url',
      env.info.natsUrl,
      '--cgroup-root',
      tree.root,
      '--kubeconfig',
      await serviceAccountKubeconfig(OPERATOR_NAMESPACE, 'continuum-agent'),
    ],
    { logDir },
  );
  cleanups.push(() => agent.stop());

  const custom = kc.makeApiClient(CustomObjectsApi);
  const migrations = async () =>
    (
      (await custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: MIGRATION_PLURAL,
        namespace: NAMESPACE,
      })) as { items: Migration[] }
    ).items;
  say('Waiting for the policy to fire (container or node CPU or memory above 90 %)…');
  const first = await waitFor('a Migration', async () => (await migrations())[0], 90_000);
  say(`Migration ${first.metadata.name} created by the trigger: ${first.spec.reason}`);
  console.log(`  ${'PHASE'.padEnd(13)} ${'ELAPSED'.padStart(7)}   PHASES`);
  const tty = process.stdout.isTTY;
  let last = '';
  const done = await waitFor(
    'the Migration to finish',
    async () => {
      const m = (await migrations()).find((x) => x.metadata.name === first.metadata.name);
      if (!m) return undefined;
      const line = liveLine(m);
      if (tty) process.stdout.write(`\r\x1b[2K  ${line}`);
      else if (m.status?.phase !== last) console.log(`  ${line}`);
      last = m.status?.phase ?? '';
      return last === 'Done' || last === 'Failed' ? m : undefined;
    },
    180_000,
  );
  if (tty) process.stdout.write('\n');
  console.log(`\n${summary(done)}\n`);
  const pods = await core.listNamespacedPod({ namespace: NAMESPACE });
  for (const p of pods.items)
    say(`pod ${p.metadata?.name} on ${p.spec?.nodeName}: ${p.spec?.containers[0]?.image}`);
  return done.status?.phase === 'Done' ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
} finally {
  say('Stopping everything');
  await cleanup();
}
process.exit(code);
