/**
 * The trigger over the real NATS server against the real API server: what it creates, and what
 * it refuses to create.
 */
import test from 'ava';
import { metricsSubject } from '../../reconcilers/agent/message.ts';
import { messagesAccepted, messagesDropped } from '../../reconcilers/trigger/metrics.ts';
import { patchCustomResource } from '../../reconcilers/runtime/kube.ts';
import { GROUP, MIGRATION_PLURAL, VERSION } from '../../reconcilers/api/types.ts';
import { message, scenario, startTrigger, T0, type Harness } from './harness.ts';
import { sleep, waitFor } from '../env/wait.ts';

let h: Harness;
test.before(async () => {
  h = await startTrigger();
});
test.after.always(async () => {
  await h?.stop();
});

async function counter(c: typeof messagesDropped | typeof messagesAccepted, label?: string) {
  const values = (await c.get()).values;
  return values
    .filter((v) => label === undefined || v.labels.reason === label)
    .reduce((a, v) => a + v.value, 0);
}

/** Sets the phase of the Migration `name` to Failed, as the migration reconciler would. */
async function markFailed(namespace: string, name: string): Promise<void> {
  await patchCustomResource(
    h.kc,
    { group: GROUP, version: VERSION, plural: MIGRATION_PLURAL, namespace, name },
    { status: { phase: 'Failed' } },
    { status: true },
  );
}

test('a breach held for the window creates exactly one Migration, with policyRef and reason', async (t) => {
  t.timeout(60_000);
  const s = await scenario(h);
  t.teardown(() => s.cleanup());
  await s.publish([95, 96, 97, 98, 99, 97]); // 5 s above 90 % at the 6th sample
  await waitFor('a Migration', async () => (await s.migrations()).length > 0);
  await s.publish([99, 99, 99, 99, 99], 6); // the breach goes on
  await sleep(1500);
  const migrations = await s.migrations();
  t.is(migrations.length, 1);
  const m = migrations[0]!;
  t.is(m.spec.podName, 'web');
  t.is(m.spec.restorePolicy, 'restart');
  t.deepEqual(m.spec.policyRef, { name: s.policy });
  t.is(m.spec.reason, 'containerCPU of container "app" above 90% for 5s: lowest 95%, latest 97%');
  t.is(m.metadata.labels?.['continuum.dev/node'], s.node);
});

test('a spike shorter than the window creates none', async (t) => {
  t.timeout(60_000);
  const s = await scenario(h);
  t.teardown(() => s.cleanup());
  const before = await counter(messagesAccepted);
  await s.publish([95, 99, 99, 99, 20, 99, 99, 20, 30, 40]);
  await waitFor(
    'all messages accepted',
    async () => (await counter(messagesAccepted)) >= before + 10,
  );
  await sleep(1000);
  t.deepEqual(await s.migrations(), []);
});

test('duplicated and replayed messages create no second Migration', async (t) => {
  t.timeout(60_000);
  const s = await scenario(h, { cooldown: '0s' });
  t.teardown(() => s.cleanup());
  const values = [95, 96, 97, 98, 99, 97];
  await s.publish(values);
  await waitFor('a Migration', async () => (await s.migrations()).length > 0);
  const first = (await s.migrations())[0]!;
  // Even once the first Migration has failed and no cooldown applies, a replay does not count.
  await markFailed(s.namespace, first.metadata.name!);
  const duplicates = await counter(messagesDropped, 'duplicate');
  await s.publish(values);
  await s.publish(values);
  for (const v of values) {
    h.nc.publish(metricsSubject(s.node), JSON.stringify(message(s, T0 + 5000, v)));
  }
  await waitFor(
    'the replays dropped',
    async () => (await counter(messagesDropped, 'duplicate')) >= duplicates + 18,
  );
  await sleep(1000);
  const migrations = await s.migrations();
  t.is(migrations.length, 1);
  t.is(migrations[0]!.metadata.name, first.metadata.name);
});

test('cooldown: no second Migration of the pod before it has passed, one after', async (t) => {
  t.timeout(60_000);
  const s = await scenario(h, { cooldown: '6s' });
  t.teardown(() => s.cleanup());
  await s.publish([95, 96, 97, 98, 99, 97]);
  await waitFor('a Migration', async () => (await s.migrations()).length > 0);
  const first = (await s.migrations())[0]!;
  const createdAt = Date.parse(String(first.metadata.creationTimestamp));
  await markFailed(s.namespace, first.metadata.name!);
  // The pod stays hot: one sample per second of real time, as an agent would send.
  let second: string | undefined;
  let secondSeenAt = 0;
  for (let i = 6; i < 30 && !second; i++) {
    await s.publish([99], i);
    await sleep(1000);
    const now = await s.migrations();
    if (now.length > 1) {
      second = now.find((m) => m.metadata.name !== first.metadata.name)?.metadata.name;
      secondSeenAt = Date.now();
    }
  }
  t.truthy(second, 'a second Migration after the cooldown');
  t.true(secondSeenAt - createdAt >= 6000 - 1000, `second after ${secondSeenAt - createdAt} ms`);
  t.is((await s.migrations()).length, 2);
});

test('1000 malformed messages are counted and dropped; the trigger keeps working', async (t) => {
  t.timeout(60_000);
  const s = await scenario(h);
  t.teardown(() => s.cleanup());
  const before = await counter(messagesDropped, 'malformed');
  const good = message(s, T0, 50);
  const bad = [
    '{',
    'null',
    JSON.stringify({ ...good, schemaVersion: 99 }),
    JSON.stringify({ ...good, nodeMetrics: { memoryPercent: 1e9 } }),
    JSON.stringify({ ...good, pods: [{ name: 'x' }] }),
    JSON.stringify({ ...good, node: 'someone-else' }),
    Buffer.from([0xff, 0xfe, 0x00]),
    '',
  ];
  for (let i = 0; i < 1000; i++) h.nc.publish(metricsSubject(s.node), bad[i % bad.length]!);
  await h.nc.flush();
  await waitFor(
    '1000 drops',
    async () => (await counter(messagesDropped, 'malformed')) >= before + 1000,
  );
  t.is((await counter(messagesDropped, 'malformed')) - before, 1000);
  await s.publish([95, 96, 97, 98, 99, 97]);
  await waitFor('a Migration after the garbage', async () => (await s.migrations()).length === 1);
  t.pass();
});
