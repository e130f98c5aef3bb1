/**
 * GIVEN a pod of a ReplicaSet (a Deployment's)
 * WHEN it is migrated
 * THEN Pending records its ReplicaSet unless the Deployment rolls out or another pod of it is
 *   moving; the restored pod starts without the template hash; once it is Ready the source gets
 *   the lowest deletion cost and the restored pod the hash, whatever the cutover; once the
 *   ReplicaSet adopted it the source goes and the Migration is Done; a failure before that
 *   removes the restored pod and the source's deletion cost, never an adopted pod.
 */
import test from 'ava';
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { MigrationStatus } from '../../reconcilers/api/types.ts';
import { decide } from '../../reconcilers/migration/decide.ts';
import type { Action } from '../../reconcilers/migration/model.ts';
import {
  DELETION_COST,
  FIRST_TO_GO,
  POD_TEMPLATE_HASH,
} from '../../reconcilers/migration/owner.ts';
import { at, config, inPhase, migration, observed, pod, target } from './fixtures.ts';

const OWNER = { kind: 'ReplicaSet' as const, name: 'rs-1', uid: 'rs', podTemplateHash: 'h1' };
const NOW = at(30);

function source(extra: { marked?: boolean } = {}): V1Pod {
  const p = pod({ owner: 'ReplicaSet' });
  p.metadata!.labels = { ...p.metadata!.labels, [POD_TEMPLATE_HASH]: 'h1' };
  if (extra.marked) p.metadata!.annotations = { [DELETION_COST]: FIRST_TO_GO };
  return p;
}

const replicaSet: V1ReplicaSet = {
  metadata: {
    name: 'rs-1',
    uid: 'rs',
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd', controller: true },
    ],
  },
};

function deployment(status: V1Deployment['status'], generation = 1): V1Deployment {
  return { metadata: { name: 'web', generation }, spec: { replicas: 3 } as never, status };
}
const settled = deployment({ observedGeneration: 1, replicas: 3, updatedReplicas: 3 });

/** The restored pod: Ready or not, labelled with the hash, adopted by the ReplicaSet. */
function restored(opts: { ready?: boolean; labelled?: boolean; adopted?: boolean } = {}): V1Pod {
  const p = target({ ready: opts.ready });
  if (opts.labelled) p.metadata!.labels = { ...p.metadata!.labels, [POD_TEMPLATE_HASH]: 'h1' };
  if (opts.adopted) {
    p.metadata!.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs-1', uid: 'rs', controller: true },
    ];
  }
  return p;
}

const restoring = (spec = {}, extra: MigrationStatus = {}) =>
  migration(
    { restorePolicy: 'restart', ...spec },
    inPhase('Restoring', { owner: OWNER, ...extra }),
  );
const summary = (actions: Action[]) =>
  actions.map((a) =>
    a.type === 'deletePod' || a.type === 'patchPod' ? `${a.type}:${a.why}:${a.name}` : a.type,
  );

test('Pending records the ReplicaSet of a settled Deployment', (t) => {
  const d = decide(
    observed(migration({ restorePolicy: 'restart' }), {
      pod: source(),
      owner: { replicaSet, deployment: settled },
    }),
    NOW,
    config,
  );
  t.is(d.status.phase, 'Restoring');
  t.deepEqual(d.status.owner, OWNER);
});

test('a Deployment rolling out is refused with its reason, the source untouched', (t) => {
  for (const rolling of [
    deployment({ observedGeneration: 1, replicas: 4, updatedReplicas: 1 }),
    deployment({ observedGeneration: 1, replicas: 3, updatedReplicas: 3 }, 2),
  ]) {
    const d = decide(
      observed(migration(), { pod: source(), owner: { replicaSet, deployment: rolling } }),
      NOW,
      config,
    );
    t.is(d.status.failureReason, 'OwnerRollingOut');
    t.deepEqual(d.actions, []);
  }
});

test('a ReplicaSet that is gone is refused', (t) => {
  const d = decide(observed(migration(), { pod: source(), owner: {} }), NOW, config);
  t.is(d.status.failureReason, 'OwnerNotFound');
});

