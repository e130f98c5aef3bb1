/**
 * Table tests of decide: GIVEN the observed state and the time, THEN the phase, failure reason
 * and actions. Crash-resume rows give a phase with its intent partly carried out.
 */
import test, { type ExecutionContext } from 'ava';
import type { MigrationPhase } from '../../reconcilers/api/types.ts';
import { decide } from '../../reconcilers/migration/decide.ts';
import type {
  Action,
  Decision,
  MigrationConfig,
  Observed,
} from '../../reconcilers/migration/model.ts';
import {
  ARCHIVE,
  DIGEST,
  REPO,
  at,
  config,
  edgeNode,
  inPhase,
  job,
  jobPod,
  migration,
  node,
  observed,
  pod,
  target,
} from './fixtures.ts';

const archive = (container = 'app', image?: string) => ({
  container,
  path: ARCHIVE.replace('-app-', `-${container}-`),
  ...(image ? { image } : {}),
});
const IMAGE = `${REPO}@${DIGEST}`;

/** `type` or `type:detail` for each action, in order. */
function kinds(actions: Action[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'checkpoint':
        return `checkpoint:${a.container}`;
      case 'deletePod':
        return `deletePod:${a.why}:${a.name}`;
      default:
        return a.type;
    }
  });
}

interface Row {
  name: string;
  given: Observed;
  now?: Date;
  config?: MigrationConfig;
  phase: MigrationPhase;
  reason?: string;
  actions: string[];
  check?: (t: ExecutionContext, d: Decision) => void;
}

