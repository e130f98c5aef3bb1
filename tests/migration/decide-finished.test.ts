/**
 * GIVEN a Migration that has finished (Done or Failed), or one being deleted
 * WHEN a pass looks at it
 * THEN Done deletes its checkpoint images once the restored pod no longer needs them (Ready, or
 *   a fresh fallback pod), never when retained or already dealt with; a Failed one's images go
 *   when the Migration is deleted, best effort; the Migration is deleted when its TTL (spec,
 *   else the operator's default for Done or Failed) is over, never before the trigger's
 *   keep-until, and looked at again when it will be; the registry's answer becomes the
 *   ImagesDeleted condition.
 */
import test from 'ava';
import { KEEP_UNTIL_ANNOTATION, type MigrationStatus } from '../../reconcilers/api/types.ts';
import { decide } from '../../reconcilers/migration/decide.ts';
import type { Action } from '../../reconcilers/migration/model.ts';
import { settle } from '../../reconcilers/migration/settle.ts';
import {
  ARCHIVE,
  DIGEST,
  REPO,
  at,
  config,
  inPhase,
  migration,
  observed,
  target,
} from './fixtures.ts';

const IMAGE = `${REPO}@${DIGEST}`;
const SIDECAR = `${REPO}@sha256:${'cd'.repeat(32)}`;
const images = {
  image: IMAGE,
  checkpoint: {
    archives: [
      { container: 'app', path: ARCHIVE, image: IMAGE },
      { container: 'sidecar', path: `${ARCHIVE}.2`, image: SIDECAR },
    ],
  },
};
const done = (extra: MigrationStatus = {}) => inPhase('Done', { ...images, ...extra });
const failed = (): MigrationStatus => ({
  ...inPhase('Restoring', images),
  phase: 'Failed',
  failureReason: 'TargetFailed',
  phaseTransitionTimestamps: {
    ...inPhase('Restoring').phaseTransitionTimestamps,
    Failed: at(4).toISOString(),
  },
});
const deletions = (actions: Action[]) =>
  actions.flatMap((a) => (a.type === 'deleteImages' ? [a] : []));
const migrationDeleted = (actions: Action[]) => actions.some((a) => a.type === 'deleteMigration');

test('Done with the restored pod Ready: every checkpoint image is deleted, once', (t) => {
  const d = decide(
    observed(migration({}, done()), { pod: undefined, targetPod: target({ ready: true }) }),
    at(10),
    config,
  );
  t.deepEqual(deletions(d.actions), [{ type: 'deleteImages', refs: [IMAGE, SIDECAR] }]);
  for (const reason of ['Deleted', 'DeleteRefused']) {
    const status = done({
      conditions: [
        {
          type: 'ImagesDeleted',
          status: reason === 'Deleted' ? 'True' : 'False',
          reason,
          message: '',
          lastTransitionTime: at(5).toISOString(),
        },
      ],
    });
    const again = decide(
      observed(migration({}, status), { pod: undefined, targetPod: target({ ready: true }) }),
      at(10),
      config,
    );
    t.deepEqual(deletions(again.actions), [], `${reason}: not asked again`);
  }
});

test('images stay while the restored pod may still need them, or when retained', (t) => {
  const notReady = decide(
    observed(migration({}, done()), {
      pod: undefined,
      targetPod: target({ waiting: 'ContainerCreating' }),
    }),
    at(10),
    config,
  );
  t.deepEqual(deletions(notReady.actions), []);
  const retained = decide(
    observed(migration({ image: { retain: true } }, done()), {
      pod: undefined,
      targetPod: target({ ready: true }),
    }),
    at(10),
    config,
  );
  t.deepEqual(deletions(retained.actions), []);
  const fallback = decide(
    observed(
      migration({}, done({ restoreFallback: { reason: 'CreateContainerError', message: 'no' } })),
      {
        pod: undefined,
        targetPod: target({ waiting: 'ContainerCreating' }),
      },
    ),
    at(10),
    config,
  );
  t.is(deletions(fallback.actions).length, 1, 'a fresh pod never uses the image');
  const gone = decide(
    observed(migration({}, done()), { pod: undefined, targetPod: undefined }),
    at(10),
    config,
  );
  t.is(deletions(gone.actions).length, 1, 'no restored pod left to need it');
});

