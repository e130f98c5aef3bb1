import test from 'ava';
import type { Migration, MigrationPolicy } from '../../reconcilers/api/types.ts';
import { policyStatus, type PolicyObservation } from '../../reconcilers/policy/status.ts';

const now = new Date('2026-11-28T10:00:00Z');
const policy = (status?: MigrationPolicy['status']): MigrationPolicy =>
  ({ metadata: { name: 'hot', generation: 3 }, spec: {}, status }) as MigrationPolicy;
const migration = (created: string) =>
  ({ metadata: { creationTimestamp: created } }) as unknown as Migration;

test('counts the existing Migrations; lastTriggered is the newest and never moves back', (t) => {
  const cases: Array<[string, MigrationPolicy, string[], number, string | undefined]> = [
    ['none yet', policy(), [], 0, undefined],
    [
      'two',
      policy(),
      ['2026-11-28T09:00:00Z', '2026-11-28T09:30:00Z'],
      2,
      '2026-11-28T09:30:00.000Z',
    ],
    [
      'the newest was deleted',
      policy({ lastTriggered: '2026-11-28T09:45:00.000Z', migrationsCreated: 2 }),
      ['2026-11-28T09:00:00Z'],
      1,
      '2026-11-28T09:45:00.000Z',
    ],
  ];
  for (const [name, p, created, count, last] of cases) {
    const s = policyStatus(p, { migrations: created.map(migration), trigger: 'connected' }, now);
    t.is(s.migrationsCreated, count, name);
    t.is(s.lastTriggered, last, name);
    t.is(s.observedGeneration, 3, name);
  }
});

test('Ready says whether the trigger runs; its transition time moves only when it flips', (t) => {
  const first = policyStatus(policy(), { migrations: [], trigger: 'notRunning' }, now);
  const ready = first.conditions?.find((c) => c.type === 'Ready');
  t.like(ready, { status: 'False', reason: 'TriggerNotRunning', observedGeneration: 3 });
  const later = new Date(now.getTime() + 60_000);
  const same = policyStatus(policy(first), { migrations: [], trigger: 'notRunning' }, later);
  t.deepEqual(same.conditions, first.conditions);
  const flipped = policyStatus(policy(first), { migrations: [], trigger: 'connected' }, later);
  t.like(flipped.conditions?.[0], {
    status: 'True',
    reason: 'Active',
    lastTransitionTime: later.toISOString(),
  });
});

test('Ready follows the NATS connection, and is left alone while it settles', (t) => {
  const later = new Date(now.getTime() + 60_000);
  const observe = (p: MigrationPolicy, trigger: PolicyObservation['trigger'], at = later) =>
    policyStatus(p, { migrations: [], trigger }, at).conditions?.find((c) => c.type === 'Ready');

  const connecting = observe(policy(), 'settling', now);
  t.like(connecting, { status: 'Unknown', reason: 'Connecting' }, 'no Ready yet: Unknown');
  const active = policyStatus(policy(), { migrations: [], trigger: 'connected' }, now);
  t.deepEqual(observe(policy(active), 'settling'), active.conditions?.[0], 'a blip keeps Ready');
  t.like(observe(policy(active), 'unreachable'), {
    status: 'False',
    reason: 'NatsUnreachable',
    lastTransitionTime: later.toISOString(),
  });
});
