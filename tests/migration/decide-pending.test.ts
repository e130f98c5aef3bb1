/**
 * GIVEN a new Migration (Pending) and its source pod
 * WHEN decide runs
 * THEN the Migration gets the finalizer and starts checkpointing (restart skips to Restoring and
 *   creates the restored pod in the same pass, but a StatefulSet's pod only records Restoring),
 *   recording the source node, the pod and the time of each phase entered; a pod not yet Running
 *   is waited for; a pod missing, terminated or being deleted, its node gone, a DaemonSet's or a
 *   Job's pod, an unknown container, a volume that stays on the node (unless Detach) or an older
 *   rival Migration fails it; so does a pod of a ReplicaSet or StatefulSet whose other pods
 *   already have spec.maxUnavailablePerOwner (absent: 1) active Migrations.
 */
import test from 'ava';
import { decide } from '../../reconcilers/migration/decide.ts';
import type { MigrationPhase, MigrationStatus } from '../../reconcilers/api/types.ts';
import type { Decision } from '../../reconcilers/migration/model.ts';
import { at, config, inPhase, migration as m, observed, ownedSource, pod } from './fixtures.ts';
import { testRows } from './decide-table.ts';

const STATEFUL_SET = { kind: 'StatefulSet', name: 'rs-1', uid: 'rs' } as const;
const REPLICA_SET = { kind: 'ReplicaSet', name: 'rs-1', uid: 'rs', podTemplateHash: 'h1' } as const;

/** Migration `name` of another pod of `owner` (ownedSource's controller), in `phase`. */
const moving = (
  name: string,
  phase: MigrationPhase,
  owner: MigrationStatus['owner'] = STATEFUL_SET,
) => m({ podName: `app-${name}` }, inPhase(phase, { owner }), { name, uid: name });
const failureMessage = (d: Decision) =>
  d.status.conditions?.find((c) => c.type === 'Ready')?.message ?? '';

