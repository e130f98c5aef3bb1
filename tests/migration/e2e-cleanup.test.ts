/**
 * End to end, what a finished Migration leaves (simulated node level, real API server and
 * docker-registry): with spec.image.retain and a TTL of 1 s, the Migration is deleted after Done,
 * the restored pod runs on and the image stays; pushed to a registry that refuses deletes (its
 * default configuration), ImagesDeleted is False with the registry's answer, recorded once, and
 * the Migration is Done all the same. (e2e-checkpoint covers a registry that deletes.)
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { imageExists } from '../../reconcilers/registry/client.ts';
import { testEnv } from '../env/info.ts';
import { startRegistry } from '../env/registry.ts';
import type { Service } from '../env/process.ts';
import { sleep, waitFor } from '../env/wait.ts';
import { PULL_SECRET, PUSH_SECRET, harness, isPhase, type Harness } from './harness.ts';

let h: Harness;
let noDeletes: { host: string; service: Service } | undefined;
const NO_DELETES_SECRET = 'registry-no-deletes';

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-cleanup');
  const { username, password } = testEnv().registry;
  const started = await startRegistry({
    name: 'registry-no-deletes',
    workDir: testEnv().workDir,
    username,
    password,
    deletes: false,
  });
  noDeletes = { host: started.info.host, service: started.service };
  await h.core.createNamespacedSecret({
    namespace: h.namespace,
    body: {
      metadata: { name: NO_DELETES_SECRET },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': readFileSync(started.info.dockerConfig).toString('base64') },
    },
  });
  h.startOperator();
});

test.after.always(async () => {
  await h?.cleanup();
  await noDeletes?.service.stop();
});

const credentials = () => ({
  username: testEnv().registry.username,
  password: testEnv().registry.password,
});

test('retain and a 1 s TTL: the Migration goes after Done, the restored pod and the image stay', async (t) => {
  t.timeout(300_000);
  await h.createPod('kept');
  await h.createMigration('move-kept', {
    podName: 'kept',
    restorePolicy: 'checkpoint',
    ttlSecondsAfterFinished: 1,
    image: {
      repository: h.repository,
      pushSecretRef: { name: PUSH_SECRET },
      pullSecretRef: { name: PULL_SECRET },
      retain: true,
    },
  });
  const m = await h.waitForMigration('move-kept', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  await waitFor(
    'the Migration deleted after its TTL',
    async () => (await h.getMigration('move-kept')) === undefined,
    30_000,
  );
  const restored = (await h.pods()).find((p) => p.metadata?.name === m.status!.targetPod);
  t.truthy(restored, 'the restored pod runs on');
  t.falsy(restored?.metadata?.deletionTimestamp);
  t.true(await imageExists(m.status!.image!, { credentials: credentials() }), 'retained');
});

test('a registry that refuses deletes: ImagesDeleted False with its answer, once; Done all the same', async (t) => {
  t.timeout(300_000);
  await h.createPod('refused');
  await h.createMigration('move-refused', {
    podName: 'refused',
    restorePolicy: 'checkpoint',
    image: {
      repository: `${noDeletes!.host}/continuum/${h.namespace}`,
      pushSecretRef: { name: NO_DELETES_SECRET },
      pullSecretRef: { name: NO_DELETES_SECRET },
    },
  });
  const m = await h.waitForMigration(
    'move-refused',
    (x) => Boolean(x.status?.conditions?.some((c) => c.type === 'ImagesDeleted')),
    240_000,
  );
  t.is(m.status?.phase, 'Done');
  t.like(
    m.status?.conditions?.find((c) => c.type === 'ImagesDeleted'),
    {
      status: 'False',
      reason: 'DeleteRefused',
    },
  );
  t.regex(
    m.status!.conditions!.find((c) => c.type === 'ImagesDeleted')!.message,
    /the registry does not delete images \(405/,
  );
  t.true(await imageExists(m.status!.image!, { credentials: credentials() }), 'still there');
  // never asked again: one Warning Event, however many passes follow
  await sleep(3000);
  const events = await h.core.listNamespacedEvent({
    namespace: h.namespace,
    fieldSelector: 'reason=ImagesNotDeleted',
  });
  t.is(events.items.length, 1, JSON.stringify(events.items.map((e) => e.message)));
  t.is(events.items[0]?.count ?? 1, 1);
});
