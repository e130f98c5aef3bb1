/**
 * The trigger running in this test process against the real API server and NATS of the test
 * environment, built as the operator's trigger factory builds it; and scenarios:
 * each gets its own edge Node object (not managed by kwok, so no other test publishes for it), a
 * namespace, a pod bound to that node and a MigrationPolicy covering only that pod.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { connect, type NatsConnection } from 'nats';
import { testEnv } from '../env/info.ts';
import { installCrds } from '../api/install-crds.ts';
import { configFromEnv } from '../../reconcilers/runtime/config.ts';
import { InformerFactory } from '../../reconcilers/runtime/informers.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import { metrics } from '../../reconcilers/runtime/metrics.ts';
import { createIngest } from '../../reconcilers/trigger/factory.ts';
import { MetricsSubscriber } from '../../reconcilers/trigger/subscriber.ts';
import { POD_UID_LABEL } from '../../reconcilers/trigger/decide.ts';
import {
  API_VERSION,
  GROUP,
  LAYER_LABEL,
  MIGRATION_PLURAL,
  MIGRATION_POLICY_PLURAL,
  VERSION,
  type Migration,
  type MigrationPolicySpec,
} from '../../reconcilers/api/types.ts';
import { metricsSubject, type MetricsMessage } from '../../reconcilers/agent/message.ts';
import { waitFor } from '../env/wait.ts';
import { createNamespace } from '../env/service-account.ts';

export interface Harness {
  kc: KubeConfig;
  nc: NatsConnection;
  informers: InformerFactory;
  stop(): Promise<void>;
}

export async function startTrigger(): Promise<Harness> {
  const env = testEnv();
  await installCrds(env.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  const log = silentLogger();
  const informers = new InformerFactory(kc, log);
  const config = { ...configFromEnv({}), natsUrl: env.natsUrl };
  // The subscriber as the trigger's factory builds it, without the cluster-wide policy status
  // controller that comes with it (tests/policy/ runs that alone).
  const subscriber = new MetricsSubscriber(
    env.natsUrl,
    createIngest({ kc, config, log, metrics, informers }),
    log,
  );
  informers.start();
  await informers.synced();
  subscriber.start();
  await subscriber.subscribed;
  const nc = await connect({ servers: env.natsUrl });
  return {
    kc,
    nc,
    informers,
    async stop() {
      await nc.close();
      await subscriber.stop();
      await informers.stop();
    },
  };
}

/** Creates the cluster-scoped MigrationPolicy `name`; fields left out take the CRD's defaults. */
export async function createPolicy(
  kc: KubeConfig,
  name: string,
  spec: Partial<MigrationPolicySpec>,
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: MIGRATION_POLICY_PLURAL,
    body: { apiVersion: API_VERSION, kind: 'MigrationPolicy', metadata: { name }, spec },
  });
}

/** Deletes the MigrationPolicy `name`; a missing one is success. */
export async function deletePolicy(kc: KubeConfig, name: string): Promise<void> {
  await kc
    .makeApiClient(CustomObjectsApi)
    .deleteClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: MIGRATION_POLICY_PLURAL,
      name,
    })
    .catch(() => undefined);
}

/** The Migrations in `namespace` of the pod `uid`, found by the label the trigger sets. */
export async function podMigrations(
  kc: KubeConfig,
  namespace: string,
  uid: string,
): Promise<Migration[]> {
  const list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: MIGRATION_PLURAL,
    namespace,
    labelSelector: `${POD_UID_LABEL}=${uid}`,
  })) as { items: Migration[] };
  return list.items;
}

/** Sample times of the scenarios: a minute ago, so every message is within the trigger's clock-skew bound. */
export const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;

export interface Scenario {
  id: string;
  node: string;
  namespace: string;
  pod: { namespace: string; name: string; uid: string };
  policy: string;
  /** Publishes one message per value: sample i at T0 + (offset + i) s, container CPU = value. */
  publish(values: number[], offsetSeconds?: number): Promise<void>;
  /** The Migrations of this scenario's pod. */
  migrations(): Promise<Migration[]>;
  cleanup(): Promise<void>;
}

export function message(s: Pick<Scenario, 'node' | 'pod'>, t: number, cpu: number): MetricsMessage {
  return {
    schemaVersion: 1,
    node: s.node,
    time: new Date(t).toISOString(),
    intervalMs: 1000,
    nodeMetrics: { cpuPercent: 10, memoryPercent: 10 },
    pods: [
      {
        ...s.pod,
        containers: [{ name: 'app', cpuPercent: cpu, memoryPercent: 5, memoryBytes: 1 << 20 }],
      },
    ],
  };
}

export async function scenario(
  h: Harness,
  policy: Partial<MigrationPolicySpec> = {},
): Promise<Scenario> {
  const id = `trig-${randomBytes(3).toString('hex')}`;
  const core = h.kc.makeApiClient(CoreV1Api);
  await core.createNode({ body: { metadata: { name: id, labels: { [LAYER_LABEL]: 'edge' } } } });
  await createNamespace(id, { case: id });
  const created = await core.createNamespacedPod({
    namespace: id,
    body: {
      metadata: { name: 'web', labels: { case: id } },
      spec: { nodeName: id, containers: [{ name: 'app', image: 'busybox' }] },
    },
  });
  await createPolicy(h.kc, id, {
    selector: {
      namespaceSelector: { matchLabels: { case: id } },
      podSelector: { matchLabels: { case: id } },
    },
    triggers: [{ metric: 'containerCPU', above: 90, for: '5s' }],
    restorePolicy: 'restart',
    cooldown: '1h',
    ...policy,
  });
  const pods = h.informers.informer({ path: '/api/v1/pods' });
  const policies = h.informers.informer({
    path: `/apis/${GROUP}/${VERSION}/${MIGRATION_POLICY_PLURAL}`,
  });
  const nodes = h.informers.informer({ path: '/api/v1/nodes' });
  const namespaces = h.informers.informer({ path: '/api/v1/namespaces' });
  await waitFor('the trigger to see the scenario', () =>
    Boolean(pods.get('web', id) && policies.get(id) && nodes.get(id) && namespaces.get(id)),
  );
  const s: Scenario = {
    id,
    node: id,
    namespace: id,
    pod: { namespace: id, name: 'web', uid: created.metadata!.uid! },
    policy: id,
    async publish(values, offsetSeconds = 0) {
      values.forEach((cpu, i) => {
        const m = message(s, T0 + (offsetSeconds + i) * 1000, cpu);
        h.nc.publish(metricsSubject(s.node), JSON.stringify(m));
      });
      await h.nc.flush();
    },
    migrations: () => podMigrations(h.kc, id, s.pod.uid),
    async cleanup() {
      await deletePolicy(h.kc, id);
      await core
        .deleteNamespacedPod({ name: 'web', namespace: id, gracePeriodSeconds: 0 })
        .catch(() => undefined);
      await core.deleteNamespace({ name: id }).catch(() => undefined);
      await core.deleteNode({ name: id }).catch(() => undefined);
    },
  };
  return s;
}
