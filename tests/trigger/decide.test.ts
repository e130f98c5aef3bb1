import test from 'ava';
import {
  decideTrigger,
  migrationName,
  NODE_LABEL,
  OWNER_UID_LABEL,
  POD_UID_LABEL,
  POLICY_LABEL,
  type ExistingMigration,
  type TriggerWindow,
} from '../../reconcilers/trigger/decide.ts';
import { MetricSeries } from '../../reconcilers/trigger/series.ts';
import {
  KEEP_UNTIL_ANNOTATION,
  type MetricName,
  type MigrationPolicy,
} from '../../reconcilers/api/types.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const pod = { namespace: 'shop', name: 'web-0', uid: 'uid-1' };

const policy: MigrationPolicy = {
  apiVersion: 'continuum.dev/v1alpha1',
  kind: 'MigrationPolicy',
  metadata: { name: 'hot' },
  spec: {
    selector: {},
    triggers: [{ metric: 'containerCPU', above: 90, for: '3s' }],
    restorePolicy: 'checkpoint',
    target: { nodeSelector: { 'continuum.dev/layer': 'cloud' } },
    cooldown: '1m',
    maxConcurrentPerNode: 1,
    maxUnavailablePerOwner: 1,
  },
};

/** A window fed one sample per second from T0 with these values. */
function windowOf(
  values: Partial<Record<MetricName, number[]>>,
  migrations: ExistingMigration[] = [],
): TriggerWindow {
  const windows: TriggerWindow['windows'] = {};
  for (const [metric, vs] of Object.entries(values)) {
    const s = new MetricSeries(60_000, 2500);
    vs.forEach((value, i) => s.add({ t: T0 + i * 1000, value, source: 'app' }));
    windows[metric as MetricName] = s;
  }
  return { pod, node: 'edge-1', windows, migrations };
}

const existing = (over: Partial<ExistingMigration>): ExistingMigration => ({
  name: 'm',
  namespace: 'shop',
  podName: 'web-0',
  labels: { [POLICY_LABEL]: 'hot', [NODE_LABEL]: 'edge-1', [POD_UID_LABEL]: 'uid-1' },
  createdMs: T0 - 600_000,
  phase: 'Done',
  ...over,
});

const now = T0 + 10_000;

const cases: [string, TriggerWindow, string | null][] = [
  [
    'breach held for the window fires',
    windowOf({ containerCPU: [95, 96, 97, 98] }),
    migrationName('web-0', 'uid-1', 'hot', 0),
  ],
  ['breach shorter than the window does not', windowOf({ containerCPU: [95, 96, 97] }), null],
  ['one sample at the threshold breaks it', windowOf({ containerCPU: [95, 90, 97, 98] }), null],
  [
    'an earlier dip outside the window does not matter',
    windowOf({ containerCPU: [10, 95, 96, 97, 98] }),
    migrationName('web-0', 'uid-1', 'hot', 0),
  ],
  ['another metric does not fire this trigger', windowOf({ nodeCPU: [99, 99, 99, 99] }), null],
  ['no data, no decision', windowOf({}), null],
  [
    'an unfinished Migration of the pod blocks (even a manual one)',
    windowOf({ containerCPU: [95, 96, 97, 98] }, [existing({ labels: {}, phase: 'Imaging' })]),
    null,
  ],
  [
    'cooldown since the last Migration of this pod by this policy blocks',
    windowOf({ containerCPU: [95, 96, 97, 98] }, [
      existing({ createdMs: now - 30_000, phase: 'Failed' }),
    ]),
    null,
  ],
  [
    'after the cooldown, a new breach gets the next name',
    windowOf({ containerCPU: [95, 96, 97, 98] }, [
      existing({ createdMs: now - 61_000, phase: 'Failed' }),
    ]),
    migrationName('web-0', 'uid-1', 'hot', now - 61_000),
  ],
  [
    'the node concurrency limit blocks',
    windowOf({ containerCPU: [95, 96, 97, 98] }, [
      existing({
        namespace: 'other',
        podName: 'x',
        phase: 'Pending',
        labels: { [POLICY_LABEL]: 'hot', [NODE_LABEL]: 'edge-1', [POD_UID_LABEL]: 'uid-2' },
      }),
    ]),
    null,
  ],
  [
    'Migrations of other nodes do not count against the limit',
    windowOf({ containerCPU: [95, 96, 97, 98] }, [
      existing({
        namespace: 'other',
        podName: 'x',
        phase: 'Pending',
        labels: { [POLICY_LABEL]: 'hot', [NODE_LABEL]: 'edge-2', [POD_UID_LABEL]: 'uid-2' },
      }),
    ]),
    migrationName('web-0', 'uid-1', 'hot', 0),
  ],
];

