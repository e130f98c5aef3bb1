/**
 * The informer and leader election in fake time against an API server that refuses connections
 * (pure: nothing listens there): failed lists are retried after exactly the backoff delays, a
 * candidate tries again every retry period and never leads, and stop ends a pending wait.
 */
import test from 'ava';
import { KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { Informer } from '../../reconcilers/runtime/informer.ts';
import { LeaderElector } from '../../reconcilers/runtime/leader.ts';
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

test('a candidate that cannot reach the Lease tries again every retry period, never leading', async (t) => {
  const clock = new FakeClock();
  const events: string[] = [];
  const elector = new LeaderElector(
    await unreachable(),
    {
      namespace: 'default',
      name: 'continuum-operator',
      identity: 'a',
      retryPeriodMs: 1500,
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => events.push('stopped'),
    },
    silentLogger(),
    clock,
  );
  elector.start();
  const delays: number[] = [];
  try {
    for (let round = 1; round <= 3; round++) {
      const waiting = () => clock.pending()[0];
      const delay = await waitFor(`the wait after round ${round}`, waiting, 10_000);
      delays.push(delay);
      await clock.advance(delay);
    }
  } finally {
    await elector.stop();
  }
  t.deepEqual(delays, [1500, 1500, 1500]);
  t.false(elector.isLeader());
  t.deepEqual(events, []);
});
