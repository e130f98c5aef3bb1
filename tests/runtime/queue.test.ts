/** Work queue and controller semantics (pure: no API server; fake time, exact delays). */
import test from 'ava';
import { ApiException } from '@kubernetes/client-node';
import { Controller } from '../../reconcilers/runtime/controller.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import { WorkQueue } from '../../reconcilers/runtime/queue.ts';
import { FakeClock } from './fake-clock.ts';

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
  const clock = new FakeClock();
  const q = new WorkQueue({}, undefined, clock);
  q.addAfter('a', 1000);
  q.addAfter('a', 20);
  q.addAfter('a', 500);
  t.deepEqual(clock.pending(), [20]);
  await clock.advance(19);
  t.is(q.depth, 0);
  await clock.advance(1);
  t.is(q.depth, 1);
  q.close();
});

test('close wakes waiting getters with undefined and drops timers', async (t) => {
  const clock = new FakeClock();
  const q = new WorkQueue({}, undefined, clock);
  const pending = q.get();
  q.addAfter('a', 10);
  q.close();
  t.is(await pending, undefined);
  t.deepEqual(clock.pending(), []);
  await clock.advance(10);
  t.is(q.depth, 0);
});

function recordingController(
  concurrency: number,
  behave: (key: string, call: number) => Promise<{ requeueAfterMs?: number } | void>,
  clock: FakeClock,
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
    clock,
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
  const clock = new FakeClock();
  const { controller, calls, stats } = recordingController(3, () => clock.sleep(30), clock);
  controller.start();
  for (let i = 0; i < 10; i++) controller.enqueue(`k${i}`);
  await clock.advance(5);
  for (let i = 0; i < 10; i++) controller.enqueue(`k${i}`); // re-added while in flight
  await clock.advance(400);
  t.true(await controller.stop(1000));
  t.is(stats().maxActive, 3);
  t.is(stats().maxPerKey, 1);
  t.is(calls.k0, 2, 'k0 was in flight when re-added: one more run');
  t.is(calls.k9, 1, 'k9 was still waiting when re-added: collapsed');
});

test('errors retry with growing backoff; success resets; requeueAfterMs runs again', async (t) => {
  const clock = new FakeClock();
  const times: number[] = [];
  const { controller, calls } = recordingController(
    1,
    async (_key, call) => {
      times.push(clock.now());
      if (call <= 3) throw new Error('transient');
      if (call === 4) return { requeueAfterMs: 50 };
    },
    clock,
  );
  controller.start();
  controller.enqueue('a');
  await clock.advance(1000);
  await controller.stop(1000);
  t.is(calls.a, 5);
  const gaps = times.slice(1).map((x, i) => x - times[i]!);
  t.deepEqual(gaps, [20, 40, 80, 50], 'backoff 20, 40, 80 ms (the cap), then the requeue');
});

test('a 409 conflict is requeued at once without backoff', async (t) => {
  const clock = new FakeClock();
  const times: number[] = [];
  const { controller, calls } = recordingController(
    1,
    async (_key, call) => {
      times.push(clock.now());
      if (call <= 2) throw new ApiException(409, 'Conflict', {}, {});
    },
    clock,
  );
  controller.start();
  controller.enqueue('a');
  await clock.advance(0);
  await controller.stop(1000);
  t.is(calls.a, 3);
  t.deepEqual(times, [0, 0, 0], 'no backoff between conflicts');
});

test('stop waits for in-flight reconciles, bounded by the grace period', async (t) => {
  const clock = new FakeClock();
  const { controller } = recordingController(1, () => clock.sleep(300), clock);
  controller.start();
  controller.enqueue('a');
  await clock.advance(10);
  const stopping = controller.stop(50);
  await clock.advance(50);
  t.false(await stopping, 'still running after 50 ms');
  const { controller: c2 } = recordingController(1, () => clock.sleep(50), clock);
  c2.start();
  c2.enqueue('a');
  await clock.advance(10);
  const stopped = c2.stop(1000);
  await clock.advance(40);
  t.true(await stopped);
});
