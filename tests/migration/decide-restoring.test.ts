/**
 * GIVEN a Migration Restoring (its checkpoint image recorded, or restart)
 * WHEN decide runs
 * THEN the restored pod is created with the checkpoint image, the pull Secret and its placement
 *   (spec.target, else the EdgeNode's cloudSelector, else the cloud layer); the source goes at
 *   cutover (AfterCheckpoint once the restored pod is scheduled, TargetReady and restart once it
 *   is Ready) and the Migration is Done once the restored pod is Ready; a pod of the same name not
 *   ours or a restored pod that fails fails it, rolled back while the source runs.
 */
import test from 'ava';
import type { Observed } from '../../reconcilers/migration/model.ts';
import { decide } from '../../reconcilers/migration/decide.ts';
import {
  IMAGE,
  archive,
  at,
  config,
  edgeNode,
  inPhase,
  job,
  migration as m,
  node,
  observed,
  pod,
  target,
} from './fixtures.ts';
import { testRows } from './decide-table.ts';

testRows([
  {
    name: 'AfterCheckpoint: restored pod created, the source kept until it is scheduled',
    given: observed(
      m({}, inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } })),
      { job: job({ complete: true }) },
    ),
    phase: 'Restoring',
    actions: ['createPod'],
  },
  {
    name: 'AfterCheckpoint: the restored pod is scheduled, the source goes',
    given: observed(
      m({}, inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } })),
      { targetPod: target() },
    ),
    phase: 'Restoring',
    actions: ['deletePod:cutover:app'],
    // its work after the checkpoint is lost anyway: it gets a second, not its grace period
    check: (t, d) => t.like(d.actions[0], { gracePeriodSeconds: 1 }),
  },
  {
    name: 'AfterCheckpoint: a restored pod no node takes keeps the source',
    given: observed(
      m({}, inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } })),
      { targetPod: target({ node: '' }) },
    ),
    phase: 'Restoring',
    actions: [],
  },
  {
    name: 'a Ready restored pod being deleted (drained) is not Ready: the source stays',
    given: observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), {
      targetPod: target({ ready: true, deleting: true }),
    }),
    phase: 'Restoring',
    actions: [],
  },
  {
    name: 'TargetReady: restored pod created, the source kept',
    given: observed(
      m(
        { cutover: 'TargetReady' },
        inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } }),
      ),
    ),
    phase: 'Restoring',
    actions: ['createPod'],
  },
  {
    name: 'TargetReady: the restored pod is Ready, the source goes, Done',
    given: observed(
      m(
        { cutover: 'TargetReady' },
        inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } }),
      ),
      { targetPod: target({ ready: true }) },
    ),
    phase: 'Done',
    actions: ['deletePod:cutover:app'],
  },
  {
    name: 'restart: the source waits for the restored pod',
    given: observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), { targetPod: target() }),
    phase: 'Restoring',
    actions: [],
  },
  {
    name: 'restart: never deletes the source before the restored pod exists',
    given: observed(m({ restorePolicy: 'restart' }, inPhase('Restoring'))),
    phase: 'Restoring',
    actions: ['createPod'],
  },
  {
    name: 'restart: the source goes with its own grace period once the restored pod is Ready',
    given: observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), {
      targetPod: target({ ready: true }),
    }),
    phase: 'Done',
    actions: ['deletePod:cutover:app'],
    check: (t, d) => t.like(d.actions[0], { gracePeriodSeconds: undefined }),
  },
  {
    name: 'resume: source already deleted, restored pod Ready → Done',
    given: observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), {
      pod: undefined,
      targetPod: target({ ready: true }),
    }),
    phase: 'Done',
    actions: [],
  },
  {
    name: 'resume: source deleted after checkpoint, restored pod starting',
    given: observed(
      m({}, inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } })),
      { pod: undefined, targetPod: target() },
    ),
    phase: 'Restoring',
    actions: [],
  },
  {
    name: 'resume: source being deleted, restored pod Ready → Done',
    given: observed(
      m({}, inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } })),
      { pod: pod({ deleting: true }), targetPod: target({ ready: true }) },
    ),
    phase: 'Done',
    actions: [],
  },
  {
    name: 'a pod of the same name not ours',
    given: observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), {
      targetPod: target({ foreign: true }),
    }),
    phase: 'Failed',
    reason: 'TargetPodConflict',
    actions: [],
  },
  {
    name: 'the restored pod fails: rolled back while the source runs',
    given: observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), {
      targetPod: target({ phase: 'Failed' }),
    }),
    phase: 'Failed',
    reason: 'TargetFailed',
    actions: ['deletePod:rollback:app-0f1e2d3c'],
  },
  {
    name: 'neither pod exists',
    given: observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), { pod: undefined }),
    phase: 'Failed',
    reason: 'SourcePodGone',
    actions: [],
  },
  {
    name: 'the source node may go once the image exists',
    given: observed(
      m({}, inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } })),
      { pod: undefined, node: undefined, targetPod: target({ ready: true }) },
    ),
    phase: 'Done',
    actions: [],
  },
]);

