/**
 * GIVEN a registry inside the cluster that speaks plain HTTP, as air-gapped sites run one (not on
 *   loopback: the imager would use HTTPS), and the operator told so (CONTINUUM_REGISTRY_PLAIN_HTTP,
 *   the chart's registry.plainHttp)
 * WHEN a checkpoint Migration moves a counter from real-edge to real-cloud through it
 * THEN the imaging Job on real-edge pushes over http://, the operator finds the image there, the
 *   restored pod is pulled from it, and the counter goes on with its memory.
 */
import test from 'ava';
import { testEnv } from '../env/info.ts';
import { waitFor } from '../env/wait.ts';
import { isPhase, type Harness } from '../migration/harness.ts';
import { counterContinuity } from './counter-continuity.ts';
import { realHarness } from './hooks.ts';
import {
  REAL_PULL_SECRET,
  counterPod,
  lastCount,
  logsOf,
  realNodeAvailable,
  restoredCounter,
} from './helpers.ts';

let h: Harness;
realHarness('real-plain-http', (x) => (h = x), { CONTINUUM_REGISTRY_PLAIN_HTTP: 'true' });

test('checkpoint Migration through a plain-HTTP registry in the cluster', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const { core, namespace } = h;
  await core.createNamespacedPod({ namespace, body: counterPod('counter', 'real-edge') });
  await waitFor(
    'the counter at 3',
    async () => (lastCount(await logsOf(core, namespace, 'counter'))?.count ?? 0) >= 3,
  );
  const before = lastCount(await logsOf(core, namespace, 'counter'))!;
  const repository = `${testEnv().httpRegistry.host}/continuum/${namespace}`;
  await h.createMigration('move-counter', {
    podName: 'counter',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    image: {
      repository,
      pushSecretRef: { name: REAL_PULL_SECRET },
      pullSecretRef: { name: REAL_PULL_SECRET },
    },
  });
  const m = await h.waitForMigration('move-counter', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.true(m.status?.image?.startsWith(`${repository}@sha256:`), m.status?.image);
  const target = m.status!.targetPod!;
  const lines = await restoredCounter(core, namespace, target, before);
  t.like(counterContinuity(lines, before.token), { continued: true }, 'one token, counting on');
});
