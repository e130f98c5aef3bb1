/**
 * GIVEN a StatefulSet of 2 on the kwok edge nodes (the real StatefulSet controller), the operator
 *   serving the restore webhook (its CA put into the configuration)
 * WHEN its pods are migrated to cloud-1 (restart, then checkpoint through the simulated kubelet)
 * THEN each keeps its name and its StatefulSet, runs on cloud-1 (from the checkpoint image), and
 *   the StatefulSet reports 2 ready; a pod with a PersistentVolumeClaim is refused; with the
 *   webhook down the StatefulSet's pod starts afresh and the Migration fails with its reason.
 *   Then, with two operator replicas (leader election) behind the webhook's one address, a
 *   StatefulSet of 3 is moved by checkpoint, all in flight together (up to 3 per owner), the
 *   leader SIGKILLed mid-checkpoint, in Imaging and in Restoring once the source is gone, a
 *   fresh replica started each time: all Done, each pod under its name on cloud-1 from its
 *   image, owned by the StatefulSet, 3 ready.
 */
import test from 'ava';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoordinationV1Api,
  type V1Pod,
} from '@kubernetes/client-node';
import {
  GROUP,
  MIGRATION_PHASES,
  MIGRATION_PLURAL,
  OPERATOR_NAMESPACE,
  VERSION,
  type Migration,
  type MigrationPhase,
} from '../../reconcilers/api/types.ts';
import { MIGRATION_UID_ANNOTATION } from '../../reconcilers/migration/names.ts';
import { freePort } from '../env/process.ts';
import { sleep, waitFor } from '../env/wait.ts';
import { failover } from './failover-proxy.ts';
import { PULL_SECRET, PUSH_SECRET, harness, isPhase, type Harness } from '../migration/harness.ts';
import type { OperatorProcess } from '../runtime/operator-process.ts';

/** The name the chart's RBAC lets the operator (release `continuum`) update. */
const CONFIGURATION = 'continuum-restore';
let h: Harness;
let operator: OperatorProcess;
/** The webhook's address (in the configuration): the operator's, or the failover proxy's. */
let port: number;

function statefulSet(name: string, replicas: number, withClaim = false) {
  return h.kc.makeApiClient(AppsV1Api).createNamespacedStatefulSet({
    namespace: h.namespace,
    body: {
      metadata: { name },
      spec: {
        replicas,
        serviceName: name,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            nodeSelector: { 'continuum.dev/layer': 'edge' },
            containers: [
              {
                name: 'worker',
                image: 'busybox:1.36',
                ...(withClaim ? { volumeMounts: [{ name: 'data', mountPath: '/data' }] } : {}),
              },
            ],
          },
        },
        ...(withClaim
          ? {
              volumeClaimTemplates: [
                {
                  metadata: { name: 'data' },
                  spec: {
                    accessModes: ['ReadWriteOnce'],
                    resources: { requests: { storage: '1Gi' } },
                  },
                },
              ],
            }
          : {}),
      },
    },
  });
}

const readyReplicas = async () =>
  (
    await h.kc
      .makeApiClient(AppsV1Api)
      .readNamespacedStatefulSet({ namespace: h.namespace, name: 'web' })
  ).status?.readyReplicas;

const podNamed = async (name: string): Promise<V1Pod> =>
  h.core.readNamespacedPod({ namespace: h.namespace, name });

test.before(async (t) => {
  t.timeout(180_000);
  h = await harness('webhook-statefulset');
  port = await freePort();
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
  operator = h.startOperator({
    env: {
      CONTINUUM_WEBHOOK_LISTEN: `127.0.0.1:${port}`,
      CONTINUUM_WEBHOOK_HOSTS: '127.0.0.1',
      CONTINUUM_WEBHOOK_RESTORE_CONFIGURATION: CONFIGURATION,
    },
  });
  await waitFor('the webhook CA in the configuration', async () => {
    const c = await h.kc
      .makeApiClient(AdmissionregistrationV1Api)
      .readMutatingWebhookConfiguration({ name: CONFIGURATION });
    return Boolean(c.webhooks?.[0]?.clientConfig.caBundle);
  });
  await statefulSet('web', 2);
  await waitFor('web ready 2', async () => (await readyReplicas()) === 2, 120_000);
});

test.after.always(async () => {
  await h?.kc
    .makeApiClient(AdmissionregistrationV1Api)
    .deleteMutatingWebhookConfiguration({ name: CONFIGURATION })
    .catch(() => {});
  await h?.cleanup();
});