test('one pod of a ReplicaSet moves at a time', (t) => {
  const other = migration({}, inPhase('Imaging', { owner: OWNER }), { name: 'other', uid: 'u2' });
  const d = decide(
    observed(migration(), {
      pod: source(),
      owner: { replicaSet, deployment: settled },
      ownerMigrations: [other],
    }),
    NOW,
    config,
  );
  t.is(d.status.failureReason, 'AlreadyMigrating');
  t.regex(
    d.status.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /ReplicaSet "rs-1".*"other"/,
  );
});

test('the restored pod starts without the template hash, so the ReplicaSet leaves it be', (t) => {
  const d = decide(observed(restoring(), { pod: source() }), NOW, config);
  const [create] = d.actions;
  t.is(create?.type, 'createPod');
  const labels = create?.type === 'createPod' ? create.pod.metadata?.labels : {};
  t.is(labels?.[POD_TEMPLATE_HASH], undefined);
  t.is(labels?.app, 'demo');
});

test('not Ready yet: nothing handed over, even for a checkpoint with AfterCheckpoint', (t) => {
  const m = restoring({ restorePolicy: 'checkpoint', cutover: 'AfterCheckpoint' });
  const d = decide(observed(m, { pod: source(), targetPod: restored() }), NOW, config);
  t.is(d.status.phase, 'Restoring');
  t.deepEqual(d.actions, []);
});

test('Ready: the source gets the lowest deletion cost, then the restored pod the hash', (t) => {
  const d = decide(
    observed(restoring(), { pod: source(), targetPod: restored({ ready: true }) }),
    NOW,
    config,
  );
  t.deepEqual(summary(d.actions), [
    'patchPod:handover:app',
    `patchPod:handover:${restored().metadata!.name}`,
  ]);
  t.like(d.actions[0], { annotations: { [DELETION_COST]: FIRST_TO_GO }, uid: 'pod-uid' });
  t.like(d.actions[1], { labels: { [POD_TEMPLATE_HASH]: 'h1' }, uid: 'target-uid' });
  t.is(d.status.phase, 'Restoring');
});

test('handed over but not adopted yet: waits, repeating nothing', (t) => {
  const d = decide(
    observed(restoring(), {
      pod: source({ marked: true }),
      targetPod: restored({ ready: true, labelled: true }),
    }),
    NOW,
    config,
  );
  t.deepEqual(d.actions, []);
  t.is(d.requeueAfterMs, config.pollMs);
});

test('adopted: the source goes (a second for a checkpointed one) and the Migration is Done', (t) => {
  const m = restoring({ restorePolicy: 'checkpoint' });
  const d = decide(
    observed(m, {
      pod: source({ marked: true }),
      targetPod: restored({ ready: true, labelled: true, adopted: true }),
    }),
    NOW,
    config,
  );
  t.deepEqual(summary(d.actions), ['deletePod:cutover:app']);
  t.like(d.actions[0], { gracePeriodSeconds: 1 });
  t.is(d.status.phase, 'Done');
  const gone = decide(
    observed(m, {
      pod: undefined,
      targetPod: restored({ ready: true, labelled: true, adopted: true }),
    }),
    NOW,
    config,
  );
  t.deepEqual(gone.actions, []);
  t.is(gone.status.phase, 'Done');
});

test('a restored pod that cannot run fails the Migration: it goes, the source stays unmarked', (t) => {
  const broken = restored({ labelled: true });
  broken.status!.phase = 'Failed';
  const d = decide(
    observed(restoring(), { pod: source({ marked: true }), targetPod: broken }),
    NOW,
    config,
  );
  t.is(d.status.failureReason, 'TargetFailed');
  t.deepEqual(summary(d.actions), [
    `deletePod:rollback:${broken.metadata!.name}`,
    'patchPod:unmark:app',
  ]);
  t.like(d.actions[1], { annotations: { [DELETION_COST]: null } });
});

test('the deadline never removes a pod the ReplicaSet adopted', (t) => {
  const d = decide(
    observed(restoring(), {
      pod: source({ marked: true }),
      targetPod: restored({ ready: true, labelled: true, adopted: true }),
    }),
    at(601),
    config,
  );
  t.is(d.status.failureReason, 'DeadlineExceeded');
  t.false(d.actions.some((a) => a.type === 'deletePod'));
});
