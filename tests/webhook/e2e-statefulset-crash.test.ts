/**
 * GIVEN a StatefulSet of 3 on the kwok edge nodes (the real StatefulSet controller), two
 *   operator replicas with leader election, each serving the restore webhook behind one address
 *   (as a Service would: a connection goes to the first replica that accepts it)
 * WHEN each pod is migrated by checkpoint (all in flight together, up to 3 per owner) and the
 *   leading operator is SIGKILLed once per Migration — mid-checkpoint, in Imaging, and in
 *   Restoring once the source is gone — a fresh replica started each time
 * THEN every Migration ends Done; each pod runs under its name on cloud-1 from its checkpoint
 *   image, owned by the StatefulSet, which reports 3 ready.
 */
import test from 'ava';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { AdmissionregistrationV1Api, AppsV1Api, CoordinationV1Api } from '@kubernetes/client-node';
import {
  GROUP,
  MIGRATION_PHASES,
  OPERATOR_NAMESPACE,
  MIGRATION_PLURAL,
  VERSION,
  type Migration,
  type MigrationPhase,
} from '../../reconcilers/api/types.ts';
import { freePort } from '../env/process.ts';
import { sleep, waitFor } from '../env/wait.ts';
import { PULL_SECRET, PUSH_SECRET, harness, type Harness } from '../migration/harness.ts';
import type { OperatorProcess } from '../runtime/operator-process.ts';

const CONFIGURATION = 'continuum-restore';
const REPLICAS = 3;
/** Where the leader is killed, by pod: the phase, and whether the source must be gone first. */
const KILLS: Record<string, { at: MigrationPhase; sourceGone?: boolean }> = {
  'web-0': { at: 'Checkpointing' },
  'web-1': { at: 'Imaging' },
  'web-2': { at: 'Restoring', sourceGone: true },
};
let h: Harness;