testRows([
  {
    name: 'a pod of a StatefulSet already moving another pod fails (limit absent: 1), naming it',
    given: observed(m(), {
      ...ownedSource('StatefulSet'),
      ownerMigrations: [moving('o1', 'Imaging')],
    }),
    phase: 'Failed',
    reason: 'AlreadyMigrating',
    actions: [],
    check: (t, d) =>
      t.is(
        failureMessage(d),
        'StatefulSet "rs-1" is already moving a pod (Migration "o1"); spec.maxUnavailablePerOwner is 1',
      ),
  },
  {
    name: 'maxUnavailablePerOwner 2: one other pod moving leaves room, and the owner is recorded',
    given: observed(m({ maxUnavailablePerOwner: 2 }), {
      ...ownedSource('StatefulSet'),
      ownerMigrations: [moving('o1', 'Restoring')],
    }),
    phase: 'Checkpointing',
    actions: [],
    check: (t, d) => t.deepEqual(d.status.owner, STATEFUL_SET),
  },
  {
    name: 'maxUnavailablePerOwner 2: two other pods moving fail it, naming both',
    given: observed(m({ maxUnavailablePerOwner: 2 }), {
      ...ownedSource('StatefulSet'),
      ownerMigrations: [moving('o1', 'Pending'), moving('o2', 'Checkpointing')],
    }),
    phase: 'Failed',
    reason: 'AlreadyMigrating',
    actions: [],
    check: (t, d) =>
      t.regex(failureMessage(d), /moving 2 pods \(Migrations "o1", "o2"\); .* is 2$/),
  },
  {
    name: 'finished Migrations of the owner do not count',
    given: observed(m(), {
      ...ownedSource('StatefulSet'),
      ownerMigrations: [moving('o1', 'Done'), moving('o2', 'Failed')],
    }),
    phase: 'Checkpointing',
    actions: [],
  },
  {
    name: 'a ReplicaSet pod under maxUnavailablePerOwner 3 with two moving goes ahead',
    given: observed(m({ restorePolicy: 'restart', maxUnavailablePerOwner: 3 }), {
      ...ownedSource('ReplicaSet'),
      ownerMigrations: [
        moving('o1', 'Restoring', REPLICA_SET),
        moving('o2', 'Pending', REPLICA_SET),
      ],
    }),
    phase: 'Restoring',
    actions: ['createPod'],
  },
  {
    name: 'a pod without an owner is not limited',
    given: observed(m(), { ownerMigrations: [moving('o1', 'Imaging')] }),
    phase: 'Checkpointing',
    actions: [],
  },
  {
    name: 'a new Migration gets the finalizer and starts checkpointing',
    given: observed(m({}, undefined, { finalizers: [] })),
    phase: 'Checkpointing',
    actions: ['addFinalizer'],
  },
  {
    name: 'restart skips checkpoint and imaging, and creates the restored pod in the same pass',
    given: observed(m({ restorePolicy: 'restart' })),
    phase: 'Restoring',
    actions: ['createPod'],
  },
  {
    name: "restart of a StatefulSet's pod records Restoring first (the webhook must find it before the source goes)",
    given: observed(m({ restorePolicy: 'restart' }), ownedSource('StatefulSet')),
    phase: 'Restoring',
    actions: [],
  },
  {
    name: 'the pod does not exist',
    given: observed(m(), { pod: undefined }),
    phase: 'Failed',
    reason: 'PodNotFound',
    actions: [],
  },
  {
    name: 'a pod of a DaemonSet fails fast, naming the kind, and is not deleted',
    given: observed(m(), { pod: pod({ owner: 'DaemonSet' }) }),
    phase: 'Failed',
    reason: 'PodHasController',
    actions: [],
    check: (t, d) =>
      t.regex(
        d.status.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
        /DaemonSet "rs-1"/,
      ),
  },
  {
    name: 'a pod of a Job fails fast',
    given: observed(m(), { pod: pod({ owner: 'Job' }) }),
    phase: 'Failed',
    reason: 'PodHasController',
    actions: [],
  },
  {
    name: 'an older active Migration of the pod wins',
    given: observed(m(), {
      siblings: [
        m({}, inPhase('Imaging'), { name: 'first', uid: 'u1', creationTimestamp: at(-5) }),
      ],
    }),
    phase: 'Failed',
    reason: 'AlreadyMigrating',
    actions: [],
  },
  {
    name: 'same creation time: the name breaks the tie',
    given: observed(m(), { siblings: [m({}, undefined, { name: 'aaa', uid: 'u1' })] }),
    phase: 'Failed',
    reason: 'AlreadyMigrating',
    actions: [],
  },
  {
    name: 'a rival already past Pending wins, even if younger (same second, or a lagging cache)',
    given: observed(m(), {
      siblings: [
        m({}, inPhase('Checkpointing'), { name: 'zzz', uid: 'u1', creationTimestamp: at(0) }),
      ],
    }),
    phase: 'Failed',
    reason: 'AlreadyMigrating',
    actions: [],
  },
  {
    name: 'a younger rival does not stop the older',
    given: observed(m(), {
      siblings: [m({}, undefined, { name: 'zzz', uid: 'u1', creationTimestamp: at(3) })],
    }),
    phase: 'Checkpointing',
    actions: [],
  },
  {
    name: 'an older finished Migration does not count',
    given: observed(m(), {
      siblings: [m({}, inPhase('Done'), { name: 'old', uid: 'u1', creationTimestamp: at(-500) })],
    }),
    phase: 'Checkpointing',
    actions: [],
  },
  {
    name: 'an unknown container fails',
    given: observed(m({ containers: ['nope'] })),
    phase: 'Failed',
    reason: 'ContainerNotFound',
    actions: [],
  },
  {
    name: 'a pod not yet Running is waited for',
    given: observed(m(), { pod: pod({ phase: 'Pending' }) }),
    phase: 'Pending',
    actions: [],
    check: (t, d) => t.is(d.requeueAfterMs, config.pollMs),
  },
  {
    name: 'a pod that has terminated fails',
    given: observed(m(), { pod: pod({ phase: 'Succeeded' }) }),
    phase: 'Failed',
    reason: 'PodNotRunning',
    actions: [],
  },
  {
    name: 'the pod node object is gone',
    given: observed(m(), { node: undefined }),
    phase: 'Failed',
    reason: 'SourceNodeGone',
    actions: [],
  },
  {
    name: 'a pod being deleted cannot be migrated',
    given: observed(m(), { pod: pod({ deleting: true }) }),
    phase: 'Failed',
    reason: 'SourcePodGone',
    actions: [],
  },
]);

test('decide: Pending records the source node and pod and the time of each phase entered', (t) => {
  const d = decide(observed(m()), at(3), config);
  t.is(d.status.sourceNode, 'edge-1');
  t.is(d.status.sourcePodUID, 'pod-uid');
  t.deepEqual(d.status.phaseTransitionTimestamps, {
    Pending: at(3).toISOString(),
    Checkpointing: at(3).toISOString(),
  });
  t.is(d.status.observedGeneration, 1);
  t.is(d.requeueAfterMs, 0);
});

test('a volume whose contents stay on the node: refused, unless Detach gives the restored pod an empty one', (t) => {
  const withClaim = pod();
  withClaim.spec!.volumes!.push({ name: 'db', persistentVolumeClaim: { claimName: 'db' } });
  const refused = decide(
    observed(m({ restorePolicy: 'restart' }), { pod: withClaim }),
    at(1),
    config,
  );
  t.is(refused.status.failureReason, 'VolumeNotMovable');
  t.regex(
    refused.status.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /volume "db" \(persistentVolumeClaim\)/,
  );
  const detached = m({ restorePolicy: 'restart', volumes: 'Detach' }, inPhase('Restoring'));
  const d = decide(observed(detached, { pod: withClaim }), at(1), config);
  const created = d.actions.find((a) => a.type === 'createPod');
  t.deepEqual(
    created?.type === 'createPod'
      ? created.pod.spec?.volumes?.find((v) => v.name === 'db')
      : undefined,
    { name: 'db', emptyDir: {} },
  );
});
