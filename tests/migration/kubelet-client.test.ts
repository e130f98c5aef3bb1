/**
 * The kubelet client against the simulated kubelet (real TokenReview/SubjectAccessReview,
 * TLS with the environment's CA), direct with the operator's ServiceAccount token, and the
 * refusals a kubelet gives. (The node-proxy mode is tested end to end in e2e-proxy.test.ts.)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { KubeletError, createKubeletClient } from '../../reconcilers/kubelet/client.ts';
import { testEnv } from '../env/info.ts';
import { adminKubeConfig, serviceAccountKubeconfig } from '../env/service-account.ts';
import { harness, type Harness } from './harness.ts';

let h: Harness & { operatorKubeconfig: string };
let node: V1Node;
const loadKc = (path: string) => {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
};

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-kubelet-client');
  node = await adminKubeConfig().makeApiClient(CoreV1Api).readNode({ name: 'edge-1' });
  const fault = 'sim.continuum.dev/checkpoint-fault';
  await Promise.all([
    h.createPod('app'),
    h.createPod('broken', { annotations: { [fault]: '500' } }),
    h.createPod('sluggish', { annotations: { [fault]: 'delay=10s' } }),
  ]);
});

test.after.always(async () => {
  await h?.cleanup();
});

/** The rejection of a checkpoint, as a KubeletError. */
async function refusal(p: Promise<string>): Promise<KubeletError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof KubeletError))
    throw new Error(`expected a KubeletError, got ${String(err)}`);
  return err;
}

test('direct, with the operator token: the archive is written on the node', async (t) => {
  const client = createKubeletClient({
    kubeConfig: loadKc(h.operatorKubeconfig),
    caFile: testEnv().caFile,
  });
  const path = await client.checkpoint(node, h.namespace, 'app', 'worker', 10);
  t.regex(
    path,
    /^\/var\/lib\/kubelet\/checkpoints\/checkpoint-app_mig-kubelet-client-worker-.*\.tar$/,
  );
  const root = testEnv().nodes.find((n) => n.name === 'edge-1')!.rootDir;
  t.true(existsSync(join(root, path)));
});

test('a token without create nodes/checkpoint gets 403, permanent', async (t) => {
  const kc = loadKc(await serviceAccountKubeconfig(h.namespace, 'nobody'));
  const err = await refusal(
    createKubeletClient({ kubeConfig: kc, caFile: testEnv().caFile }).checkpoint(
      node,
      h.namespace,
      'app',
      'worker',
      10,
    ),
  );
  t.is(err.status, 403);
  t.false(err.transient);
});

test('an unknown container gets 404, permanent', async (t) => {
  const client = createKubeletClient({
    kubeConfig: loadKc(h.operatorKubeconfig),
    caFile: testEnv().caFile,
  });
  const err = await refusal(client.checkpoint(node, h.namespace, 'app', 'nope', 10));
  t.is(err.status, 404);
  t.false(err.transient);
  t.false(err.podGone, 'the pod is there');
  t.regex(
    err.message,
    /^cannot checkpoint container "nope" of pod "mig-kubelet-client\/app" on node "edge-1": kubelet answered 404/,
  );
});

test('a pod the kubelet no longer has gets 404 "pod does not exist": podGone', async (t) => {
  const client = createKubeletClient({
    kubeConfig: loadKc(h.operatorKubeconfig),
    caFile: testEnv().caFile,
  });
  const err = await refusal(client.checkpoint(node, h.namespace, 'ghost', 'worker', 10));
  t.is(err.status, 404);
  t.true(err.podGone);
});

test('a runtime failure gets 500, transient', async (t) => {
  const client = createKubeletClient({
    kubeConfig: loadKc(h.operatorKubeconfig),
    caFile: testEnv().caFile,
  });
  const err = await refusal(client.checkpoint(node, h.namespace, 'broken', 'worker', 10));
  t.is(err.status, 500);
  t.true(err.transient);
});

test('a kubelet slower than the timeout: transient, bounded in time', async (t) => {
  const client = createKubeletClient({
    kubeConfig: loadKc(h.operatorKubeconfig),
    caFile: testEnv().caFile,
    marginMs: 500,
  });
  const started = Date.now();
  const err = await refusal(client.checkpoint(node, h.namespace, 'sluggish', 'worker', 1));
  t.true(err.transient);
  t.true(Date.now() - started < 8000, `gave up after ${Date.now() - started} ms`);
});

test('a kubelet certificate from another CA is refused, permanently', async (t) => {
  const client = createKubeletClient({
    kubeConfig: loadKc(h.operatorKubeconfig),
    caFile: '/etc/ssl/certs/ca-certificates.crt',
  });
  const err = await refusal(client.checkpoint(node, h.namespace, 'app', 'worker', 10));
  t.is(err.status, undefined);
  t.false(err.transient);
});