for (const [title, window, name] of cases) {
  test(`decideTrigger: ${title}`, (t) => {
    t.is(decideTrigger(window, policy, now)?.metadata.name ?? null, name);
  });
}

test('the draft carries policyRef, the values that crossed, restorePolicy, target and labels', (t) => {
  const draft = decideTrigger(windowOf({ containerCPU: [95, 96.04, 97, 98] }), policy, now);
  t.deepEqual(draft, {
    metadata: {
      name: migrationName('web-0', 'uid-1', 'hot', 0),
      namespace: 'shop',
      labels: { [POLICY_LABEL]: 'hot', [NODE_LABEL]: 'edge-1', [POD_UID_LABEL]: 'uid-1' },
      annotations: { [KEEP_UNTIL_ANNOTATION]: new Date(now + 60_000).toISOString() },
    },
    spec: {
      podName: 'web-0',
      restorePolicy: 'checkpoint',
      target: { nodeSelector: { 'continuum.dev/layer': 'cloud' } },
      policyRef: { name: 'hot' },
      reason: 'containerCPU of container "app" above 90% for 3s: lowest 95%, latest 98%',
    },
  });
});

test('the policy TTL goes into the draft; a name never repeats one that exists, whatever went', (t) => {
  const p = { ...policy, spec: { ...policy.spec, ttlSecondsAfterFinished: 30 } };
  let existingOnes: ExistingMigration[] = [];
  const next = (at: number) => {
    const window = windowOf({ containerCPU: [95, 96, 97, 98] }, existingOnes);
    return decideTrigger(window, p, at)!;
  };
  t.is(next(now).spec.ttlSecondsAfterFinished, 30);
  // one Migration every 2 minutes (cooldown 1m); the TTL removes the oldest now and then
  for (let i = 0; i < 6; i++) {
    const at = now + i * 120_000;
    const name = next(at).metadata.name;
    t.false(
      existingOnes.some((m) => m.name === name),
      `step ${i}: ${name} is new`,
    );
    existingOnes.push(existing({ name, createdMs: at, phase: 'Done' }));
    if (i % 2 === 1) existingOnes = existingOnes.slice(1);
  }
});

test('node triggers name the node; for 0s fires on the first sample', (t) => {
  const p = {
    ...policy,
    spec: { ...policy.spec, triggers: [{ metric: 'nodeMemory' as const, above: 80, for: '0s' }] },
  };
  t.is(
    decideTrigger(windowOf({ nodeMemory: [85] }), p, now)?.spec.reason,
    'nodeMemory of node "edge-1" above 80% for 0s: lowest 85%, latest 85%',
  );
});

test('the same state always gives the same name; names are valid object names', (t) => {
  const a = decideTrigger(windowOf({ containerCPU: [95, 96, 97, 98] }), policy, now);
  const b = decideTrigger(windowOf({ containerCPU: [95, 96, 97, 98, 99] }), policy, now + 1000);
  t.is(a?.metadata.name, b?.metadata.name);
  const long = migrationName('a'.repeat(70), 'u', 'p', 0);
  t.true(long.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(long));
});