test('a Failed Migration keeps its images until it is deleted; then they go, best effort', (t) => {
  const kept = decide(observed(migration({}, failed()), { targetPod: undefined }), at(10), config);
  t.deepEqual(deletions(kept.actions), []);
  const deleting = migration({}, failed(), { deletionTimestamp: at(20) });
  const d = decide(observed(deleting, { targetPod: undefined }), at(20), config);
  t.deepEqual(deletions(d.actions), [
    { type: 'deleteImages', refs: [IMAGE, SIDECAR], bestEffort: true },
  ]);
  t.is(d.actions.at(-1)?.type, 'removeFinalizer', 'the finalizer goes after them');
  const inFlight = migration({}, inPhase('Restoring', images), { deletionTimestamp: at(20) });
  t.deepEqual(
    deletions(decide(observed(inFlight, { targetPod: target() }), at(20), config).actions),
    [],
  );
});

test('TTL: the default for Done, then for Failed; the spec wins; 0 deletes at once', (t) => {
  const ready = { pod: undefined, targetPod: target({ ready: true }) };
  // Done at at(4); the default TTL is an hour
  const early = decide(observed(migration({}, done()), ready), at(10), config);
  t.false(migrationDeleted(early.actions));
  t.is(early.requeueAfterMs, 3600_000 - 6000);
  t.true(
    migrationDeleted(decide(observed(migration({}, done()), ready), at(4 + 3600), config).actions),
  );
  const failedEarly = decide(
    observed(migration({}, failed()), { targetPod: undefined }),
    at(4 + 3600),
    config,
  );
  t.false(migrationDeleted(failedEarly.actions), 'Failed ones stay longer (7 days)');
  t.is(failedEarly.requeueAfterMs, 86_400_000, 'looked at again within a day');
  const spec = migration({ ttlSecondsAfterFinished: 0 }, failed());
  t.true(migrationDeleted(decide(observed(spec, { targetPod: undefined }), at(4), config).actions));
  const kept = decide(observed(migration({}, done()), ready), at(1e6), { ...config, ttl: {} });
  t.false(migrationDeleted(kept.actions));
  t.is(kept.requeueAfterMs, undefined, 'no TTL: kept, and not looked at again');
});

test("TTL: never before the trigger's keep-until (the policy cooldown reads the Migration)", (t) => {
  const keep = { annotations: { [KEEP_UNTIL_ANNOTATION]: at(600).toISOString() } };
  const m = migration({ ttlSecondsAfterFinished: 10 }, done(), keep);
  const ready = { pod: undefined, targetPod: target({ ready: true }) };
  const d = decide(observed(m, ready), at(100), config);
  t.false(migrationDeleted(d.actions));
  t.is(d.requeueAfterMs, 500_000);
  t.true(migrationDeleted(decide(observed(m, ready), at(600), config).actions));
});

test('settle: the registry answer becomes the ImagesDeleted condition', (t) => {
  const m = migration({}, done());
  const o = observed(m, { pod: undefined, targetPod: target({ ready: true }) });
  const d = decide(o, at(10), config);
  const outcome = {
    ok: true as const,
    imagesDeleted: {
      status: 'False' as const,
      reason: 'DeleteRefused',
      message: 'the registry does not delete images (405)',
    },
  };
  const { status } = settle(
    o,
    d,
    d.actions.map(() => outcome),
    at(10),
    config,
  );
  t.like(
    status.conditions?.find((c) => c.type === 'ImagesDeleted'),
    {
      status: 'False',
      reason: 'DeleteRefused',
      message: 'the registry does not delete images (405)',
    },
  );
});
