/** Duration strings of the API: what parseDuration reads and formatDuration writes. */
import test from 'ava';
import { formatDuration, parseDuration } from '../../reconcilers/api/duration.ts';

test('parseDuration reads every unit and their sums', (t) => {
  for (const [text, ms] of [
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1m30s250ms', 90_250],
  ] as const) {
    t.is(parseDuration(text), ms, text);
  }
});

test('parseDuration refuses what the CRD pattern refuses', (t) => {
  for (const text of ['', '30', '1.5s', '30 s', '-1s', '1d', 's']) {
    t.throws(() => parseDuration(text), { message: new RegExp(`invalid duration "${text}"`) });
  }
});

test('formatDuration writes status.duration', (t) => {
  for (const [ms, text] of [
    [850, '850ms'],
    [999.7, '1s'],
    [42_000, '42s'],
    [42_400, '42s'],
    [123_456, '2m3s'],
    [3_605_000, '1h0m5s'],
  ] as const) {
    t.is(formatDuration(ms), text, String(ms));
  }
});