const owner = { kind: 'ReplicaSet', name: 'web-7d9f', uid: 'rs-uid' };
/** A hot pod of the ReplicaSet `owner`. */
const owned = (migrations: ExistingMigration[] = []): TriggerWindow => ({
  ...windowOf({ containerCPU: [95, 96, 97, 98] }, migrations),
  pod: { ...pod, owner },
});
/** A Migration of another pod of `owner` (`ownerUid`: recorded by the operator, any origin). */
const sibling = (
  phase: ExistingMigration['phase'],
  over: Partial<ExistingMigration> = {},
): ExistingMigration =>
  existing({
    name: `other-${phase}`,
    podName: 'web-1',
    phase,
    labels: { [POLICY_LABEL]: 'hot', [NODE_LABEL]: 'edge-2', [OWNER_UID_LABEL]: 'rs-uid' },
    ...over,
  });
const limited = (maxUnavailablePerOwner: number): MigrationPolicy => ({
  ...policy,
  spec: { ...policy.spec, maxUnavailablePerOwner },
});

const ownerCases: [string, MigrationPolicy, ExistingMigration[], boolean][] = [
  ['the first pod of an owner moves', policy, [], true],
  ['limit 1: another pod of it moving blocks', policy, [sibling('Restoring')], false],
  ['limit 1: its finished Migrations do not count', policy, [sibling('Done')], true],
  [
    'a manual Migration the operator recorded as of the owner counts too',
    policy,
    [sibling('Checkpointing', { labels: {}, ownerUid: 'rs-uid' })],
    false,
  ],
  [
    'Migrations of another owner do not count',
    policy,
    [sibling('Imaging', { labels: { [OWNER_UID_LABEL]: 'rs-other' } })],
    true,
  ],
  ['limit 2: one moving leaves room', limited(2), [sibling('Pending')], true],
  [
    'limit 2: two moving block',
    limited(2),
    [sibling('Pending'), sibling('Imaging', { ownerUid: 'rs-uid', labels: {} })],
    false,
  ],
  [
    'limit 2: a finished one and one moving leave room',
    limited(2),
    [sibling('Failed'), sibling('Restoring')],
    true,
  ],
];

for (const [title, p, migrations, fires] of ownerCases) {
  test(`decideTrigger, per owner: ${title}`, (t) => {
    t.is(decideTrigger(owned(migrations), p, now) !== null, fires);
  });
}

test('a ReplicaSet pod: named in the reason, labelled with its owner, given the limit', (t) => {
  const draft = decideTrigger(owned([sibling('Checkpointing')]), limited(3), now);
  t.regex(draft?.spec.reason ?? '', /\(a pod of ReplicaSet "web-7d9f"\)$/);
  t.is(draft?.metadata.labels[OWNER_UID_LABEL], 'rs-uid');
  t.is(draft?.spec.maxUnavailablePerOwner, 3);
});

test('a pod without an owner: no limit, whatever moves', (t) => {
  const window = windowOf({ containerCPU: [95, 96, 97, 98] }, [sibling('Restoring')]);
  const draft = decideTrigger(window, policy, now);
  t.truthy(draft);
  t.is(draft?.spec.maxUnavailablePerOwner, undefined);
});

test('a pod the operator would refuse is left alone: another controller, a volume that stays', (t) => {
  const hot = windowOf({ containerCPU: [95, 96, 97, 98] });
  const job = { ...hot, pod: { ...pod, owner: { kind: 'Job', name: 'batch', uid: 'j' } } };
  t.is(decideTrigger(job, policy, now), null);
  t.is(decideTrigger({ ...hot, pod: { ...pod, volumeStays: true } }, policy, now), null);
  const set = { ...hot, pod: { ...pod, owner: { kind: 'StatefulSet', name: 'db', uid: 'ss' } } };
  t.regex(decideTrigger(set, policy, now)?.spec.reason ?? '', /\(a pod of StatefulSet "db"\)$/);
});
