/**
 * The resilient informer against the real API server, through a TCP proxy that drops or
 * silently stalls its connections: the cache converges again after the outage, retries back
 * off instead of looping, and a silent watch is restarted by the watchdog. A transform shapes
 * every cached object, listed or watched.
 */
import test from 'ava';
import { pino, type Logger } from 'pino';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { Informer, type InformerOptions } from '../../reconcilers/runtime/informer.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import { testEnv } from '../env/info.ts';
import { adminKubeConfig } from '../env/service-account.ts';
import { sleep, waitFor } from '../env/wait.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const NS = `rt-informer-${Date.now().toString(36)}`;
const core = adminKubeConfig().makeApiClient(CoreV1Api);

/** The admin kubeconfig, pointed at the proxy (the serving certificate is for 127.0.0.1). */
function throughProxy(proxy: TcpProxy): KubeConfig {
  const kc = adminKubeConfig();
  const cluster = kc.getCurrentCluster()!;
  const clusters = kc.clusters.map((c) =>
    c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${proxy.port}` } : c,
  );
  kc.loadFromOptions({ ...kc, clusters, currentContext: kc.currentContext });
  return kc;
}

/** A TCP proxy to the API server, and an informer of this namespace's ConfigMaps through it. */
async function proxiedInformer(options: Omit<InformerOptions, 'path'>, log: Logger) {
  const proxy = await startTcpProxy(Number(new URL(testEnv().apiServer).port));
  const informer = new Informer<V1ConfigMap>(
    throughProxy(proxy),
    { path: `/api/v1/namespaces/${NS}/configmaps`, ...options },
    log,
  );
  return { proxy, informer };
}

/** A logger collecting the messages of its lines into `logs`. */
function capture(logs: string[]) {
  return pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line).msg) });
}

const configMap = (name: string) =>
  core.createNamespacedConfigMap({
    namespace: NS,
    body: { metadata: { name, labels: { drop: 'yes' } }, data: { a: '1' } },
  });

test.before(async () => {
  await core.createNamespace({ body: { metadata: { name: NS } } });
});

test.after.always(async () => {
  await core.deleteNamespace({ name: NS }).catch(() => {});
});

test('after connections drop and are refused, the cache converges and retries back off', async (t) => {
  t.timeout(60_000);
  const { proxy, informer } = await proxiedInformer(
    {
      labelSelector: 'drop=yes',
      backoff: { initialMs: 200, maxMs: 2000 },
    },
    silentLogger(),
  );
  const deleted: string[] = [];
  informer.on('delete', (cm) => deleted.push(cm.metadata!.name!));
  try {
    await configMap('before');
    informer.start();
    await informer.synced();
    t.truthy(informer.get('before', NS));

    proxy.drop();
    const attemptsBefore = proxy.attempts;
    await configMap('during');
    await core.deleteNamespacedConfigMap({ namespace: NS, name: 'before' });
    await sleep(5000);
    proxy.resume();
    await waitFor(
      'the cache to converge',
      () => !!informer.get('during', NS) && !informer.get('before', NS),
      20_000,
    );
    t.deepEqual(
      informer.list(NS).map((c) => c.metadata!.name),
      ['during'],
    );
    t.deepEqual(deleted, ['before'], 'the delete missed during the outage is delivered');
    // Retries during the 5 s outage are spaced 200, 400, 800, 1600, 2000 ms: no tight loop.
    const attempts = proxy.attempts - attemptsBefore;
    t.log(`${attempts} connection attempts during the 5 s outage`);
    t.true(attempts >= 2 && attempts <= 8, `${attempts} attempts`);

    await configMap('after');
    const after = await waitFor(
      'a live event after recovery',
      () => informer.get('after', NS),
      20_000,
    );
    // listed and watched objects are cached without managedFields (the API server sends them)
    t.is(informer.get('during', NS)?.metadata?.managedFields, undefined);
    t.is(after.metadata?.managedFields, undefined);
  } finally {
    await informer.stop();
    await proxy.close();
  }
});

test('a watch that goes silent is restarted by the watchdog', async (t) => {
  t.timeout(60_000);
  const logs: string[] = [];
  const { proxy, informer } = await proxiedInformer(
    {
      labelSelector: 'watchdog=yes',
      watchTimeoutSeconds: 60,
      watchdogMs: 2000,
      backoff: { initialMs: 100, maxMs: 500 },
    },
    capture(logs),
  );
  try {
    informer.start();
    await informer.synced();
    await sleep(500);
    proxy.stall();
    const stalledAt = Date.now();
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'silent', labels: { watchdog: 'yes' } } },
    });
    await waitFor(
      'the event after the watchdog restarts the watch',
      () => informer.get('silent', NS),
      20_000,
    );
    const tookMs = Date.now() - stalledAt;
    t.log(`seen ${tookMs} ms after the stall (watchdog 2000 ms)`);
    t.true(logs.includes('watch silent too long; restarting it'), logs.join('\n'));
    t.true(tookMs < 10_000, `${tookMs} ms`);
  } finally {
    await informer.stop();
    await proxy.close();
  }
});

test('a watch from a stale resourceVersion (410 Gone → relist) converges', async (t) => {
  t.timeout(60_000);
  const logs: string[] = [];
  const { proxy, informer } = await proxiedInformer(
    {
      labelSelector: 'gone=yes',
      backoff: { initialMs: 100, maxMs: 500 },
    },
    capture(logs),
  );
  const label = { gone: 'yes' };
  const added: string[] = [];
  const deleted: string[] = [];
  informer.on('add', (cm) => added.push(cm.metadata!.name!));
  informer.on('delete', (cm) => deleted.push(cm.metadata!.name!));
  try {
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'old', labels: label } },
    });
    informer.start();
    await informer.synced();
    proxy.drop();
    await core.deleteNamespacedConfigMap({ namespace: NS, name: 'old' });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'new', labels: label } },
    });
    // White box: make the informer resume from a resourceVersion the server may no longer
    // have, so that its next watch is answered 410 Gone (too old resource version).
    (informer as unknown as { resourceVersion: string }).resourceVersion = '1';
    proxy.resume();
    await waitFor(
      'the relist',
      () => !!informer.get('new', NS) && !informer.get('old', NS),
      20_000,
    );
    t.deepEqual(deleted, ['old']);
    t.deepEqual(added, ['old', 'new']);
    // Once etcd has compacted past it (every 5 min), the server answers 410 Expired ("too old
    // resource version") and the informer relists; before that it replays history from etcd.
    const expired = logs.includes('watch expired (410 Gone); relisting');
    t.log(expired ? 'answered 410 Gone: relisted' : 'not compacted yet: history replayed');
  } finally {
    await informer.stop();
    await proxy.close();
  }
});

test('a transform shapes what the cache keeps, listed and watched objects alike', async (t) => {
  // labelled apart: the other tests of this namespace list all its ConfigMaps
  const create = (name: string) =>
    core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name, labels: { shaped: 'yes' } }, data: { a: '1' } },
    });
  await create('listed');
  const informer = new Informer<V1ConfigMap>(
    adminKubeConfig(),
    {
      path: `/api/v1/namespaces/${NS}/configmaps`,
      labelSelector: 'shaped=yes',
      transform: (cm) => ({ metadata: { name: cm.metadata?.name, namespace: NS } }),
    },
    silentLogger(),
  );
  informer.start();
  try {
    await informer.synced();
    await create('watched');
    await waitFor('the watched ConfigMap cached', async () => informer.get('watched', NS));
    for (const name of ['listed', 'watched']) {
      t.deepEqual(informer.get(name, NS), { metadata: { name, namespace: NS } });
    }
  } finally {
    await informer.stop();
  }
});
