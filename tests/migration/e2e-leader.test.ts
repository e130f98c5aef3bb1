/**
 * Leader election from the Migrations' side: two operators under the chart's ServiceAccount;
 * the leader is SIGKILLed while Migrations are in flight; the other takes the Lease over and
 * finishes every Migration. (The runtime's own tests cover the election itself.)
 */
import test from 'ava';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { OPERATOR_NAMESPACE } from '../../reconcilers/api/types.ts';
import { harness, isPhase, type Harness } from './harness.ts';
import { waitFor } from '../env/wait.ts';

let h: Harness;

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-leader');
});

test.after.always(async () => {
  await h?.cleanup();
});

test('the leader dies mid-migration: the other operator finishes the work', async (t) => {
  t.timeout(400_000);
  const names = ['lead-0', 'lead-1', 'lead-2'];
  await Promise.all(names.map((n) => h.createPod(n)));
  const leaderArgs = (id: string) => ({ args: ['--leader-elect', 'true', '--identity', id] });
  const ops = { a: h.startOperator(leaderArgs('a')), b: h.startOperator(leaderArgs('b')) };
  const leases = h.kc.makeApiClient(CoordinationV1Api);
  const holder = async () =>
    (
      await leases.readNamespacedLease({
        namespace: OPERATOR_NAMESPACE,
        name: 'continuum-operator',
      })
    ).spec?.holderIdentity || undefined;
  // a Lease an earlier test's operators held is taken over once it expires
  const ours = async () => {
    const id = await holder();
    return id === 'a' || id === 'b' ? id : undefined;
  };
  const first = await waitFor('a or b leading', ours, 60_000);
  const leader = ops[first];
  const other = ops[first === 'a' ? 'b' : 'a'];
  await leader.waitForLog('controllers running', 60_000);
  // the first Migration stays in flight (its target is unschedulable until the deadline)
  await h.createMigration('lead-0', {
    podName: 'lead-0',
    target: { nodeSelector: { 'continuum.dev/layer': 'nowhere' } },
    timeoutSeconds: 90,
  });
  await h.waitForMigration('lead-0', isPhase('Restoring'));
  await leader.kill('SIGKILL');
  const killedAt = Date.now();
  await h.createMigration('lead-1', { podName: 'lead-1' });
  await h.createMigration('lead-2', { podName: 'lead-2' });
  await waitFor(
    'the other leads',
    async () => ((await holder()) === (first === 'a' ? 'b' : 'a') ? true : undefined),
    60_000,
  );
  t.true(Date.now() - killedAt < 30_000, 'takeover within the Lease duration (plus load)');
  for (const n of ['lead-1', 'lead-2']) {
    const m = await h.waitForMigration(n, isPhase('Done', 'Failed'), 240_000);
    t.is(m.status?.phase, 'Done', `${n}: ${JSON.stringify(m.status)}`);
  }
  const m0 = await h.waitForMigration('lead-0', isPhase('Done', 'Failed'), 240_000);
  t.is(
    m0.status?.failureReason,
    'DeadlineExceeded',
    'the orphaned Migration is finished by the new leader',
  );
  t.true(
    other.logs.some((l) => l.migration === `${h.namespace}/lead-1` && l.to === 'Done'),
    'the survivor did the work',
  );
});