const m = migration;
const rows: Row[] = [
  // Pending
  {
    name: 'a new Migration gets the finalizer and starts checkpointing',
    given: observed(m({}, undefined, { finalizers: [] })),
    phase: 'Checkpointing',
    actions: ['addFinalizer'],
  },
  {
    name: 'restart skips checkpoint and imaging',
    given: observed(m({ restorePolicy: 'restart' })),
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
  // Checkpointing
  {
    name: 'one checkpoint per container',
    given: observed(m({}, inPhase('Checkpointing')), { pod: pod({ containers: ['app', 'side'] }) }),
    phase: 'Checkpointing',
    actions: ['checkpoint:app', 'checkpoint:side'],
  },
  {
    name: 'resume: a recorded archive is never checkpointed again',
    given: observed(
      m({}, inPhase('Checkpointing', { checkpoint: { archives: [archive('app')] } })),
      { pod: pod({ containers: ['app', 'side'] }) },
    ),
    phase: 'Checkpointing',
    actions: ['checkpoint:side'],
  },
  {
    name: 'spec.containers limits the checkpoints',
    given: observed(m({ containers: ['side'] }, inPhase('Checkpointing')), {
      pod: pod({ containers: ['app', 'side'] }),
    }),
    phase: 'Checkpointing',
    actions: ['checkpoint:side'],
  },
  {
    name: 'all archives recorded: on to Imaging',
    given: observed(m({}, inPhase('Checkpointing', { checkpoint: { archives: [archive()] } }))),
    phase: 'Imaging',
    actions: [],
  },
  {
    name: 'the source node disappears while checkpointing',
    given: observed(m({}, inPhase('Checkpointing')), { node: undefined }),
    phase: 'Failed',
    reason: 'SourceNodeGone',
    actions: [],
  },
  {
    name: 'the pod is deleted while checkpointing',
    given: observed(m({}, inPhase('Checkpointing')), { pod: undefined }),
    phase: 'Failed',
    reason: 'SourcePodGone',
    actions: [],
  },
  // Imaging
  {
    name: 'the imaging Job is created',
    given: observed(m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } }))),
    phase: 'Imaging',
    actions: ['createJob'],
  },
  {
    name: 'resume: an existing Job is not created again',
    given: observed(m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } })), {
      job: job(),
    }),
    phase: 'Imaging',
    actions: [],
  },
  {
    name: 'a failed imaging pod is retried by the Job',
    given: observed(m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } })), {
      job: job(),
      jobPods: [jobPod(4, 'registry unreachable')],
    }),
    phase: 'Imaging',
    actions: [],
  },
  {
    name: 'a reported digest the registry confirms is recorded',
    given: observed(m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } })), {
      job: job({ complete: true }),
      jobPods: [jobPod(0, DIGEST)],
      images: { [IMAGE]: { found: true } },
    }),
    phase: 'Restoring',
    actions: [],
    check: (t, d) => t.is(d.status.image, IMAGE),
  },
  {
    name: 'a digest the registry cannot be asked about is not recorded',
    given: observed(m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } })), {
      job: job({ complete: true }),
      jobPods: [jobPod(0, DIGEST)],
      images: { [IMAGE]: { found: false, unreachable: 'ECONNREFUSED' } },
    }),
    phase: 'Imaging',
    actions: [],
    check: (t, d) => {
      t.is(d.status.image, undefined);
      t.is(d.problem?.reason, 'RegistryUnreachable');
    },
  },
  {
    name: 'a digest the registry does not have fails',
    given: observed(m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } })), {
      job: job({ complete: true }),
      jobPods: [jobPod(0, DIGEST)],
      images: { [IMAGE]: { found: false } },
    }),
    phase: 'Failed',
    reason: 'ImageNotInRegistry',
    // the finished Job stays for its TTL, its logs with it
    actions: [],
  },
  {
    name: 'the Job gives up: Failed, the source untouched',
    given: observed(m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } })), {
      job: job({ failed: true }),
      jobPods: [jobPod(4, 'registry unreachable')],
    }),
    phase: 'Failed',
    reason: 'ImagingFailed',
    actions: [],
  },
  {
    name: 'resume: image already recorded, Job still there',
    given: observed(
      m({}, inPhase('Imaging', { image: IMAGE, checkpoint: { archives: [archive()] } })),
      { job: job({ complete: true }) },
    ),
    phase: 'Restoring',
    actions: [],
  },
  {
    name: 'no repository anywhere',
    given: observed(m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } }))),
    config: { ...config, defaultRepository: undefined },
    phase: 'Failed',
    reason: 'NoRepository',
    actions: [],
  },
  // Restoring
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
  // deadline
  {
    name: 'deadline in Imaging: Failed, Job removed, source untouched',
    now: at(600),
    given: observed(m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } })), {
      job: job(),
    }),
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    actions: ['deleteJob'],
  },
  {
    name: 'deadline with an unschedulable restored pod: rolled back, source untouched',
    now: at(601),
    given: observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), {
      targetPod: target({ node: '' }),
    }),
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    actions: ['deletePod:rollback:app-0f1e2d3c'],
  },
  {
    name: 'deadline after cutover: the restored pod is the workload and stays',
    now: at(601),
    given: observed(
      m({}, inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } })),
      { pod: undefined, targetPod: target() },
    ),
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    actions: [],
  },
  {
    name: 'the deadline is checked before anything else',
    now: at(700),
    given: observed(m(), { pod: undefined }),
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    actions: [],
  },
  // terminal
  {
    name: 'Done: the finished imaging Job stays (its TTL removes it)',
    given: observed(m({}, inPhase('Done')), {
      pod: undefined,
      job: job({ complete: true }),
      targetPod: target({ ready: true }),
    }),
    phase: 'Done',
    actions: [],
  },
  {
    name: 'Done while the cached Job does not say Complete yet: it stays too',
    given: observed(m({}, inPhase('Done')), {
      pod: undefined,
      job: job(),
      targetPod: target({ ready: true }),
    }),
    phase: 'Done',
    actions: [],
  },
  {
    name: 'Failed with the imaging Job still running: the Job goes',
    given: observed(
      m({}, { ...inPhase('Imaging'), phase: 'Failed', failureReason: 'DeadlineExceeded' }),
      { job: job() },
    ),
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    actions: ['deleteJob'],
  },
  {
    name: 'Failed stays Failed, nothing to do',
    given: observed(
      m({}, { ...inPhase('Imaging'), phase: 'Failed', failureReason: 'ImagingFailed' }),
    ),
    phase: 'Failed',
    reason: 'ImagingFailed',
    actions: [],
  },
  // deletion (finalizer)
  {
    name: 'deleted mid-Imaging: Job removed, archives reported, finalizer released',
    given: observed(
      m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } }), {
        deletionTimestamp: at(9),
      }),
      { job: job() },
    ),
    phase: 'Imaging',
    actions: ['deleteJob', 'createJob', 'removeFinalizer'],
  },
  {
    name: 'deleted after imaging finished: no archives left',
    given: observed(
      m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } }), {
        deletionTimestamp: at(9),
      }),
      { job: job({ complete: true }) },
    ),
    phase: 'Imaging',
    actions: ['deleteJob', 'removeFinalizer'],
  },
  {
    name: 'deleted mid-Restoring with the source running: restored pod rolled back',
    given: observed(
      m({ restorePolicy: 'restart' }, inPhase('Restoring'), { deletionTimestamp: at(9) }),
      { targetPod: target() },
    ),
    phase: 'Restoring',
    actions: ['deletePod:rollback:app-0f1e2d3c', 'removeFinalizer'],
  },
  {
    name: 'a Failed Migration deleted with an archive not imaged: cleanup Job',
    given: observed(
      m(
        {},
        { ...inPhase('Imaging', { checkpoint: { archives: [archive()] } }), phase: 'Failed' },
        { deletionTimestamp: at(9) },
      ),
    ),
    phase: 'Failed',
    actions: ['createJob', 'removeFinalizer'],
  },
  {
    name: 'deleted after its source node went: no cleanup Job (it could never run)',
    given: observed(
      m(
        {},
        { ...inPhase('Imaging', { checkpoint: { archives: [archive()] } }), phase: 'Failed' },
        { deletionTimestamp: at(9) },
      ),
      { node: undefined },
    ),
    phase: 'Failed',
    actions: ['removeFinalizer'],
  },
  {
    name: 'deleted when Done after a checkpoint: no cleanup Job, the restored pod stays',
    given: observed(
      m({}, inPhase('Done', { image: IMAGE, checkpoint: { archives: [archive()] } }), {
        deletionTimestamp: at(9),
      }),
      {
        pod: undefined,
        targetPod: target({ ready: true }),
      },
    ),
    phase: 'Done',
    actions: ['deleteImages', 'removeFinalizer'],
  },
  {
    name: 'deleted when Done: the restored pod stays',
    given: observed(m({}, inPhase('Done'), { deletionTimestamp: at(9) }), {
      pod: undefined,
      targetPod: target({ ready: true }),
    }),
    phase: 'Done',
    actions: ['removeFinalizer'],
  },
  {
    name: 'deleted, finalizer already gone: nothing',
    given: observed(m({}, inPhase('Done'), { deletionTimestamp: at(9), finalizers: [] }), {
      pod: undefined,
    }),
    phase: 'Done',
    actions: [],
  },
];

