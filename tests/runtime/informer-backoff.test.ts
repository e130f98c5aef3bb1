/**
 * The informer's retries in fake time (pure: the API server it is given does not exist): list
 * failures are retried after exactly the backoff delays, and stop ends a pending wait.
 */
import test from 'ava';
import { KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { Informer } from '../../reconcilers/runtime/informer.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import { freePort } from '../env/process.ts';
import { waitFor } from '../env/wait.ts';
import { FakeClock } from './fake-clock.ts';

/** A kubeconfig for an API server that refuses connections (nothing listens on its port). */
async function unreachable(): Promise<KubeConfig> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'none', server: `https://127.0.0.1:${await freePort()}` }],
    users: [{ name: 'nobody' }],
    contexts: [{ name: 'none', cluster: 'none', user: 'nobody' }],
    currentContext: 'none',
  });
  return kc;
}

test('failed lists are retried after 200, 400, 800, 1600, then 2000 ms (the cap)', async (t) => {
  const clock = new FakeClock();
  const informer = new Informer<V1ConfigMap>(
    await unreachable(),
    { path: '/api/v1/configmaps', backoff: { initialMs: 200, maxMs: 2000 } },
    silentLogger(),
    clock,
  );
  informer.start();
  const delays: number[] = [];
  try {
    for (let retry = 1; retry <= 6; retry++) {
      const waiting = () => clock.pending()[0];
      const delay = await waitFor(`the wait before retry ${retry}`, waiting, 10_000);
      delays.push(delay);
      await clock.advance(delay);
    }
  } finally {
    await informer.stop();
  }
  t.deepEqual(delays, [200, 400, 800, 1600, 2000, 2000]);
  t.false(informer.hasSynced());
});
