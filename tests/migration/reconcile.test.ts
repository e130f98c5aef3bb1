/**
 * GIVEN a Migration, its pods in a fake Cluster (tests/migration/fake-cluster.ts) and caches
 * WHEN MigrationReconciler.reconcile runs one pass (or several)
 * THEN the API calls, the stored status, the Events and the result are those of the I/O shell:
 *   the status is written with the resourceVersion the finalizer patch returned; a conflict or a
 *   refused status write rejects the pass (the controller requeues it) and announces nothing; a
 *   namespace being deleted takes no Job and the pass goes on; a transient failure is recorded
 *   (Synced False) before it is thrown for a retry, and the retry completes the step; a waiting
 *   pass comes back by the deadline; a Migration gone or finished and deleted ends quietly; a
 *   restart Migration creates its restored pod in its first pass; a Done one reads no source;
 *   entering Done comes back shortly for the terminal step (images, TTL); a kubelet's 404 is
 *   SourcePodGone when it no longer has the pod, CheckpointNotSupported otherwise.
 */
import test from 'ava';
import type { V1Pod } from '@kubernetes/client-node';
import { conditionOf } from '../../reconcilers/api/conditions.ts';
import { FINALIZER, type Migration } from '../../reconcilers/api/types.ts';
import { KubeletError } from '../../reconcilers/kubelet/client.ts';
import { MigrationReconciler } from '../../reconcilers/migration/reconciler.ts';
import type { ReconcileResult } from '../../reconcilers/runtime/controller.ts';
import { apiErrorCode } from '../../reconcilers/runtime/kube.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import { metrics } from '../../reconcilers/runtime/metrics.ts';
import { apiError, FakeCluster, store } from './fake-cluster.ts';
import {
  archive,
  at,
  config,
  inPhase,
  job,
  migration as m,
  node,
  pod,
  target,
} from './fixtures.ts';

const CLOUD = node('cloud-1', { 'continuum.dev/layer': 'cloud' });

/** One pass at `now`; the labelled-pod cache holds `labelled`, the Job cache `jobs`. */
async function pass(
  cluster: FakeCluster,
  now: Date,
  caches: { labelled?: V1Pod[]; jobs?: ReturnType<typeof job>[] } = {},
  checkpoint: () => Promise<string> = async () => archive().path,
): Promise<ReconcileResult | void> {
  const reconciler = new MigrationReconciler({
    cluster,
    caches: {
      nodes: store([node(), CLOUD]),
      jobs: store(caches.jobs),
      labelledPods: store(caches.labelled),
      // as of the start of the pass: an informer's copy does not change under a write
      migrations: store(cluster.migration ? [structuredClone(cluster.migration)] : []),
      edgeNodes: store(),
      installerPods: store(),
    },
    registry: { hasManifest: async () => true, deleteManifest: async () => true },
    kubelet: { checkpoint },
    config,
    log: silentLogger(),
    metrics,
    now: () => now,
  });
  return reconciler.reconcile('ns/mig');
}

const imaging = (): Migration =>
  m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] }, sourcePodUID: 'pod-uid' }));
const restarting = (): Migration => m({ restorePolicy: 'restart' }, inPhase('Restoring'));
const synced = (c: FakeCluster) => conditionOf(c.migration?.status ?? {}, 'Synced');

test('a new Migration: the finalizer, then the status with the resourceVersion that patch returned', async (t) => {
  const c = new FakeCluster({ migration: m({}, undefined, { finalizers: [] }), pods: [pod()] });
  const result = await pass(c, at(1));
  t.deepEqual(c.calls.slice(-3), [
    'patchMigration',
    'patchMigrationStatus',
    'createEvent Checkpointing',
  ]);
  t.deepEqual(c.migration?.metadata.finalizers, [FINALIZER]);
  t.is(c.migration?.status?.phase, 'Checkpointing');
  t.like(result, { requeueAfterMs: 0 });
});

