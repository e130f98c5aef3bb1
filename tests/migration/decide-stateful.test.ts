/**
 * GIVEN a pod of a StatefulSet, which keeps its name
 * WHEN it is migrated
 * THEN Pending records the StatefulSet unless it rolls out or the pod has a volume that stays on
 *   the node; Restoring deletes the source first, waits for the StatefulSet's re-creation, and is
 *   Done once that pod — restored by the webhook — is Ready; a re-creation the webhook did not
 *   restore fails the Migration (the workload runs afresh), and a restored pod that cannot run
 *   fails it and is deleted (the StatefulSet starts it afresh). The restore webhook patches only
 *   the re-creation of a pod whose Migration is Restoring.
 */
import test from 'ava';
import type { V1Pod, V1StatefulSet, V1Volume } from '@kubernetes/client-node';
import type { MigrationStatus } from '../../reconcilers/api/types.ts';
import { decide } from '../../reconcilers/migration/decide.ts';
import { MIGRATION_UID_ANNOTATION } from '../../reconcilers/migration/names.ts';
import { restorePatch } from '../../reconcilers/webhook/restore.ts';
import {
  ARCHIVE,
  IMAGE,
  UID,
  at,
  config,
  inPhase,
  migration,
  node,
  observed,
  pod,
} from './fixtures.ts';

const OWNER = { kind: 'StatefulSet' as const, name: 'rs-1', uid: 'rs' };
const NOW = at(30);
const set = (
  status: V1StatefulSet['status'] = { replicas: 2, currentRevision: 'r1', updateRevision: 'r1' },
): V1StatefulSet => ({
  metadata: { name: 'rs-1', uid: 'rs' },
  status,
});
const source = (volumes: V1Volume[] = []) => {
  const p = pod({ owner: 'StatefulSet' });
  p.spec!.volumes = [...(p.spec!.volumes ?? []), ...volumes];
  return p;
};
/** The pod the StatefulSet re-created: restored by the webhook (ours) or not. */
function recreated(opts: { ours?: boolean; ready?: boolean; phase?: string } = {}): V1Pod {
  const p = source();
  p.metadata!.uid = 'new-uid';
  if (opts.ours) p.metadata!.annotations = { [MIGRATION_UID_ANNOTATION]: UID };
  p.spec!.nodeName = 'cloud-1';
  p.status = {
    phase: opts.phase ?? 'Running',
    conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }],
  };
  return p;
}
const restoring = (extra: MigrationStatus = {}) =>
  migration(
    {},
    inPhase('Restoring', {
      owner: OWNER,
      sourcePodUID: 'pod-uid',
      image: IMAGE,
      checkpoint: { archives: [{ container: 'app', path: ARCHIVE, image: IMAGE }] },
      ...extra,
    }),
  );
const message = (s: MigrationStatus) =>
  s.conditions?.find((c) => c.type === 'Ready')?.message ?? '';

test('Pending records a settled StatefulSet', (t) => {
  const d = decide(
    observed(migration({ restorePolicy: 'restart' }), {
      pod: source(),
      owner: { statefulSet: set() },
    }),
    NOW,
    config,
  );
  t.is(d.status.phase, 'Restoring');
  t.deepEqual(d.status.owner, OWNER);
});

test('refused: a volume that stays on the node, a StatefulSet rolling out', (t) => {
  for (const [volume, kind] of [
    [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }, 'persistentVolumeClaim'],
    [{ name: 'scratch', emptyDir: {} }, 'emptyDir'],
    [{ name: 'host', hostPath: { path: '/srv' } }, 'hostPath'],
  ] as const) {
    const d = decide(
      observed(migration(), { pod: source([volume]), owner: { statefulSet: set() } }),
      NOW,
      config,
    );
    t.is(d.status.failureReason, 'VolumeNotMovable');
    t.regex(message(d.status), new RegExp(`volume "${volume.name}" \\(${kind}\\)`));
    t.deepEqual(d.actions, []);
  }
  const rolling = set({ replicas: 2, currentRevision: 'r1', updateRevision: 'r2' });
  const d = decide(
    observed(migration(), { pod: source(), owner: { statefulSet: rolling } }),
    NOW,
    config,
  );
  t.is(d.status.failureReason, 'OwnerRollingOut');
});

test('Restoring deletes the source first (a second for a checkpointed one)', (t) => {
  const d = decide(observed(restoring(), { pod: source() }), NOW, config);
  t.deepEqual(
    d.actions.map((a) =>
      a.type === 'deletePod' ? `${a.why}:${a.name}:${a.gracePeriodSeconds}` : a.type,
    ),
    ['cutover:app:1'],
  );
  t.is(d.status.targetPod, 'app');
});

