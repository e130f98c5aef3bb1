/** The metrics subscriber's lifecycle while NATS cannot be reached. */
import test from 'ava';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import type { MetricsIngest } from '../../reconcilers/trigger/ingest.ts';
import { MetricsSubscriber } from '../../reconcilers/trigger/subscriber.ts';
import { freePort } from '../env/process.ts';
import { sleep } from '../env/wait.ts';

test('stop returns within its grace period when NATS was never reached', async (t) => {
  const port = await freePort(); // nothing listens there
  const ingest = { ingest: async () => {} } as unknown as MetricsIngest;
  const subscriber = new MetricsSubscriber(`nats://127.0.0.1:${port}`, ingest, silentLogger());
  subscriber.start();
  await sleep(300); // a connection attempt or two
  t.false(subscriber.connected());
  const started = Date.now();
  await subscriber.stop(500);
  t.true(Date.now() - started < 2000, `stop took ${Date.now() - started} ms`);
});
