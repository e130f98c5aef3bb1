import test from 'ava';
import {
  byPrecedence,
  governingPolicy,
  matchesSelector,
  specificity,
} from '../../reconcilers/trigger/policy-match.ts';
import type { MigrationPolicy, MigrationPolicySelector } from '../../reconcilers/api/types.ts';

const policy = (name: string, selector: MigrationPolicySelector): MigrationPolicy => ({
  apiVersion: 'continuum.dev/v1alpha1',
  kind: 'MigrationPolicy',
  metadata: { name },
  spec: {
    selector,
    triggers: [{ metric: 'containerCPU', above: 90, for: '30s' }],
    restorePolicy: 'restart',
    cooldown: '5m',
    maxConcurrentPerNode: 1,
    maxUnavailablePerOwner: 1,
  },
});

const edge = { 'continuum.dev/layer': 'edge', zone: 'a' };
const subject = {
  podLabels: { app: 'web', tier: 'front' },
  namespaceLabels: { team: 'shop' },
  nodeLabels: edge,
};

test('label selector semantics', (t) => {
  const labels = { app: 'web', tier: 'front' };
  t.true(matchesSelector(undefined, labels));
  t.true(matchesSelector({}, labels));
  t.true(matchesSelector({ matchLabels: { app: 'web' } }, labels));
  t.false(matchesSelector({ matchLabels: { app: 'db' } }, labels));
  t.true(
    matchesSelector(
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
      labels,
    ),
  );
  t.false(
    matchesSelector(
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] },
      labels,
    ),
  );
  t.true(matchesSelector({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, labels));
  t.false(matchesSelector({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, labels));
});

test('specificity counts selector terms', (t) => {
  t.is(specificity(policy('a', {})), 0);
  t.is(
    specificity(
      policy('a', {
        nodeSelector: { zone: 'a' },
        namespaceSelector: { matchLabels: { team: 'shop' } },
        podSelector: {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'Exists' }],
        },
      }),
    ),
    4,
  );
});

test('the most specific covering policy wins; ties by name; non-covering ones never', (t) => {
  const all = [
    policy('zz-default', {}),
    policy('b-web', { podSelector: { matchLabels: { app: 'web' } } }),
    policy('a-shop', { namespaceSelector: { matchLabels: { team: 'shop' } } }),
    policy('c-db', {
      podSelector: {
        matchLabels: { app: 'db' },
        matchExpressions: [{ key: 'tier', operator: 'Exists' }],
      },
    }),
  ];
  t.is(governingPolicy(byPrecedence(all), subject)?.metadata.name, 'a-shop');
  t.is(governingPolicy(byPrecedence([all[0]!]), subject)?.metadata.name, 'zz-default');
});

test('an absent node selector covers edge nodes only', (t) => {
  const p = [policy('p', {})];
  t.truthy(governingPolicy(p, subject));
  t.is(
    governingPolicy(p, { ...subject, nodeLabels: { 'continuum.dev/layer': 'cloud' } }),
    undefined,
  );
  const zoned = [policy('z', { nodeSelector: { zone: 'b' } })];
  t.is(governingPolicy(zoned, subject), undefined);
});