test('no pod of the name for a while: waiting for the StatefulSet, not failing', (t) => {
  const d = decide(
    observed(restoring({ targetPod: 'app' }), { pod: undefined, targetPod: undefined }),
    NOW,
    config,
  );
  t.is(d.status.phase, 'Restoring');
  t.deepEqual(d.actions, []);
  t.is(d.requeueAfterMs, config.pollMs);
});

test('the restored re-creation Ready: Done', (t) => {
  const m = restoring({ targetPod: 'app' });
  const waiting = decide(
    observed(m, { pod: undefined, targetPod: recreated({ ours: true }) }),
    NOW,
    config,
  );
  t.is(waiting.status.phase, 'Restoring');
  const d = decide(
    observed(m, { pod: undefined, targetPod: recreated({ ours: true, ready: true }) }),
    NOW,
    config,
  );
  t.is(d.status.phase, 'Done');
  t.is(d.status.targetNode, 'cloud-1');
});

test('a re-creation the webhook did not restore is deleted once, at once, to be created again', (t) => {
  const d = decide(
    observed(restoring({ targetPod: 'app' }), { pod: undefined, targetPod: recreated() }),
    NOW,
    config,
  );
  t.is(d.status.phase, 'Restoring');
  t.is(d.status.interceptRetries, 1);
  t.like(d.actions, [
    { type: 'deletePod', name: 'app', uid: 'new-uid', why: 'reintercept', gracePeriodSeconds: 0 },
  ]);
  const going = recreated();
  going.metadata!.deletionTimestamp = NOW;
  const waiting = decide(
    observed(restoring({ targetPod: 'app', interceptRetries: 1 }), {
      pod: undefined,
      targetPod: going,
    }),
    NOW,
    config,
  );
  t.is(waiting.status.phase, 'Restoring');
  t.deepEqual(waiting.actions, []);
});

test('a second re-creation the webhook did not restore: Failed, the pod left running', (t) => {
  const d = decide(
    observed(restoring({ targetPod: 'app', interceptRetries: 1 }), {
      pod: undefined,
      targetPod: recreated(),
    }),
    NOW,
    config,
  );
  t.is(d.status.failureReason, 'RestoreNotIntercepted');
  t.regex(message(d.status), /twice without the restore/);
  t.deepEqual(d.actions, []);
});

test('a restored pod that cannot run: Failed, and deleted so the StatefulSet starts it afresh', (t) => {
  const d = decide(
    observed(restoring({ targetPod: 'app' }), {
      pod: undefined,
      targetPod: recreated({ ours: true, phase: 'Failed' }),
    }),
    NOW,
    config,
  );
  t.is(d.status.failureReason, 'TargetFailed');
  t.deepEqual(
    d.actions.map((a) => (a.type === 'deletePod' ? `${a.why}:${a.uid}` : a.type)),
    ['rollback:new-uid'],
  );
});

test('the webhook restores the re-creation of a Restoring Migration, and nothing else', (t) => {
  const incoming = source();
  incoming.spec!.nodeSelector = { 'continuum.dev/layer': 'edge' };
  delete incoming.spec!.nodeName;
  const facts = {
    pod: incoming,
    migrations: [restoring({ targetPod: 'app', targetNode: undefined })],
    sourceNode: node(),
    edgeNodes: [],
    restoreNodes: { nodes: [], wrapper: new Set<string>() },
    cfg: { ...config, defaultPullSecret: 'pull' },
  };
  facts.migrations[0]!.spec.target = { nodeName: 'cloud-1' };
  const patch = restorePatch(facts) as { op: string; path: string; value: never }[];
  const spec = patch.find((p) => p.path === '/spec')!.value as V1Pod['spec'];
  t.is(spec?.nodeName, 'cloud-1');
  t.is(spec?.nodeSelector, undefined);
  t.is(spec?.containers[0]?.image, IMAGE);
  t.true(
    spec?.volumes?.some((v) => v.name.startsWith('kube-api-access-')),
    'its own token volume stays',
  );
  t.true(spec?.initContainers?.some((c) => c.name === 'continuum-base-app'));
  t.like(patch.find((p) => p.path === '/metadata/annotations')!.value, {
    [MIGRATION_UID_ANNOTATION]: UID,
  });
  t.is(restorePatch({ ...facts, migrations: [restoring({ phase: 'Imaging' })] }), undefined);
  t.is(restorePatch({ ...facts, pod: pod({ owner: 'StatefulSet' }), migrations: [] }), undefined);
});
