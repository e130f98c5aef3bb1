/**
 * The simulated kubelet against the real API server: authentication by TokenReview,
 * authorization by SubjectAccessReview, 404/500 answers and fault injection, and the archive
 * it writes. The kubelet runs in this test on a free port (same code the environment runs).
 */
import test from 'ava';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { scanCheckpointArchive } from '../../reconcilers/imager/archive.ts';
import { testEnv } from '../env/info.ts';
import { freePort } from '../env/process.ts';
import { adminKubeConfig, createNamespace } from '../env/service-account.ts';
import { startSimulatedKubelet, type SimulatedKubelet } from './kubelet.ts';

/** Unique per run, so that a rerun does not meet the previous run's namespace being deleted. */
const NS = `sim-kubelet-${Date.now().toString(36)}`;
const ROLE = NS;
const NODE = 'edge-1';
let kubelet: SimulatedKubelet;
let rootDir: string;
const tokens: Record<string, string> = {};

function post(
  path: string,
  token?: string,
  client?: { cert: Buffer; key: Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: kubelet.port,
        path,
        method: 'POST',
        ca: readFileSync(testEnv().caFile),
        headers: token ? { Authorization: `Bearer ${token}` } : {},
        ...client,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test.before(async () => {
  const env = testEnv();
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await createNamespace(NS);
  const pod = (name: string, node: string, annotations: Record<string, string> = {}) =>
    core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name, annotations },
        spec: { nodeName: node, containers: [{ name: 'app', image: 'example.com/app:1' }] },
      },
    });
  await pod('app', NODE, { 'sim.continuum.dev/checkpoint-size': '1Mi' });
  await pod('faulty', NODE, { 'sim.continuum.dev/checkpoint-fault': '500' });
  await pod('slow', NODE, { 'sim.continuum.dev/checkpoint-fault': 'delay=3s' });
  await pod('hanging', NODE, { 'sim.continuum.dev/checkpoint-fault': 'timeout' });
  await pod('elsewhere', 'edge-2');
  await rbac.createClusterRole({
    body: {
      metadata: { name: ROLE },
      rules: [{ apiGroups: [''], resources: ['nodes/checkpoint'], verbs: ['create'] }],
    },
  });
  for (const sa of ['checkpointer', 'nobody']) {
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: sa } } });
  }
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: ROLE },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: ROLE,
      },
      subjects: [{ kind: 'ServiceAccount', name: 'checkpointer', namespace: NS }],
    },
  });
  for (const sa of ['checkpointer', 'nobody']) {
    const tr = await core.createNamespacedServiceAccountToken({
      name: sa,
      namespace: NS,
      body: { spec: { expirationSeconds: 3600, audiences: [] } },
    });
    tokens[sa] = tr.status!.token;
  }
  rootDir = mkdtempSync(join(tmpdir(), 'sim-kubelet-'));
  kubelet = await startSimulatedKubelet({
    nodeName: NODE,
    port: await freePort(),
    rootDir,
    certFile: join(env.workDir, 'serving.crt'),
    keyFile: join(env.workDir, 'serving.key'),
    caFile: env.caFile,
    kc,
  });
});

test.after.always(async () => {
  await kubelet?.stop();
  if (rootDir) rmSync(rootDir, { recursive: true, force: true });
  const kc = adminKubeConfig();
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.deleteClusterRoleBinding({ name: ROLE }).catch(() => {});
  await rbac.deleteClusterRole({ name: ROLE }).catch(() => {});
  await kc
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: NS })
    .catch(() => {});
});

test('401 without a token and with an invalid token', async (t) => {
  t.is((await post(`/checkpoint/${NS}/app/app`)).status, 401);
  t.is((await post(`/checkpoint/${NS}/app/app`, 'not-a-token')).status, 401);
});

test('403 for a ServiceAccount without create nodes/checkpoint', async (t) => {
  const res = await post(`/checkpoint/${NS}/app/app`, tokens.nobody);
  t.is(res.status, 403);
  t.regex(
    res.body,
    new RegExp(
      `user=system:serviceaccount:${NS}:nobody, verb=create, resource=nodes, subresource=checkpoint`,
    ),
  );
});

test('200 with the grant: the archive is in the node checkpoint directory, CRI-O layout', async (t) => {
  const res = await post(`/checkpoint/${NS}/app/app?timeout=30`, tokens.checkpointer);
  t.is(res.status, 200, res.body);
  const { items } = JSON.parse(res.body) as { items: string[] };
  t.is(items.length, 1);
  t.regex(
    items[0]!,
    new RegExp(
      `^/var/lib/kubelet/checkpoints/checkpoint-app_${NS}-app-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\.tar$`,
    ),
  );
  const onDisk = join(rootDir, items[0]!);
  t.true(statSync(onDisk).size > 1024 * 1024, 'payload of the size annotation');
  const info = await scanCheckpointArchive(onDisk);
  t.truthy(info.metadata['config.dump']);
  t.truthy(info.metadata['spec.dump']);
});

test('404 for an unknown container, an unknown pod, a pod of another node', async (t) => {
  const c = await post(`/checkpoint/${NS}/app/nope`, tokens.checkpointer);
  t.is(c.status, 404);
  t.regex(c.body, /container nope does not exist/);
  t.is((await post(`/checkpoint/${NS}/ghost/app`, tokens.checkpointer)).status, 404);
  t.is((await post(`/checkpoint/${NS}/elsewhere/app`, tokens.checkpointer)).status, 404);
});

test('a client certificate of the CA authenticates (as the API server node proxy presents)', async (t) => {
  const user = adminKubeConfig().getCurrentUser()!;
  const client = { cert: readFileSync(user.certFile!), key: readFileSync(user.keyFile!) };
  const res = await post(`/checkpoint/${NS}/app/app`, undefined, client);
  t.is(res.status, 200, 'system:masters may create nodes/checkpoint');
});

test('500 by fault injection', async (t) => {
  const res = await post(`/checkpoint/${NS}/faulty/app`, tokens.checkpointer);
  t.is(res.status, 500);
  t.regex(res.body, new RegExp(`checkpointing of ${NS}/faulty/app failed`));
});

test('delay fault: succeeds after the delay, or fails when longer than the timeout', async (t) => {
  let started = Date.now();
  const late = await post(`/checkpoint/${NS}/slow/app?timeout=1`, tokens.checkpointer);
  t.is(late.status, 500);
  t.regex(late.body, /DeadlineExceeded/);
  t.true(Date.now() - started < 2500);
  started = Date.now();
  t.is((await post(`/checkpoint/${NS}/slow/app?timeout=10`, tokens.checkpointer)).status, 200);
  t.true(Date.now() - started >= 2900);
});

test('timeout fault: fails with DeadlineExceeded after the request timeout', async (t) => {
  const started = Date.now();
  const res = await post(`/checkpoint/${NS}/hanging/app?timeout=2`, tokens.checkpointer);
  const took = Date.now() - started;
  t.is(res.status, 500);
  t.regex(res.body, /DeadlineExceeded/);
  t.true(took >= 1900 && took < 4000, `took ${took} ms`);
});
