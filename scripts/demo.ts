/**
 * The local demo: a real control plane and real nodes (kubelet, containerd, runc, CRIU), the
 * chart installed with helm, the operator and the real-edge agent as local processes under the
 * chart's ServiceAccounts, and on real-edge a busybox counter that keeps a token and a count in
 * memory while burning its CPU limit. The agent measures its real cgroup, the policy of
 * scenario 2 fires, and the Migration moves the container to real-cloud by checkpoint/restore:
 * the screen shows its output going on there with the same token. Everything is stopped and
 * removed at the end, or on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { parseDocument } from 'yaml';
import {
  GROUP,
  MIGRATION_PLURAL,
  OPERATOR_NAMESPACE,
  VERSION,
  type Migration,
} from '../reconcilers/api/types.ts';
import { startAgent } from '../tests/agent/harness.ts';
import { startEnv, type RunningEnv } from '../tests/env/index.ts';
import { startService, type Service } from '../tests/env/process.ts';
import {
  adminKubeConfig,
  createNamespace,
  serviceAccountKubeconfig,
} from '../tests/env/service-account.ts';
import { waitFor } from '../tests/env/wait.ts';
import {
  counts,
  createPullSecret,
  logsOf,
  REAL_PULL_SECRET,
  realNode,
  realNodeAvailable,
  restoreWrapperReady,
} from '../tests/real/helpers.ts';
import { counterContinuity } from '../tests/real/counter-continuity.ts';
import { HOT_COUNTER_CPU_LIMIT, hotCounterPod } from '../tests/real/hot-counter.ts';
import { latestLine, workloadOutput } from './demo/workload.ts';
import { LIVE_HEADER, liveLine, summary, workloadVerdict, type WorkloadLine } from './demo/view.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const NAMESPACE = 'demo';
const WORKLOAD = 'hot-counter';
const EDGE = 'real-edge';
const CLOUD = 'real-cloud';
const say = (line: string) => console.log(`\x1b[1m▸\x1b[0m ${line}`);

const cleanups: Array<() => unknown> = [];
async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await Promise.resolve(step()).catch(() => {});
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

function run(env: RunningEnv, tool: string, args: string[], input?: string): string {
  return execFileSync(join(env.info.binDir, tool), [...args, '--kubeconfig', env.info.kubeconfig], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** policies/scenario-2-checkpoint.yaml aimed at real-cloud: kwok's cloud-1 is a cloud node too. */
function scenarioPolicy(): string {
  const doc = parseDocument(
    readFileSync(join(repo, 'policies/scenario-2-checkpoint.yaml'), 'utf8'),
  );
  doc.setIn(['spec', 'target'], doc.createNode({ nodeName: CLOUD }));
  return doc.toString();
}

