/**
 * Leader election between two real operator processes against the test environment's API
 * server: only one leads; when the leader is SIGKILLed the other takes over within 15 s; a
 * leader stopped by SIGTERM releases the Lease so the other takes over at once.
 */
import test from 'ava';
import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { installCrds } from '../api/install-crds.ts';
import { testEnv } from '../env/info.ts';
import { sleep, waitFor } from '../env/wait.ts';
import { startOperatorProcess, type OperatorProcess } from './operator-process.ts';

function clients() {
  const kc = new KubeConfig();
  kc.loadFromFile(testEnv().kubeconfig);
  return { core: kc.makeApiClient(CoreV1Api), leases: kc.makeApiClient(CoordinationV1Api) };
}

async function holder(leases: CoordinationV1Api, namespace: string): Promise<string | undefined> {
  try {
    const lease = await leases.readNamespacedLease({ namespace, name: 'continuum-operator' });
    return lease.spec?.holderIdentity || undefined;
  } catch {
    return undefined;
  }
}

/** The Lease's holder when it is not `previous` (a probe for waitFor). */
async function holderOtherThan(
  leases: CoordinationV1Api,
  namespace: string,
  previous: string,
): Promise<string | false | undefined> {
  const h = await holder(leases, namespace);
  return h !== previous && h;
}

function describe(ops: Record<string, OperatorProcess>): string {
  return Object.entries(ops)
    .map(([id, o]) => `${id}:\n${o.logs.map((l) => JSON.stringify(l)).join('\n')}`)
    .join('\n');
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

async function withOperators(
  namespace: string,
  run: (ops: Record<string, OperatorProcess>) => Promise<void>,
): Promise<void> {
  const { core } = clients();
  await installCrds(testEnv().kubeconfig); // the controllers' informers watch the CRDs
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const args = (id: string) => [
    '--kubeconfig',
    testEnv().kubeconfig,
    '--namespace',
    namespace,
    '--identity',
    id,
  ];
  // Scoped to this namespace: they must not act on the Migrations or EdgeNodes of other tests.
  const env = { CONTINUUM_WATCH_NAMESPACE: namespace };
  const ops = {
    a: startOperatorProcess(args('a'), env),
    b: startOperatorProcess(args('b'), env),
  };
  try {
    await run(ops);
  } finally {
    await Promise.all(Object.values(ops).map((o) => o.kill('SIGKILL')));
    await core.deleteNamespace({ name: namespace });
  }
}

test('only one of two operators leads; after kill -9 the other takes over within 15 s', async (t) => {
  t.timeout(150_000);
  const namespace = 'rt-leader-kill';
  const { leases } = clients();
  await withOperators(namespace, async (ops) => {
    const first = await waitFor(
      'a leader',
      () => holder(leases, namespace),
      60_000,
      async () => describe(ops),
    );
    const leader = ops[first]!;
    const other = ops[first === 'a' ? 'b' : 'a']!;
    await leader.waitForLog('controllers running', 60_000);
    await sleep(3000); // both replicas have competed for a few rounds
    t.is(other.logs.filter((l) => l.msg === 'started leading').length, 0, 'the other never led');

    const [lp, op] = [await leader.port(), await other.port()];
    t.is((await get(lp, '/healthz')).status, 200);
    t.is((await get(lp, '/readyz')).status, 200);
    t.is((await get(op, '/readyz')).status, 200, 'a non-leader is ready');
    t.regex((await get(lp, '/metrics')).body, /^continuum_leader 1$/m);
    t.regex((await get(op, '/metrics')).body, /^continuum_leader 0$/m);

    const killedAt = Date.now();
    await leader.kill('SIGKILL');
    const next = await waitFor(
      'another leader',
      () => holderOtherThan(leases, namespace, first),
      20_000,
    );
    const takeoverMs = Date.now() - killedAt;
    t.log(`takeover after kill -9: ${(takeoverMs / 1000).toFixed(1)} s`);
    t.is(next, first === 'a' ? 'b' : 'a');
    t.true(takeoverMs < 15_000, `takeover took ${takeoverMs} ms`);
    await other.waitForLog('controllers running', 5_000);
    t.regex((await get(op, '/metrics')).body, /^continuum_leader 1$/m);
  });
});

test('a leader stopped by SIGTERM releases the Lease and the other takes over at once', async (t) => {
  t.timeout(150_000);
  const namespace = 'rt-leader-term';
  const { leases } = clients();
  await withOperators(namespace, async (ops) => {
    const first = await waitFor(
      'a leader',
      () => holder(leases, namespace),
      60_000,
      async () => describe(ops),
    );
    const leader = ops[first]!;
    await leader.waitForLog('controllers running', 60_000);
    const stoppedAt = Date.now();
    t.is(await leader.kill('SIGTERM'), 0, 'graceful exit code');
    t.truthy(leader.logs.find((l) => l.msg === 'released the leader lease'));
    const next = await waitFor(
      'another leader',
      () => holderOtherThan(leases, namespace, first),
      20_000,
    );
    const takeoverMs = Date.now() - stoppedAt;
    t.log(`takeover after SIGTERM: ${(takeoverMs / 1000).toFixed(1)} s`);
    t.is(next, first === 'a' ? 'b' : 'a');
    t.true(takeoverMs < 5_000, `takeover took ${takeoverMs} ms`);
  });
});