for (const row of rows) {
  test(`decide: ${row.name}`, (t) => {
    const before = structuredClone(row.given);
    const d = decide(row.given, row.now ?? at(10), row.config ?? config);
    t.is(d.status.phase, row.phase);
    t.is(d.status.failureReason, row.reason);
    t.deepEqual(kinds(d.actions), row.actions);
    row.check?.(t, d);
    t.deepEqual(row.given, before, 'decide never mutates what it observed');
  });
}

test('decide: the Job is pinned to the source node, mounts the archive directory and the push Secret', (t) => {
  const mig = m(
    { image: { pushSecretRef: { name: 'push' } } },
    inPhase('Imaging', { checkpoint: { archives: [archive()] } }),
  );
  const d = decide(observed(mig), at(10), config);
  const a = d.actions[0];
  if (a?.type !== 'createJob') return t.fail('no createJob');
  const spec = a.job.spec!.template.spec!;
  t.is(spec.nodeName, 'edge-1');
  t.is(spec.serviceAccountName, 'continuum-imager');
  t.is(a.job.spec!.backoffLimit, config.jobBackoffLimit);
  t.deepEqual(
    spec.volumes?.map((v) => v.hostPath?.path ?? v.secret?.secretName),
    ['/var/lib/kubelet/checkpoints', 'push'],
  );
  const args = spec.containers[0]!.args!;
  t.deepEqual(args.slice(0, 6), ['--archive', ARCHIVE, '--container', 'app', '--repository', REPO]);
  t.is(args[args.indexOf('--tag') + 1], '0f1e2d3c-app');
  t.is(args[args.indexOf('--docker-config') + 1], '/var/run/continuum/registry/config.json');
  t.is(a.job.metadata!.name, `imager-${mig.metadata.uid}`);
  t.deepEqual(
    a.job.spec!.podFailurePolicy?.rules[0]?.onExitCodes?.values,
    [2, 3, 5],
    'a permanent imager failure fails the Job at once',
  );
  t.is(spec.containers[0]!.env, undefined, 'no CA bundle configured, none passed');
});

