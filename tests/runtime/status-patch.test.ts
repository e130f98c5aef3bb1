/**
 * GIVEN a stored object and the status a pass computed
 * WHEN statusPatch builds the write
 * THEN nothing is written when they are equal as JSON carries them; otherwise the patch carries
 *   the resourceVersion read and null for each top-level field the new status dropped.
 */
import test from 'ava';
import { statusPatch } from '../../reconcilers/runtime/status-patch.ts';

const stored = { metadata: { resourceVersion: '7' }, status: { phase: 'Imaging', image: 'x' } };

test('an equal status (undefined fields aside) writes nothing', (t) => {
  t.is(statusPatch(stored, { phase: 'Imaging', image: 'x', message: undefined }), undefined);
});

test('a changed status is sent with the resourceVersion read, dropped fields as null', (t) => {
  t.deepEqual(statusPatch(stored, { phase: 'Restoring' }), {
    metadata: { resourceVersion: '7' },
    status: { phase: 'Restoring', image: null },
  });
});

test('a first status is sent whole', (t) => {
  t.deepEqual(statusPatch({ metadata: { resourceVersion: '1' } }, { phase: 'Pending' }), {
    metadata: { resourceVersion: '1' },
    status: { phase: 'Pending' },
  });
});