test('a new restart Migration: one pass reads the source once, creates the restored pod and records Restoring', async (t) => {
  const c = new FakeCluster({
    migration: m({ restorePolicy: 'restart' }, undefined, { finalizers: [] }),
    pods: [pod()],
  });
  await pass(c, at(1));
  t.deepEqual(
    c.calls.map((call) => call.split(' ')[0]),
    ['getPod', 'patchMigration', 'createPod', 'patchMigrationStatus', 'createEvent'],
  );
  t.is(c.calls.at(-1), 'createEvent Restoring');
  t.is(c.migration?.status?.phase, 'Restoring');
  t.true(c.pods.has(`ns/${c.migration!.status!.targetPod}`));
});

test('a Done Migration: its source is not read again (Done is recorded once it is gone)', async (t) => {
  const done = m({ restorePolicy: 'restart' }, inPhase('Done'));
  const c = new FakeCluster({ migration: done, pods: [pod(), target({ ready: true })] });
  await pass(c, at(30), { labelled: [target({ ready: true })] });
  t.false(c.calls.includes('getPod'), c.calls.join(', '));
  t.true(c.pods.has('ns/app'), 'and never touched');
});

for (const [code, what] of [
  [409, 'conflicts (a stale read)'],
  [422, 'is refused'],
] as const) {
  test(`a status write that ${what} rejects the pass with ${code}; no Event, nothing stored`, async (t) => {
    const c = new FakeCluster({ migration: m({ restorePolicy: 'restart' }), pods: [pod()] });
    c.fail('patchMigrationStatus', apiError(code));
    const err = await t.throwsAsync(pass(c, at(1)));
    t.is(apiErrorCode(err), code);
    t.deepEqual(c.events, []);
    t.is(c.migration?.status, undefined);
  });
}

test('a finalizer patch that conflicts rejects the pass before anything else is written', async (t) => {
  const c = new FakeCluster({ migration: m({}, undefined, { finalizers: [] }), pods: [pod()] });
  c.fail('patchMigration', apiError(409));
  const err = await t.throwsAsync(pass(c, at(1)));
  t.is(apiErrorCode(err), 409);
  t.false(c.calls.includes('patchMigrationStatus'));
});

test('a namespace being deleted takes no imaging Job: the pass goes on, nothing thrown', async (t) => {
  const c = new FakeCluster({ migration: imaging(), pods: [pod()] });
  c.fail(
    'createServiceAccount',
    apiError(403, 'namespaces "ns" is forbidden: NamespaceTerminating'),
  );
  const result = await pass(c, at(3));
  t.true(c.calls.includes('createServiceAccount'));
  t.false(c.calls.some((call) => call.startsWith('createJob')));
  t.is(c.jobs.size, 0);
  t.is(c.migration?.status?.phase, 'Imaging');
  t.is(synced(c)?.status, 'True');
  t.like(result, { requeueAfterMs: config.eventPollMs });
});

test('a transient failure is recorded (Synced False) and thrown; the retry creates the pod', async (t) => {
  const c = new FakeCluster({ migration: restarting(), pods: [pod()] });
  c.fail('createPod', apiError(503, 'etcd leader changed'));
  const err = await t.throwsAsync(pass(c, at(2)));
  t.regex(err.message, /cannot create the restored pod/);
  t.like(synced(c), { status: 'False', reason: 'RestoreFailed' });
  t.true(c.events.some((e) => e.reason === 'RestoreFailed' && e.type === 'Warning'));
  t.is(c.pods.size, 1);

  await pass(c, at(3));
  t.is(c.pods.size, 2);
  t.like(synced(c), { status: 'True' });
});

test('an AlreadyExists restored pod is success', async (t) => {
  const c = new FakeCluster({ migration: restarting(), pods: [pod(), target()] });
  await pass(c, at(2));
  t.like(synced(c), { status: 'True' });
  t.is(c.migration?.status?.phase, 'Restoring');
});

