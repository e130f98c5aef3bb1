/** Work queue and controller semantics (pure: no API server). */
import test from 'ava';
import { ApiException } from '@kubernetes/client-node';
import { Controller } from '../../reconcilers/runtime/controller.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import { WorkQueue } from '../../reconcilers/runtime/queue.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test('duplicates of a waiting key collapse into one entry', async (t) => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  t.is(q.depth, 2);
  t.is(await q.get(), 'a');
  t.is(await q.get(), 'b');
  t.is(q.depth, 0);
});

test('a key added while in flight runs once more after it is done, never concurrently', async (t) => {
  const q = new WorkQueue();
  q.add('a');
  const key = await q.get();
  q.add('a');
  q.add('a');
  t.is(q.depth, 0, 'not handed out while in flight');
  q.done(key!);
  t.is(q.depth, 1);
  t.is(await q.get(), 'a');
});

test('backoff doubles per failure up to the cap and resets on forget', (t) => {
  const q = new WorkQueue({ baseMs: 100, maxMs: 500 });
  t.deepEqual(
    [1, 2, 3, 4, 5].map(() => q.addRateLimited('a')),
    [100, 200, 400, 500, 500],
  );
  t.is(q.failureCount('a'), 5);
  q.forget('a');
  t.is(q.addRateLimited('a'), 100);
  q.close();
});

test('addAfter keeps the earlier of two delays', async (t) => {
  const q = new WorkQueue();
  q.addAfter('a', 1000);
  q.addAfter('a', 20);
  q.addAfter('a', 500);
  await sleep(60);
  t.is(q.depth, 1);
  q.close();
});

test('close wakes waiting getters with undefined and drops timers', async (t) => {
  const q = new WorkQueue();
  const pending = q.get();
  q.addAfter('a', 10);
  q.close();
  t.is(await pending, undefined);
  await sleep(30);
  t.is(q.depth, 0);
});

function recordingController(
  concurrency: number,
  behave: (key: string, call: number) => Promise<{ requeueAfterMs?: number } | void>,
) {
  const calls: Record<string, number> = {};
  let active = 0;
  let maxActive = 0;
  const activePerKey: Record<string, number> = {};
  let maxPerKey = 0;
  const controller = new Controller({
    name: 'test',
    log: silentLogger(),
    concurrency,
    backoff: { baseMs: 20, maxMs: 80 },
    reconciler: {
      async reconcile(key) {
        calls[key] = (calls[key] ?? 0) + 1;
        active++;
        activePerKey[key] = (activePerKey[key] ?? 0) + 1;
        maxActive = Math.max(maxActive, active);
        maxPerKey = Math.max(maxPerKey, activePerKey[key]!);
        try {
          return await behave(key, calls[key]!);
        } finally {
          active--;
          activePerKey[key]!--;
        }
      },
    },
  });
  return { controller, calls, stats: () => ({ maxActive, maxPerKey }) };
}

test('parallelism is bounded across keys and one key never runs twice at once', async (t) => {
  const { controller, calls, stats } = recordingController(3, () => sleep(30));
  controller.start();
  for (let i = 0; i < 10; i++) controller.enqueue(`k${i}`);
  await sleep(5);
  for (let i = 0; i < 10; i++) controller.enqueue(`k${i}`); // re-added while in flight
  await sleep(400);
  t.true(await controller.stop(1000));
  t.is(stats().maxActive, 3);
  t.is(stats().maxPerKey, 1);
  t.is(calls.k0, 2, 'k0 was in flight when re-added: one more run');
  t.is(calls.k9, 1, 'k9 was still waiting when re-added: collapsed');
});

test('errors retry with growing backoff; success resets; requeueAfterMs runs again', async (t) => {
  const times: number[] = [];
  const { controller, calls } = recordingController(1, async (_key, call) => {
    times.push(Date.now());
    if (call <= 3) throw new Error('transient');
    if (call === 4) return { requeueAfterMs: 50 };
  });
  controller.start();
  controller.enqueue('a');
  await sleep(400);
  await controller.stop(1000);
  t.is(calls.a, 5);
  const gaps = times.slice(1).map((x, i) => x - times[i]!);
  t.true(gaps[0]! >= 18 && gaps[1]! >= 38 && gaps[2]! >= 78, `backoff gaps ${gaps.join(',')}`);
  t.true(gaps[3]! >= 48 && gaps[3]! < 150, `requeue gap ${gaps[3]}`);
});

test('a 409 conflict is requeued at once without backoff', async (t) => {
  const times: number[] = [];
  const { controller, calls } = recordingController(1, async (_key, call) => {
    times.push(Date.now());
    if (call <= 2) throw new ApiException(409, 'Conflict', {}, {});
  });
  controller.start();
  controller.enqueue('a');
  await sleep(100);
  await controller.stop(1000);
  t.is(calls.a, 3);
  t.true(times[2]! - times[0]! < 15, 'no backoff between conflicts');
});

test('stop waits for in-flight reconciles, bounded by the grace period', async (t) => {
  const { controller } = recordingController(1, () => sleep(300));
  controller.start();
  controller.enqueue('a');
  await sleep(10);
  t.false(await controller.stop(50), 'still running after 50 ms');
  const { controller: c2 } = recordingController(1, () => sleep(50));
  c2.start();
  c2.enqueue('a');
  await sleep(10);
  t.true(await c2.stop(1000));
});
