/**
 * GIVEN a Migration Imaging its recorded archives
 * WHEN decide runs
 * THEN the imaging Job is created once, pinned to the source node with the archive directory, the
 *   push Secret and the registry CA, sweeping the unrecorded archives first; the digest it reports
 *   is recorded once the registry confirms it (on to Restoring); a Job that gives up, a digest the
 *   registry lacks or no repository fails the Migration, the source untouched.
 */
import test from 'ava';
import { decide } from '../../reconcilers/migration/decide.ts';
import {
  ARCHIVE,
  DIGEST,
  IMAGE,
  REPO,
  archive,
  at,
  config,
  inPhase,
  job,
  jobPod,
  migration as m,
  observed,
} from './fixtures.ts';
import { testRows } from './decide-table.ts';

testRows([
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
      images: { app: { ref: IMAGE, found: true } },
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
      images: { app: { ref: IMAGE, found: false, unreachable: 'ECONNREFUSED' } },
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
      images: { app: { ref: IMAGE, found: false } },
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
]);

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