test('a pass that waits comes back no later than just after the deadline', async (t) => {
  const c = new FakeCluster({ migration: imaging(), pods: [pod()] });
  const result = await pass(c, at(595), { jobs: [job()] });
  t.is(c.migration?.status?.phase, 'Imaging');
  t.true(result !== undefined && result.requeueAfterMs! <= 5_100);
});

test('the deadline passed: Failed, one Warning Event, back in a day to check its TTL', async (t) => {
  const c = new FakeCluster({ migration: imaging(), pods: [pod()] });
  const result = await pass(c, at(601), { jobs: [job()] });
  t.is(c.migration?.status?.phase, 'Failed');
  t.deepEqual(
    c.events.map((e) => [e.type, e.reason]),
    [['Warning', 'DeadlineExceeded']],
  );
  // the TTL of a Failed Migration is a week: the pass comes back in a day (the timer's cap)
  t.like(result, { requeueAfterMs: 86_400_000 });
});

test('a source re-created under its name (409 on delete) is left alone: no SourceDeleted Event', async (t) => {
  const c = new FakeCluster({ migration: restarting(), pods: [pod(), target({ ready: true })] });
  c.fail('deletePod', apiError(409, 'Precondition failed: UID in precondition'));
  await pass(c, at(20), { labelled: [target({ ready: true })] });
  t.is(c.migration?.status?.phase, 'Done');
  t.false(c.events.some((e) => e.reason === 'SourceDeleted'));
  t.true(c.pods.has('ns/app'));
});

test('cutover deletes the source by uid and says so in the Succeeded Event', async (t) => {
  const c = new FakeCluster({ migration: restarting(), pods: [pod(), target({ ready: true })] });
  await pass(c, at(20), { labelled: [target({ ready: true })] });
  t.false(c.pods.has('ns/app'));
  t.deepEqual(
    c.events.map((e) => e.reason),
    ['Succeeded'],
  );
  t.regex(c.events[0]!.message ?? '', /; deleted source pod "app" \(/);
});

test('entering Done comes back shortly: that pass, with no pod read, asks to come back at the TTL', async (t) => {
  const c = new FakeCluster({ migration: restarting(), pods: [pod(), target({ ready: true })] });
  const labelled = [target({ ready: true })];
  t.like(await pass(c, at(20), { labelled }), { requeueAfterMs: config.pollMs });
  t.is(c.migration?.status?.phase, 'Done');
  const done = c.calls.length;
  const again = await pass(c, at(21), { labelled });
  t.deepEqual(c.calls.slice(done), [], 'nothing to write, nothing to read');
  const entered = Date.parse(c.migration!.status!.phaseTransitionTimestamps!.Done!);
  t.is(again?.requeueAfterMs, entered + 3600_000 - at(21).getTime());
});

test('a Migration gone: nothing but the read', async (t) => {
  const c = new FakeCluster();
  t.is(await pass(c, at(1)), undefined);
  t.deepEqual(c.calls, ['getMigration']);
});

test('a finished Migration deleted: the finalizer goes and the status write that follows meets 404 quietly', async (t) => {
  const done = m({ restorePolicy: 'restart' }, inPhase('Done'), { deletionTimestamp: at(30) });
  const c = new FakeCluster({ migration: done, pods: [target({ ready: true })] });
  t.is(await pass(c, at(31)), undefined);
  t.is(c.migration, undefined);
  t.true(c.calls.includes('patchMigration'));
});

test('a kubelet 404: SourcePodGone for a pod it no longer has, else CheckpointNotSupported', async (t) => {
  for (const [podGone, reason] of [
    [true, 'SourcePodGone'],
    [false, 'CheckpointNotSupported'],
  ] as const) {
    const c = new FakeCluster({ migration: m({}, inPhase('Checkpointing')), pods: [pod()] });
    const refused = new KubeletError(
      'cannot checkpoint …: kubelet answered 404',
      404,
      false,
      podGone,
    );
    await pass(c, at(10), {}, () => Promise.reject(refused));
    t.is(c.migration?.status?.phase, 'Failed', reason);
    t.is(c.migration?.status?.failureReason, reason);
  }
});
