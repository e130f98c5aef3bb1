/**
 * The MigrationPolicy status controller, built by its operator factory, against the real API
 * server: Migrations labelled with a policy appear and go → the policy's status counts them,
 * keeps the newest creation time, says whether the trigger runs; `kubectl get migpol` shows it.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
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
import { policyStatusFactory } from '../../reconcilers/policy/controller.ts';
import { configFromEnv } from '../../reconcilers/runtime/config.ts';
import { InformerFactory } from '../../reconcilers/runtime/informers.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import { metrics } from '../../reconcilers/runtime/metrics.ts';
import { POLICY_LABEL } from '../../reconcilers/trigger/decide.ts';
import { installCrds } from '../api/install-crds.ts';
import { kubectl } from '../api/kubectl.ts';
import { testEnv } from '../env/info.ts';
import { adminKubeConfig, createNamespace } from '../env/service-account.ts';
import { waitFor } from '../env/wait.ts';

test('a policy counts its Migrations, keeps when it last fired, and says whether it is active', async (t) => {
  t.timeout(120_000);
  const env = testEnv();
  await installCrds(env.kubeconfig);
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const id = `policy-${randomBytes(3).toString('hex')}`;
  const policyRef = { group: GROUP, version: VERSION, plural: MIGRATION_POLICY_PLURAL, name: id };
  const migrations = { group: GROUP, version: VERSION, plural: MIGRATION_PLURAL, namespace: id };
  const log = silentLogger();
  const informers = new InformerFactory(kc, log);
  const config = { ...configFromEnv({}), natsUrl: undefined };
  const runnables = await policyStatusFactory.create({ kc, config, log, metrics, informers });
  t.teardown(async () => {
    for (const r of runnables) await r.stop(1000);
    await informers.stop();
    await custom.deleteClusterCustomObject(policyRef).catch(() => undefined);
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: id })
      .catch(() => undefined);
  });
  await createNamespace(id);
  await custom.createClusterCustomObject({
    ...policyRef,
    body: {
      apiVersion: API_VERSION,
      kind: 'MigrationPolicy',
      metadata: { name: id },
      spec: { selector: {}, triggers: [{ metric: 'containerCPU', above: 90 }] },
    },
  });
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
  await new Promise((r) => setTimeout(r, 1100)); // creation timestamps have second resolution
  const second = (await create('second', { [POLICY_LABEL]: id })) as Migration;
  await create('unrelated', { [POLICY_LABEL]: `${id}-other` });
  informers.start();
  await informers.synced();
  for (const r of runnables) await r.start();

  const read = async () => (await custom.getClusterCustomObject(policyRef)) as MigrationPolicy;
  const newest = new Date(String(second.metadata.creationTimestamp)).toISOString();
  const counted = await waitFor('policy status counts 2', async () => {
    const p = await read();
    return p.status?.migrationsCreated === 2 ? p : undefined;
  });
  t.is(counted.status?.lastTriggered, newest);
  t.like(
    counted.status?.conditions?.find((c) => c.type === 'Ready'),
    {
      status: 'False',
      reason: 'TriggerNotRunning',
    },
  );
  const table = await kubectl(['get', 'migpol', id]);
  t.regex(table.stdout, /READY\s+MIGRATIONS\s+LAST TRIGGERED/);
  t.regex(table.stdout, new RegExp(`${id}\\s.*False\\s+2\\s`));

  await custom.deleteNamespacedCustomObject({ ...migrations, name: 'second' });
  const after = await waitFor('policy status counts 1', async () => {
    const p = await read();
    return p.status?.migrationsCreated === 1 ? p : undefined;
  });
  t.is(after.status?.lastTriggered, newest, 'deleting a Migration keeps lastTriggered');
});
