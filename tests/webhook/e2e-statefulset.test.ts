/**
 * GIVEN a StatefulSet of 2 on the kwok edge nodes (the real StatefulSet controller), the operator
 *   serving the restore webhook (its CA put into the configuration)
 * WHEN its pods are migrated to cloud-1 (restart, then checkpoint through the simulated kubelet)
 * THEN each keeps its name and its StatefulSet, runs on cloud-1 (from the checkpoint image), and
 *   the StatefulSet reports 2 ready; a pod with a PersistentVolumeClaim is refused; with the
 *   webhook down the StatefulSet's pod starts afresh and the Migration fails with its reason.
 */
import test from 'ava';
import { AdmissionregistrationV1Api, AppsV1Api, type V1Pod } from '@kubernetes/client-node';
import { MIGRATION_UID_ANNOTATION } from '../../reconcilers/migration/names.ts';
import { freePort } from '../env/process.ts';
import { waitFor } from '../env/wait.ts';
import { PULL_SECRET, PUSH_SECRET, harness, isPhase, type Harness } from '../migration/harness.ts';
import type { OperatorProcess } from '../runtime/operator-process.ts';

/** The name the chart's RBAC lets the operator (release `continuum`) update. */
const CONFIGURATION = 'continuum-restore';
let h: Harness;
let operator: OperatorProcess;

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
