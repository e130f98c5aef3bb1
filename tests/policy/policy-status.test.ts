/**
 * The MigrationPolicy status controller, built as the operator builds it, against the real API
 * server: Migrations labelled with a policy appear and go → the policy's status counts them,
 * keeps the newest creation time, says whether the trigger runs; `kubectl get migpol` shows it.
 * With a trigger, Ready follows its connection to a NATS server of the test's own, cut off and
 * reconnected. The controllers are cluster-wide, so the tests run one at a time.
 */
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import {
  API_VERSION,
  GROUP,
  MIGRATION_PLURAL,
  MIGRATION_POLICY_PLURAL,
  VERSION,
  type Migration,
  type MigrationPolicy,
} from '../../reconcilers/api/types.ts';
import { UNREACHABLE_AFTER_MS } from '../../reconcilers/policy/controller.ts';
import { configFromEnv } from '../../reconcilers/runtime/config.ts';
import { InformerFactory } from '../../reconcilers/runtime/informers.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import { metrics } from '../../reconcilers/runtime/metrics.ts';
import { POLICY_LABEL } from '../../reconcilers/trigger/decide.ts';
import { triggerFactory } from '../../reconcilers/trigger/factory.ts';
import { natsConnectedGauge } from '../../reconcilers/trigger/metrics.ts';
import { MetricsSubscriber } from '../../reconcilers/trigger/subscriber.ts';
import { installCrds } from '../api/install-crds.ts';
import { kubectl } from '../api/kubectl.ts';
import { testEnv } from '../env/info.ts';
import { startNats } from '../env/nats.ts';
import { adminKubeConfig, createNamespace } from '../env/service-account.ts';
import { sleep, waitFor } from '../env/wait.ts';
import { startTcpProxy, type TcpProxy } from '../runtime/tcp-proxy.ts';
import { createPolicy } from '../trigger/harness.ts';

/**
 * A policy, and the trigger as the operator builds it with NATS at `natsUrl` (none: only the
 * policy status controller), started.
 */
async function triggerWithPolicy(t: ExecutionContext, natsUrl: string | undefined) {
  const env = testEnv();
  await installCrds(env.kubeconfig);
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const id = `policy-${randomBytes(3).toString('hex')}`;
  const policyRef = { group: GROUP, version: VERSION, plural: MIGRATION_POLICY_PLURAL, name: id };
  const log = silentLogger();
  const informers = new InformerFactory(kc, log);
  const config = { ...configFromEnv({}), natsUrl };
  const runnables = await triggerFactory.create({ kc, config, log, metrics, informers });
  t.teardown(async () => {
    for (const r of runnables) await r.stop(1000);
    await informers.stop();
    await custom.deleteClusterCustomObject(policyRef).catch(() => undefined);
  });
  await createPolicy(kc, id, {
    // covers no pod: the trigger runs for the whole cluster, beside other tests' triggers
    selector: { podSelector: { matchLabels: { 'test.continuum.dev/policy': id } } },
    triggers: [{ metric: 'containerCPU', above: 90, for: '30s' }],
  });
  informers.start();
  await informers.synced();
  for (const r of runnables) await r.start();
  const read = async () => (await custom.getClusterCustomObject(policyRef)) as MigrationPolicy;
  const ready = async () => (await read()).status?.conditions?.find((c) => c.type === 'Ready');
  return {
    id,
    custom,
    read,
    subscriber: runnables.find((r) => r instanceof MetricsSubscriber),
    ready,
    /** Waits until Ready has `reason`; returns the condition. */
    readyWith: (reason: string) =>
      waitFor(`Ready ${reason}`, async () => {
        const r = await ready();
        return r?.reason === reason ? r : undefined;
      }),
  };
}