test('decide: a registry CA bundle configured is passed to every imager as CONTINUUM_CA_PEM', (t) => {
  const mig = m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } }));
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const d = decide(observed(mig), at(10), { ...config, registryCaPem: pem });
  const a = d.actions[0];
  if (a?.type !== 'createJob') return t.fail('no createJob');
  t.deepEqual(a.job.spec!.template.spec!.containers[0]!.env, [
    { name: 'CONTINUUM_CA_PEM', value: pem },
  ]);
});

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

test('decide: conditions follow the phase, Done is Ready', (t) => {
  const d = decide(
    observed(
      m(
        { cutover: 'TargetReady' },
        inPhase('Restoring', { image: IMAGE, checkpoint: { archives: [archive()] } }),
      ),
      { targetPod: target({ ready: true }) },
    ),
    at(10),
    config,
  );
  const ready = d.status.conditions?.find((c) => c.type === 'Ready');
  t.like(ready, {
    status: 'True',
    reason: 'Succeeded',
    message: 'pod "app" runs as "app-0f1e2d3c" on node "cloud-1"',
  });
  t.like(
    d.status.conditions?.find((c) => c.type === 'Synced'),
    { status: 'True', reason: 'ReconcileSuccess' },
  );
  t.is(d.status.duration, '10s');
  t.is(d.status.phaseTransitionTimestamps?.Done, at(10).toISOString());
  t.is(d.status.targetNode, 'cloud-1');
});

test('decide: a pass over its own result changes nothing (status written only when it changed)', (t) => {
  const first = decide(
    observed(m({ restorePolicy: 'restart' }, inPhase('Restoring')), { targetPod: target() }),
    at(10),
    config,
  );
  const again = decide(
    observed(m({ restorePolicy: 'restart' }, first.status), { targetPod: target() }),
    at(20),
    config,
  );
  t.deepEqual(again.status, first.status);
  t.deepEqual(again.actions, []);
});

test('decide: a failure keeps its first timestamp and reason on later passes', (t) => {
  const failed = decide(observed(m(), { pod: undefined }), at(10), config);
  const later = decide(observed(m({}, failed.status), { pod: undefined }), at(50), config);
  t.deepEqual(later.status, failed.status);
  t.like(
    later.status.conditions?.find((c) => c.type === 'Ready'),
    { status: 'False', reason: 'PodNotFound', message: 'pod "app" does not exist' },
  );
});

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