/** Listens on `port` and hands each connection to the first of `targets()` that accepts it. */
async function failover(port: number, targets: () => number[]): Promise<Server> {
  const server = createServer((client: Socket) => {
    client.pause();
    const tryNext = (ports: number[]) => {
      const [first, ...rest] = ports;
      if (first === undefined) return void client.destroy();
      const upstream = connect(first, '127.0.0.1');
      upstream.once('error', () => tryNext(rest));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    tryNext(targets());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

test.before(async () => {
  h = await harness('webhook-sts-crash');
});

test.after.always(async () => {
  await h?.kc
    .makeApiClient(AdmissionregistrationV1Api)
    .deleteMutatingWebhookConfiguration({ name: CONFIGURATION })
    .catch(() => {});
  await h?.cleanup();
});

test('the leader SIGKILLed in every phase of StatefulSet Migrations: all Done, 3 ready under their names', async (t) => {
  t.timeout(600_000);
  const port = await freePort();
  await h.kc.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
    body: {
      metadata: { name: CONFIGURATION },
      webhooks: [
        {
          name: 'restore.continuum.dev',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Ignore',
          timeoutSeconds: 5,
          reinvocationPolicy: 'Never',
          clientConfig: { url: `https://127.0.0.1:${port}/restore` },
          rules: [
            { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
          ],
          objectSelector: {
            matchExpressions: [{ key: 'statefulset.kubernetes.io/pod-name', operator: 'Exists' }],
          },
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': h.namespace } },
        },
      ],
    },
  });
  const replicas = new Map<string, { op: OperatorProcess; port: number }>();
  let started = 0;
  const startReplica = async () => {
    const id = `r${started++}`;
    const webhookPort = await freePort();
    const op = h.startOperator({
      args: ['--leader-elect', 'true', '--identity', id],
      env: {
        CONTINUUM_WEBHOOK_LISTEN: `127.0.0.1:${webhookPort}`,
        CONTINUUM_WEBHOOK_HOSTS: '127.0.0.1',
        CONTINUUM_WEBHOOK_RESTORE_CONFIGURATION: CONFIGURATION,
      },
    });
    replicas.set(id, { op, port: webhookPort });
    await op.waitForLog('webhook serving', 60_000);
  };
  const proxy = await failover(port, () => [...replicas.values()].map((r) => r.port));
  t.teardown(() => void proxy.close());
  await startReplica();
  await startReplica();
  await waitFor('the webhook CA in the configuration', async () => {
    const c = await h.kc
      .makeApiClient(AdmissionregistrationV1Api)
      .readMutatingWebhookConfiguration({ name: CONFIGURATION });
    return Boolean(c.webhooks?.[0]?.clientConfig.caBundle);
  });

  const apps = h.kc.makeApiClient(AppsV1Api);
  await apps.createNamespacedStatefulSet({
    namespace: h.namespace,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: REPLICAS,
        serviceName: 'web',
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: {
            labels: { app: 'web' },
            // the checkpoint takes 2 s: the first kill lands while it is in flight
            annotations: { 'sim.continuum.dev/checkpoint-fault': 'delay=2s' },
          },
          spec: {
            nodeSelector: { 'continuum.dev/layer': 'edge' },
            containers: [{ name: 'worker', image: 'busybox:1.36' }],
          },
        },
      },
    },
  });
  const readyReplicas = async () =>
    (await apps.readNamespacedStatefulSet({ namespace: h.namespace, name: 'web' })).status
      ?.readyReplicas;
  await waitFor('web ready 3', async () => (await readyReplicas()) === REPLICAS, 120_000);
  const sourceUids = new Map(
    (await h.pods()).map((p) => [p.metadata!.name!, p.metadata!.uid!] as const),
  );

  for (const pod of Object.keys(KILLS)) {
    await h.createMigration(`move-${pod}`, {
      podName: pod,
      restorePolicy: 'checkpoint',
      target: { nodeName: 'cloud-1' },
      maxUnavailablePerOwner: REPLICAS,
      image: {
        repository: h.repository,
        pushSecretRef: { name: PUSH_SECRET },
        pullSecretRef: { name: PULL_SECRET },
      },
    });
  }

  const leases = h.kc.makeApiClient(CoordinationV1Api);
  const holder = async () =>
    (
      await leases.readNamespacedLease({
        namespace: OPERATOR_NAMESPACE,
        name: 'continuum-operator',
      })
    ).spec?.holderIdentity ?? undefined;
  const order = (phase?: string) => MIGRATION_PHASES.indexOf(phase as MigrationPhase);
  const fired = new Set<string>();
  const deadline = Date.now() + 420_000;
  let migrations: Migration[] = [];
  for (;;) {
    migrations = (
      (await h.custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: MIGRATION_PLURAL,
        namespace: h.namespace,
      })) as { items: Migration[] }
    ).items;
    const pods = await h.pods();
    const due = migrations.find((m) => {
      const pod = m.spec.podName;
      const kill = KILLS[pod]!;
      if (fired.has(pod) || order(m.status?.phase) < order(kill.at)) return false;
      const sourceGone = !pods.some((p) => p.metadata?.uid === sourceUids.get(pod));
      return !kill.sourceGone || sourceGone || order(m.status?.phase) > order(kill.at);
    });
    if (due) {
      fired.add(due.spec.podName);
      if (due.spec.podName === 'web-0') await sleep(800); // the kubelet call is in flight
      const leader = await holder();
      const victim = leader && replicas.get(leader);
      if (victim) {
        await victim.op.kill('SIGKILL');
        replicas.delete(leader);
        await startReplica();
      }
    }
    if (migrations.every((m) => ['Done', 'Failed'].includes(m.status?.phase ?? ''))) break;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  t.is(fired.size, REPLICAS, 'the leader was killed once for every Migration');
  for (const m of migrations) {
    t.is(m.status?.phase, 'Done', `${m.metadata.name}: ${JSON.stringify(m.status)}`);
  }
  await waitFor('web ready 3', async () => (await readyReplicas()) === REPLICAS, 120_000);
  for (const m of migrations) {
    const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: m.spec.podName });
    t.is(pod.spec?.nodeName, 'cloud-1', m.spec.podName);
    t.is(pod.spec?.containers[0]?.image, m.status?.image, `${m.spec.podName} from its checkpoint`);
    t.is(pod.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
  }
  t.is((await h.pods()).filter((p) => !p.metadata?.labels?.['job-name']).length, REPLICAS);
});
