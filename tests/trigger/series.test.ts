import test from 'ava';
import { MetricSeries } from '../../reconcilers/trigger/series.ts';

test('the window minimum follows the samples of the last forMs', (t) => {
  const s = new MetricSeries(10_000, 2500);
  const values = [50, 99, 70, 95, 96, 94, 97];
  values.forEach((value, i) => s.add({ t: i * 1000, value }));
  t.deepEqual(s.view(3000), { min: 94, latest: { t: 6000, value: 97 }, covered: true });
  t.is(s.view(0)?.min, 97);
  t.is(s.view(6000)?.min, 50);
  t.false(s.view(7000)!.covered);
});

test('replayed or older samples are ignored; a gap restarts the series', (t) => {
  const s = new MetricSeries(10_000, 2500);
  t.true(s.add({ t: 1000, value: 99 }));
  t.true(s.add({ t: 2000, value: 99 }));
  t.false(s.add({ t: 2000, value: 10 }));
  t.false(s.add({ t: 1500, value: 10 }));
  t.is(s.view(1000)?.min, 99);
  s.add({ t: 6000, value: 98 });
  t.is(s.since, 6000);
  t.false(s.view(1000)!.covered);
});

test('memory stays bounded by the retained span', (t) => {
  const s = new MetricSeries(5_000, 2500);
  for (let i = 0; i < 100_000; i++) s.add({ t: i * 1000, value: i % 2 ? 1 : 100 - (i % 50) });
  const deque = (s as unknown as { deque: unknown[] }).deque;
  t.true(deque.length < 200, `deque has ${deque.length} entries`);
  t.true(s.view(4000)!.covered);
});