async function main(): Promise<number> {
  say('Starting the local environment: etcd, kube-apiserver, controller-manager, scheduler, NATS,');
  say('an OCI registry over TLS, and three REAL nodes, real-edge, real-cloud and real-cloud-23');
  say('(kubelet 1.34, runc, CRIU 4.1; containerd 2.3 on real-edge, 2.4 on real-cloud, which');
  say("  restores checkpoints only through continuum's RuntimeClass, 2.3 with its restore off on");
  say('  real-cloud-23, unused here). The SIMULATED kwok nodes edge-1, edge-2,');
  say('  cloud-1 and edge-proxy exist too; nothing on the migration path below runs on them.');
  const env = await startEnv((line) => say(`  ${line}`));
  cleanups.push(() => env.stop());
  process.env.CONTINUUM_TEST_ENV = env.infoFile;
  if (!realNodeAvailable())
    throw new Error('the demo needs the real nodes: unset CONTINUUM_REAL_NODES');
  say('Not in pods: the operator and the agent of real-edge run as local processes (the');
  say("  real-edge agent needs the kubelet's cgroup root, which an EdgeNode cannot pass yet).");

  const registry = `${env.info.tlsRegistry.host}/demo/checkpoints`;
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
    // the operator runs below as a local process
    '--set',
    'replicas=0',
    '--set',
    `natsUrl=${env.info.natsUrl}`,
    '--set',
    `registry.repository=${registry}`,
    '--set',
    `registry.pushSecret=${REAL_PULL_SECRET}`,
    '--set',
    `registry.pullSecret=${REAL_PULL_SECRET}`,
    // the environment made the RuntimeClass of the nodes' continuum handler already
    '--set',
    'restore.runtimeClass.create=false',
  ]);

  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await createNamespace(NAMESPACE);
  await createPullSecret(core, NAMESPACE);
  await createPullSecret(core, OPERATOR_NAMESPACE); // the restore installer's pods pull with it

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
        CONTINUUM_REGISTRY_REPOSITORY: registry,
        CONTINUUM_REGISTRY_PUSH_SECRET: REAL_PULL_SECRET,
        CONTINUUM_REGISTRY_PULL_SECRET: REAL_PULL_SECRET,
        CONTINUUM_REGISTRY_CA: env.info.caFile,
        CONTINUUM_KUBELET_CA: env.info.caFile,
        CONTINUUM_IMAGE: env.info.images.continuum,
        CONTINUUM_IMAGE_PULL_SECRET: REAL_PULL_SECRET,
        CONTINUUM_RESTORE_INSTALLER: 'true',
        CONTINUUM_RESTORE_NODE_SELECTOR: 'test.continuum.dev/real-node=true',
      },
    },
  );
  cleanups.push(() => operator.stop());
  say("  Its restore installer puts continuum's runc wrapper on the real nodes (a DaemonSet)…");
  await restoreWrapperReady();
  say('  …ready on the three real nodes.');

  say('kubectl apply -f policies/edge-node.yaml -f policies/scenario-2-checkpoint.yaml');
  say(`  (the policy with target: { nodeName: ${CLOUD} }: kwok's cloud-1 is a cloud node too)`);
  run(env, 'kubectl', ['apply', '-f', join(repo, 'policies/edge-node.yaml')]);
  run(env, 'kubectl', ['apply', '-f', '-'], scenarioPolicy());
  say("  The EdgeNode's agent DaemonSet runs on the kwok edge nodes only (SIMULATED pods that");
  say('  measure nothing); real-edge is tainted for tests, so its agent runs below as a process.');

  say(`Workload ${NAMESPACE}/${WORKLOAD} on ${EDGE}: a busybox shell that prints a random token`);
  say(
    `  and a count every second, both only in memory, and burns its ${HOT_COUNTER_CPU_LIMIT} CPU limit`,
  );
  await core.createNamespacedPod({
    namespace: NAMESPACE,
    body: hotCounterPod(WORKLOAD, EDGE, { labels: { 'continuum.dev/scenario': 'checkpoint' } }),
  });
  const first = await waitFor(
    'the workload to print',
    async () => {
      const line = await latestLine(core, NAMESPACE, WORKLOAD, EDGE);
      return (line?.count ?? 0) >= 3 && line;
    },
    120_000,
  );
  say(`  ${WORKLOAD} on ${EDGE}: token=${first.token} count=${first.count}`);

  const kubeletCgroupRoot = `/${realNode(EDGE).cgroupRoot}`;
  say(`continuum agent --node ${EDGE} --kubelet-cgroup-root ${kubeletCgroupRoot}`);
  say("  (as ServiceAccount continuum-agent): the real kubelet's cgroups, sampled every 1 s");
  const agent = startAgent({
    node: EDGE,
    natsUrl: env.info.natsUrl,
    kubeconfig: await serviceAccountKubeconfig(OPERATOR_NAMESPACE, 'continuum-agent'),
    cgroupRoot: '/sys/fs/cgroup',
    kubeletCgroupRoot,
    logDir,
  });
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
  let before: WorkloadLine | undefined; // the last line printed before the Migration existed
  const created = await waitFor(
    'a Migration',
    async () => {
      before = (await latestLine(core, NAMESPACE, WORKLOAD, EDGE)) ?? before;
      return (await migrations())[0];
    },
    90_000,
  );
  say(`Migration ${created.metadata.name} created by the trigger: ${created.spec.reason}`);
  console.log(LIVE_HEADER);
  let shown = '';
  const follow = async (): Promise<{ m: Migration; output?: WorkloadLine } | undefined> => {
    const m = (await migrations()).find((x) => x.metadata.name === created.metadata.name);
    if (!m) return undefined;
    const output = await workloadOutput(core, m, EDGE);
    const key = `${m.status?.phase}/${output?.pod}/${output?.count}`;
    if (key !== shown) console.log(`  ${liveLine(m, output)}`);
    shown = key;
    return { m, output };
  };
  const done = await waitFor(
    'the Migration to finish',
    async () => {
      const now = await follow();
      const phase = now?.m.status?.phase;
      return (phase === 'Done' || phase === 'Failed') && now!.m;
    },
    180_000,
  );
  let after: WorkloadLine | undefined;
  if (done.status?.phase === 'Done') {
    const target = done.status.targetPod!;
    const seen = new Set<number>();
    after = await waitFor(
      'the restored workload to print three more lines',
      async () => {
        const output = (await follow())?.output;
        if (output?.pod === target) seen.add(output.count);
        return seen.size > 3 && output;
      },
      30_000,
    );
    say('The source kept running after its checkpoint until the cutover: the restored copy goes');
    say('  on from the count of the checkpoint.');
  }
  console.log(`\n${summary(done)}\n`);
  let continued = false;
  if (before && after) {
    const log = counterContinuity(counts(await logsOf(core, NAMESPACE, after.pod)), before.token);
    continued = log.continued && after.count > before.count;
    console.log(`${workloadVerdict(before, after, log)}\n`);
  }
  const pods = await core.listNamespacedPod({ namespace: NAMESPACE });
  for (const p of pods.items) {
    say(
      `pod ${p.metadata?.name} on ${p.spec?.nodeName} (${p.status?.phase}): ${p.spec?.containers[0]?.image}`,
    );
  }
  return done.status?.phase === 'Done' && continued ? 0 : 1;
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