test.serial(
  'a policy counts its Migrations, keeps when it last fired, and says whether it is active',
  async (t) => {
    t.timeout(120_000);
    const { id, custom, read, readyWith } = await triggerWithPolicy(t, undefined);
    t.like(await readyWith('TriggerNotRunning'), { status: 'False' });
    const migrations = { group: GROUP, version: VERSION, plural: MIGRATION_PLURAL, namespace: id };
    await createNamespace(id);
    t.teardown(() =>
      adminKubeConfig()
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: id })
        .then(
          () => undefined,
          () => undefined,
        ),
    );
    const create = (name: string, labels: Record<string, string>) =>
      custom.createNamespacedCustomObject({
        ...migrations,
        body: {
          apiVersion: API_VERSION,
          kind: 'Migration',
          metadata: { name, labels },
          spec: { podName: name },
        },
      });
    await create('first', { [POLICY_LABEL]: id });
    await sleep(1100); // creation timestamps have second resolution
    const second = (await create('second', { [POLICY_LABEL]: id })) as Migration;
    await create('unrelated', { [POLICY_LABEL]: `${id}-other` });

    const newest = new Date(String(second.metadata.creationTimestamp)).toISOString();
    const counted = await waitFor('policy status counts 2', async () => {
      const p = await read();
      return p.status?.migrationsCreated === 2 ? p : undefined;
    });
    t.is(counted.status?.lastTriggered, newest);
    const table = await kubectl(['get', 'migpol', id]);
    t.regex(table.stdout, /READY\s+MIGRATIONS\s+LAST TRIGGERED/);
    t.regex(table.stdout, new RegExp(`${id}\\s.*False\\s+2\\s`));

    await custom.deleteNamespacedCustomObject({ ...migrations, name: 'second' });
    const after = await waitFor('policy status counts 1', async () => {
      const p = await read();
      return p.status?.migrationsCreated === 1 ? p : undefined;
    });
    t.is(after.status?.lastTriggered, newest, 'deleting a Migration keeps lastTriggered');
  },
);

/**
 * A nats-server of the test's own behind a TCP proxy, which plays the outages: `drop()` cuts
 * every connection and refuses new ones until `resume()` (the port stays the proxy's).
 */
async function natsBehindProxy(t: ExecutionContext): Promise<{ url: string; proxy: TcpProxy }> {
  const dir = mkdtempSync(join(tmpdir(), 'policy-nats-'));
  const nats = await startNats(dir, dir, '127.0.0.1');
  const proxy = await startTcpProxy(Number(new URL(nats.url).port));
  t.teardown(async () => {
    await proxy.close();
    await nats.service.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { url: `nats://127.0.0.1:${proxy.port}`, proxy };
}

const gauge = async () => (await natsConnectedGauge().get()).values[0]?.value;

test.serial("Ready follows the trigger's NATS connection, past a grace period", async (t) => {
  t.timeout(120_000);
  const { url, proxy } = await natsBehindProxy(t);
  const { subscriber, ready, readyWith } = await triggerWithPolicy(t, url);

  await readyWith('Active');
  t.is(await gauge(), 1, 'continuum_trigger_nats_connected');
  const droppedAt = Date.now();
  proxy.drop();
  await waitFor('the trigger to notice', () => !subscriber?.connected());
  t.is(
    (await ready())?.reason,
    'Active',
    'an outage shorter than the grace period changes nothing',
  );
  const down = await readyWith('NatsUnreachable');
  t.is(down.status, 'False');
  t.true(Date.parse(down.lastTransitionTime) - droppedAt >= UNREACHABLE_AFTER_MS - 1000);
  t.is(await gauge(), 0);

  proxy.resume();
  t.is((await readyWith('Active')).status, 'True');
  t.is(await gauge(), 1);
});

test.serial(
  'with NATS down from the start: Connecting, NatsUnreachable, then Active',
  async (t) => {
    t.timeout(120_000);
    const { url, proxy } = await natsBehindProxy(t);
    proxy.drop();
    const startedAt = Date.now();
    const { readyWith } = await triggerWithPolicy(t, url);

    t.is((await readyWith('Connecting')).status, 'Unknown');
    const down = await readyWith('NatsUnreachable');
    t.true(Date.parse(down.lastTransitionTime) - startedAt >= UNREACHABLE_AFTER_MS - 1000);
    proxy.resume();
    t.is((await readyWith('Active')).status, 'True');
  },
);