test('decide: a Migration deleted mid-Imaging starts a Job that removes its archives on the node', (t) => {
  const mig = m({}, inPhase('Imaging', { checkpoint: { archives: [archive()] } }), {
    deletionTimestamp: at(9),
  });
  const a = decide(observed(mig, { job: job() }), at(10), config).actions.find(
    (x) => x.type === 'createJob',
  );
  if (a?.type !== 'createJob') return t.fail('no cleanup Job');
  const spec = a.job.spec!.template.spec!;
  t.is(a.job.metadata!.name, `cleanup-${mig.metadata.uid}`);
  t.is(a.job.metadata!.ownerReferences, undefined, 'outlives the Migration');
  t.is(spec.nodeName, 'edge-1');
  t.deepEqual(spec.containers[0]!.command, ['continuum', 'cleanup']);
  t.deepEqual(spec.containers[0]!.args, [
    ...['--archive', ARCHIVE, '--dir', '/var/lib/kubelet/checkpoints'],
    ...['--pod', 'app', '--namespace', 'ns', '--container', 'app'],
    ...['--since', at(1).toISOString(), '--until', at(2).toISOString()],
  ]);
  t.deepEqual(
    spec.volumes?.map((v) => v.hostPath?.path),
    ['/var/lib/kubelet/checkpoints'],
  );
});

test('decide: deleted while a checkpoint call was lost (nothing recorded): the cleanup Job sweeps the pod containers of the window', (t) => {
  const mig = m({}, inPhase('Checkpointing'), { deletionTimestamp: at(9) });
  const d = decide(observed(mig), at(10), config);
  const a = d.actions.find((x) => x.type === 'createJob');
  if (a?.type !== 'createJob') return t.fail('no cleanup Job');
  t.deepEqual(a.job.spec!.template.spec!.containers[0]!.args, [
    ...['--dir', '/var/lib/kubelet/checkpoints', '--pod', 'app', '--namespace', 'ns'],
    ...['--container', 'app', '--since', at(1).toISOString(), '--until', at(10).toISOString()],
  ]);
  t.is(a.job.spec!.template.spec!.volumes?.[0]?.hostPath?.type, 'DirectoryOrCreate');
});

test('decide: a Migration that failed while checkpointing sweeps only up to its failure when deleted', (t) => {
  const failed = {
    ...inPhase('Checkpointing'),
    phase: 'Failed' as const,
    phaseTransitionTimestamps: {
      ...inPhase('Checkpointing').phaseTransitionTimestamps,
      Failed: at(4).toISOString(),
    },
  };
  const d = decide(observed(m({}, failed, { deletionTimestamp: at(9) })), at(60), config);
  const a = d.actions.find((x) => x.type === 'createJob');
  if (a?.type !== 'createJob') return t.fail('no cleanup Job');
  const args = a.job.spec!.template.spec!.containers[0]!.args!;
  t.is(args[args.indexOf('--until') + 1], at(4).toISOString());
});

test('decide: the imaging Job first sweeps the unrecorded archives of every checkpointed container', (t) => {
  const archives = [archive('app'), archive('sidecar')];
  const mig = m({}, inPhase('Imaging', { checkpoint: { archives } }));
  const a = decide(observed(mig), at(10), config).actions[0];
  if (a?.type !== 'createJob') return t.fail('no createJob');
  const spec = a.job.spec!.template.spec!;
  t.deepEqual(
    spec.containers.map((c) => c.name),
    ['app', 'sidecar'],
  );
  const sweep = spec.initContainers?.[0];
  t.is(sweep?.name, 'sweep-orphaned-archives');
  t.deepEqual(sweep?.command, ['continuum', 'cleanup']);
  t.deepEqual(sweep?.args, [
    ...['--dir', '/var/lib/kubelet/checkpoints', '--pod', 'app', '--namespace', 'ns'],
    ...['--container', 'app', '--container', 'sidecar'],
    ...['--since', at(1).toISOString(), '--until', at(2).toISOString()],
    ...['--keep', archives[0]!.path, '--keep', archives[1]!.path],
  ]);
  t.deepEqual(
    sweep?.volumeMounts?.map((v) => v.mountPath),
    ['/var/lib/kubelet/checkpoints'],
  );
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
