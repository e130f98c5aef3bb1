/**
 * GIVEN the operator serving the eviction webhook (its own CA put into the configuration), a
 *   kwok node of an EdgeNode with evictionPolicy Migrate, and a pod on it
 * WHEN `kubectl drain` (the real binary) drains the node
 * THEN the eviction is answered 429 and a Migration created instead; the drain retries; this
 *   node has no kubelet, so the Migration fails, and the next eviction goes ahead: the drain
 *   completes. With the EdgeNode back to Evict, or the webhook down (failurePolicy Ignore), a
 *   drain evicts at once.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import {
  AdmissionregistrationV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { API_VERSION, EDGE_NODE_PLURAL, GROUP, VERSION } from '../../reconcilers/api/types.ts';
import { evictionMigrationName } from '../../reconcilers/webhook/eviction.ts';
import { kubectl } from '../api/kubectl.ts';
import { freePort } from '../env/process.ts';
import { waitFor } from '../env/wait.ts';
import { harness, isPhase, type Harness } from '../migration/harness.ts';
import type { OperatorProcess } from '../runtime/operator-process.ts';

/** The name the chart's RBAC lets the operator (release `continuum`) update. */
const CONFIGURATION = 'continuum-eviction';
const id = `drain-${randomBytes(3).toString('hex')}`;
let h: Harness;
let operator: OperatorProcess;

test.before(async (t) => {
  t.timeout(180_000);
  h = await harness('webhook-drain');
  const port = await freePort();
  await h.kc.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({
    body: {
      metadata: { name: CONFIGURATION },
      webhooks: [
        {
          name: 'eviction.continuum.dev',
          admissionReviewVersions: ['v1'],
          sideEffects: 'NoneOnDryRun',
          failurePolicy: 'Ignore',
          timeoutSeconds: 5,
          clientConfig: { url: `https://127.0.0.1:${port}/evict` },
          rules: [
            {
              operations: ['CREATE'],
              apiGroups: [''],
              apiVersions: ['v1'],
              resources: ['pods/eviction'],
            },
          ],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': h.namespace } },
        },
      ],
    },
  });
  await h.core.createNode({
    body: {
      metadata: {
        name: id,
        labels: { 'test.continuum.dev/site': id },
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
      },
    },
  });
  await h.kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: EDGE_NODE_PLURAL,
    body: {
      apiVersion: API_VERSION,
      kind: 'EdgeNode',
      metadata: { name: id },
      spec: {
        nodeSelector: { 'test.continuum.dev/site': id },
        cloudSelector: { 'continuum.dev/layer': 'cloud' },
        evictionPolicy: 'Migrate',
      },
    },
  });
  operator = h.startOperator({
    env: {
      CONTINUUM_WEBHOOK_LISTEN: `127.0.0.1:${port}`,
      CONTINUUM_WEBHOOK_HOSTS: '127.0.0.1',
      CONTINUUM_WEBHOOK_CONFIGURATION: CONFIGURATION,
    },
  });
  await waitFor('the webhook CA in the configuration', async () => {
    const c = await h.kc
      .makeApiClient(AdmissionregistrationV1Api)
      .readValidatingWebhookConfiguration({ name: CONFIGURATION });
    return Boolean(c.webhooks?.[0]?.clientConfig.caBundle);
  });
});

test.after.always(async () => {
  const admission = h?.kc.makeApiClient(AdmissionregistrationV1Api);
  await admission?.deleteValidatingWebhookConfiguration({ name: CONFIGURATION }).catch(() => {});
  await h?.kc
    .makeApiClient(CustomObjectsApi)
    .deleteClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: EDGE_NODE_PLURAL,
      name: id,
    })
    .catch(() => {});
  await h?.core.deleteNode({ name: id }).catch(() => {});
  await h?.cleanup();
});

const evictionPolicy = (policy: 'Evict' | 'Migrate') =>
  h.kc.makeApiClient(CustomObjectsApi).patchClusterCustomObject(
    {
      group: GROUP,
      version: VERSION,
      plural: EDGE_NODE_PLURAL,
      name: id,
      body: { spec: { evictionPolicy: policy } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );

const drain = () =>
  kubectl([
    'drain',
    id,
    '--force',
    '--ignore-daemonsets',
    '--timeout=200s',
    '--skip-wait-for-delete-timeout=1',
  ]);

test.serial(
  'a drain becomes a Migration; when that fails the pod is evicted and the drain completes',
  async (t) => {
    t.timeout(300_000);
    const pod = await h.createPod('drained', { node: id });
    const drained = await drain();
    t.is(drained.code, 0, drained.stderr);
    t.regex(
      drained.stderr,
      /is moved by Migration "evict-drained-[0-9a-f]{10}" instead of being evicted/,
    );
    const name = evictionMigrationName('drained', pod.metadata!.uid!);
    const m = await h.waitForMigration(name, isPhase('Done', 'Failed'), 5000);
    t.is(m.status?.phase, 'Failed', 'no kubelet on this node: the checkpoint fails');
    t.like(m.spec, { podName: 'drained', restorePolicy: 'checkpoint', cutover: 'TargetReady' });
    t.false(
      (await h.pods()).some(
        (p) => p.metadata?.uid === pod.metadata?.uid && !p.metadata?.deletionTimestamp,
      ),
    );
  },
);

test.serial('the EdgeNode back to evictionPolicy Evict: a drain evicts at once', async (t) => {
  t.timeout(120_000);
  await evictionPolicy('Evict');
  const pod = await h.createPod('evicted', { node: id });
  const drained = await drain();
  t.is(drained.code, 0, drained.stderr);
  t.notRegex(drained.stderr, /will retry/);
  t.is(await h.getMigration(evictionMigrationName('evicted', pod.metadata!.uid!)), undefined);
});

test.serial('the webhook down: a drain evicts at once, no Migration', async (t) => {
  t.timeout(120_000);
  await evictionPolicy('Migrate');
  await operator.kill('SIGKILL');
  const pod = await h.createPod('unguarded', { node: id });
  const drained = await drain();
  t.is(drained.code, 0, drained.stderr);
  t.notRegex(drained.stderr, /will retry/);
  t.is(await h.getMigration(evictionMigrationName('unguarded', pod.metadata!.uid!)), undefined);
});