test('decide: the restored pod has the checkpoint image, the pull Secret and the cloud placement', (t) => {
  const mig = m(
    { image: { pullSecretRef: { name: 'pull' } } },
    inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } }),
  );
  const d = decide(observed(mig), at(10), config);
  const a = d.actions.find((x) => x.type === 'createPod');
  if (a?.type !== 'createPod') return t.fail('no createPod');
  const spec = a.pod.spec!;
  t.is(a.pod.metadata!.name, 'app-0f1e2d3c');
  t.is(spec.containers[0]!.image, IMAGE);
  t.deepEqual(spec.imagePullSecrets, [{ name: 'pull' }]);
  t.deepEqual(spec.nodeSelector, { 'continuum.dev/layer': 'cloud' });
  t.is(spec.nodeName, undefined);
  t.deepEqual(
    spec.volumes?.map((v) => v.name),
    ['config', 'continuum-tools'],
  );
  t.deepEqual(spec.containers[0]!.volumeMounts, []);
  // the kubelet pulls the original image (the checkpoint's base) with the pull Secrets first,
  // running `true` of the product image's static busybox (the original may have no shell)
  t.deepEqual(
    spec.initContainers?.map((c) => [c.name, c.image, c.command?.join(' ')]),
    [
      ['continuum-tools', config.imagerImage, '/bin/busybox cp /bin/busybox /continuum-tools/true'],
      ['continuum-base-app', 'docker.io/library/app:1', '/continuum-tools/true'],
    ],
  );
  t.is(
    a.pod.metadata!.annotations!['continuum.dev/source-images'],
    JSON.stringify({ app: 'docker.io/library/app:1' }),
  );
  t.is(a.pod.metadata!.labels!.app, 'demo');
  t.is(a.pod.metadata!.labels!['continuum.dev/migration'], 'mig');
  t.is(d.status.targetPod, 'app-0f1e2d3c');
});

test('decide: placement from spec.target, else the EdgeNode cloudSelector, else the cloud layer', (t) => {
  const restoring = inPhase('Restoring');
  const created = (o: Observed) => {
    const a = decide(o, at(10), config).actions.find((x) => x.type === 'createPod');
    return a?.type === 'createPod'
      ? { nodeName: a.pod.spec!.nodeName, nodeSelector: a.pod.spec!.nodeSelector }
      : undefined;
  };
  t.deepEqual(
    created(observed(m({ restorePolicy: 'restart', target: { nodeName: 'cloud-9' } }, restoring))),
    { nodeName: 'cloud-9', nodeSelector: undefined },
  );
  t.deepEqual(
    created(
      observed(m({ restorePolicy: 'restart', target: { nodeSelector: { zone: 'b' } } }, restoring)),
    ),
    { nodeName: undefined, nodeSelector: { zone: 'b' } },
  );
  const sites = [
    edgeNode('other', { site: 'x' }, { pool: 'x' }),
    edgeNode('site-a', { site: 'a' }, { pool: 'a' }),
  ];
  const o = observed(m({ restorePolicy: 'restart' }, restoring), {
    node: node('edge-1', { site: 'a' }),
    edgeNodes: sites,
  });
  t.deepEqual(created(o), { nodeName: undefined, nodeSelector: { pool: 'a' } });
  t.deepEqual(created(observed(m({ restorePolicy: 'restart' }, restoring))), {
    nodeName: undefined,
    nodeSelector: { 'continuum.dev/layer': 'cloud' },
  });
});
