/** The one exponential backoff formula (pure). */
import test from 'ava';
import { backoffDelay } from '../../reconcilers/runtime/backoff.ts';

test('the delay doubles from baseMs on each retry up to maxMs', (t) => {
  const backoff = { baseMs: 100, maxMs: 500 };
  t.deepEqual(
    [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, backoff)),
    [100, 200, 400, 500, 500],
  );
});

test('a huge attempt number stays at the cap', (t) => {
  t.is(backoffDelay(5000, { baseMs: 200, maxMs: 60_000 }), 60_000);
  t.is(backoffDelay(5000, { baseMs: 0, maxMs: 60_000 }), 0);
});

test('equal jitter picks between half the delay and all of it', (t) => {
  const backoff = { baseMs: 250, maxMs: 8000, jitter: true };
  const at = (attempt: number, random: number) => backoffDelay(attempt, backoff, () => random);
  t.deepEqual([at(3, 0), at(3, 0.5), at(9, 0), at(9, 0.5)], [500, 750, 4000, 6000]);
});
