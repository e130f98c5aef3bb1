/**
 * Deleting the namespace of an unfinished checkpoint Migration: the namespace goes. Deleting
 * the Migration would start a cleanup Job for its archives, which a namespace being deleted
 * refuses; the finalizer is released anyway (the archive stays on the node).
 */
import test from 'ava';
import { PUSH_SECRET, harness, type Harness } from './harness.ts';
import { waitFor } from '../env/wait.ts';
import { apiErrorCode } from '../../reconcilers/runtime/kube.ts';

let h: Harness;

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-ns-deleted');
  h.startOperator();
});

test.after.always(async () => {
  await h?.cleanup();
});

test('the namespace of a Migration mid-Imaging is deleted: it goes, finalizer released', async (t) => {
  t.timeout(300_000);
  await h.createPod('stays');
  const down = { repository: '127.0.0.1:9/continuum/down', pushSecretRef: { name: PUSH_SECRET } };
  await h.createMigration('move-stays', {
    podName: 'stays',
    restorePolicy: 'checkpoint',
    image: down,
  });
  await h.waitForMigration('move-stays', (m) => m.status?.phase === 'Imaging', 180_000);

  await h.core.deleteNamespace({ name: h.namespace });
  const gone = await waitFor(
    `namespace ${h.namespace} gone`,
    async () =>
      h.core.readNamespace({ name: h.namespace }).then(
        () => undefined,
        (err: unknown) => apiErrorCode(err) === 404,
      ),
    120_000,
    async () => {
      const m = await h.getMigration('move-stays');
      return JSON.stringify({ finalizers: m?.metadata.finalizers, phase: m?.status?.phase });
    },
  );
  t.true(gone);
});