test.serial('restart: web-1 keeps its name and StatefulSet, on cloud-1', async (t) => {
  t.timeout(180_000);
  const before = await podNamed('web-1');
  await h.createMigration('move-web-1', {
    podName: 'web-1',
    restorePolicy: 'restart',
    target: { nodeName: 'cloud-1' },
  });
  const m = await h.waitForMigration('move-web-1', isPhase('Done', 'Failed'), 120_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  const after = await podNamed('web-1');
  t.not(after.metadata?.uid, before.metadata?.uid);
  t.is(after.spec?.nodeName, 'cloud-1');
  t.is(after.metadata?.annotations?.[MIGRATION_UID_ANNOTATION], m.metadata.uid);
  t.is(after.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
  t.is(after.spec?.hostname, 'web-1');
  await waitFor('web ready 2', async () => (await readyReplicas()) === 2);
});

test.serial('checkpoint: web-0 comes back under its name from the checkpoint image', async (t) => {
  t.timeout(180_000);
  await h.createMigration('move-web-0', {
    podName: 'web-0',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'cloud-1' },
    image: {
      repository: h.repository,
      pushSecretRef: { name: PUSH_SECRET },
      pullSecretRef: { name: PULL_SECRET },
    },
  });
  const m = await h.waitForMigration('move-web-0', isPhase('Done', 'Failed'), 150_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  const after = await podNamed('web-0');
  t.is(after.spec?.nodeName, 'cloud-1');
  t.is(after.spec?.containers[0]?.image, m.status?.image);
  await waitFor('web ready 2', async () => (await readyReplicas()) === 2);
});

test.serial('a pod with a PersistentVolumeClaim is refused: VolumeNotMovable', async (t) => {
  t.timeout(120_000);
  await statefulSet('db', 1, true);
  await waitFor('db-0 created', () => podNamed('db-0').catch(() => undefined));
  await h.createMigration('move-db-0', { podName: 'db-0', restorePolicy: 'restart' });
  const m = await h.waitForMigration('move-db-0', isPhase('Done', 'Failed'));
  t.is(m.status?.failureReason, 'VolumeNotMovable');
  t.truthy(await podNamed('db-0'), 'left alone');
});

test.serial(
  'the webhook down: web-1 starts afresh, the Migration fails with its reason',
  async (t) => {
    t.timeout(180_000);
    await operator.kill('SIGKILL');
    operator = h.startOperator(); // no webhook now: the API server finds nothing at its URL
    await h.createMigration('move-web-1-again', {
      podName: 'web-1',
      restorePolicy: 'restart',
      target: { nodeName: 'cloud-1' },
    });
    const m = await h.waitForMigration('move-web-1-again', isPhase('Done', 'Failed'), 120_000);
    t.is(m.status?.failureReason, 'RestoreNotIntercepted');
    await waitFor('web ready 2', async () => (await readyReplicas()) === 2, 60_000);
  },
);

const REPLICAS = 3;
/** Where the leader is killed, by pod: the phase, and whether the source must be gone first. */
const KILLS: Record<string, { at: MigrationPhase; sourceGone?: boolean }> = {
  'crash-0': { at: 'Checkpointing' },
  'crash-1': { at: 'Imaging' },
  'crash-2': { at: 'Restoring', sourceGone: true },
};

test.serial(
  'the leader SIGKILLed in every phase of StatefulSet Migrations: all Done, 3 ready under their names',
  async (t) => {
    t.timeout(600_000);
    await operator.kill('SIGKILL'); // the replicas below serve the webhook's address
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
        metadata: { name: 'crash' },
        spec: {
          replicas: REPLICAS,
          serviceName: 'crash',
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: { app: 'crash' } },
          template: {
            metadata: {
              labels: { app: 'crash' },
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
    const crashReady = async () =>
      (await apps.readNamespacedStatefulSet({ namespace: h.namespace, name: 'crash' })).status
        ?.readyReplicas;
    await waitFor('crash ready 3', async () => (await crashReady()) === REPLICAS, 120_000);
    const sourceUids = new Map(
      (await h.pods())
        .filter((p) => p.metadata?.labels?.app === 'crash')
        .map((p) => [p.metadata!.name!, p.metadata!.uid!] as const),
    );

    for (const pod of Object.keys(KILLS)) {
      await h.createMigration(`crash-${pod}`, {
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
      ).items.filter((m) => m.metadata.name!.startsWith('crash-'));
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
        if (due.spec.podName === 'crash-0') await sleep(800); // the kubelet call is in flight
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
    await waitFor('crash ready 3', async () => (await crashReady()) === REPLICAS, 120_000);
    for (const m of migrations) {
      const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: m.spec.podName });
      t.is(pod.spec?.nodeName, 'cloud-1', m.spec.podName);
      t.is(
        pod.spec?.containers[0]?.image,
        m.status?.image,
        `${m.spec.podName} from its checkpoint`,
      );
      t.is(pod.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
    }
    t.is((await h.pods()).filter((p) => p.metadata?.labels?.app === 'crash').length, REPLICAS);
  },
);
