/**
 * GIVEN a Deployment of 3 replicas on the kwok edge nodes (the real ReplicaSet and Deployment
 *   controllers of kube-controller-manager)
 * WHEN one of its pods is migrated (restart, then checkpoint through the simulated kubelet), and
 *   Migrations fail while checkpointing (the kubelet answers 500) and while restoring (the
 *   restored pod never scheduled)
 * THEN the ReplicaSet owns the restored pod on cloud-1 and removed the source: 3 pods, all the
 *   ReplicaSet's, never more than 4 at once; the Deployment never rolls out (one ReplicaSet,
 *   the same generation); the failed one leaves the 3 pods of the ReplicaSet and no orphan.
 */
import test, { type ExecutionContext } from 'ava';
import { AppsV1Api, type V1Pod } from '@kubernetes/client-node';
import { sleep, waitFor } from '../env/wait.ts';
import { PULL_SECRET, PUSH_SECRET, harness, isPhase, type Harness } from './harness.ts';

let h: Harness;
const REPLICAS = 3;

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-deployment');
  h.startOperator();
  await h.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: h.namespace,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            nodeSelector: { 'continuum.dev/layer': 'edge' },
            containers: [{ name: 'worker', image: 'busybox:1.36' }],
          },
        },
      },
    },
  });
  await waitFor('3 pods of web Running', async () => (await live()).length === REPLICAS, 120_000);
});

test.after.always(async () => {
  await h?.cleanup();
});

/** The pods of the namespace not being deleted (imaging pods excepted). */
async function live(): Promise<V1Pod[]> {
  return (await h.pods()).filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      !p.metadata?.labels?.['job-name'] &&
      p.status?.phase === 'Running',
  );
}

async function webState() {
  const apps = h.kc.makeApiClient(AppsV1Api);
  const deployment = await apps.readNamespacedDeployment({ namespace: h.namespace, name: 'web' });
  const sets = await apps.listNamespacedReplicaSet({ namespace: h.namespace });
  return { deployment, sets: sets.items };
}

/**
 * Counts the namespace's pods (Job pods left out) every 200 ms until `stop`, which resolves to
 * the most seen, or rejects with the error of a failed read (kept until then, so that it fails
 * the test instead of the run as an unhandled rejection). `stop` may be called again.
 */
function countPods(): { stop(): Promise<number> } {
  let most = 0;
  let running = true;
  const failure = (async () => {
    for (; running; await sleep(200)) {
      const pods = await h.pods();
      most = Math.max(most, pods.filter((p) => !p.metadata?.labels?.['job-name']).length);
    }
  })().then(
    () => undefined,
    (err: unknown) => ({ err }),
  );
  return {
    async stop() {
      running = false;
      const failed = await failure;
      if (failed) throw failed.err;
      return most;
    },
  };
}

/** Migrates one edge pod of web to its end, counting the pods of the namespace meanwhile. */
async function move(name: string, spec: object) {
  const [source] = (await live()).filter((p) => p.spec?.nodeName?.startsWith('edge-'));
  const counting = countPods();
  try {
    await h.createMigration(name, { podName: source!.metadata!.name!, ...spec });
    const m = await h.waitForMigration(name, isPhase('Done', 'Failed'), 240_000);
    return { m, source: source!, most: await counting.stop() };
  } finally {
    await counting.stop().catch(() => {}); // after a failure above: only ends the counting
  }
}

async function assertThreeOwned(t: ExecutionContext) {
  const { deployment, sets } = await webState();
  t.is(sets.length, 1, 'one ReplicaSet: nothing rolled out');
  t.is(deployment.metadata?.generation, 1, 'the Deployment was never changed');
  const pods = await waitFor('3 pods, none being deleted', async () => {
    const all = (await h.pods()).filter((p) => !p.metadata?.labels?.['job-name']);
    return all.length === REPLICAS && all.every((p) => !p.metadata?.deletionTimestamp) && all;
  });
  for (const p of pods) {
    t.is(
      p.metadata?.ownerReferences?.[0]?.uid,
      sets[0]!.metadata?.uid,
      `${p.metadata?.name} is the ReplicaSet's`,
    );
  }
  return pods;
}

test.serial(
  'restart: the ReplicaSet adopts the pod on cloud-1 and removes the source',
  async (t) => {
    t.timeout(300_000);
    const { m, source, most } = await move('move-restart', {
      restorePolicy: 'restart',
      target: { nodeName: 'cloud-1' },
    });
    t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
    t.like(m.status?.owner, {
      kind: 'ReplicaSet',
      podTemplateHash: source.metadata?.labels?.['pod-template-hash'],
    });
    t.true(most <= REPLICAS + 1, `at most one extra pod (saw ${most})`);
    const pods = await assertThreeOwned(t);
    t.true(
      pods.some((p) => p.metadata?.name === m.status?.targetPod && p.spec?.nodeName === 'cloud-1'),
    );
    t.false(
      pods.some((p) => p.metadata?.uid === source.metadata?.uid),
      'the source is gone',
    );
  },
);

test.serial('checkpoint: the same, from the pushed checkpoint image', async (t) => {
  t.timeout(300_000);
  const { m, source, most } = await move('move-checkpoint', {
    restorePolicy: 'checkpoint',
    target: { nodeName: 'cloud-1' },
    image: {
      repository: h.repository,
      pushSecretRef: { name: PUSH_SECRET },
      pullSecretRef: { name: PULL_SECRET },
    },
  });
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.true(most <= REPLICAS + 1, `at most one extra pod (saw ${most})`);
  const pods = await assertThreeOwned(t);
  const restored = pods.find((p) => p.metadata?.name === m.status?.targetPod);
  t.is(restored?.spec?.containers[0]?.image, m.status?.image);
  t.false(
    pods.some((p) => p.metadata?.uid === source.metadata?.uid),
    'the source is gone',
  );
});

test.serial(
  'a restored pod no node takes: Failed at the deadline, the 3 pods of the ReplicaSet stay',
  async (t) => {
    t.timeout(300_000);
    const { m, source } = await move('move-nowhere', {
      restorePolicy: 'restart',
      target: { nodeSelector: { 'continuum.dev/layer': 'nowhere' } },
      timeoutSeconds: 15,
    });
    t.is(m.status?.failureReason, 'DeadlineExceeded');
    const pods = await assertThreeOwned(t);
    t.true(
      pods.some((p) => p.metadata?.uid === source.metadata?.uid),
      'the source stays',
    );
  },
);

test.serial(
  'a checkpoint the kubelet refuses: Failed, the ReplicaSet pods untouched, no orphan',
  async (t) => {
    t.timeout(300_000);
    const apps = h.kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: h.namespace,
      body: {
        metadata: { name: 'faulty' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'faulty' } },
          template: {
            metadata: {
              labels: { app: 'faulty' },
              annotations: { 'sim.continuum.dev/checkpoint-fault': '500' },
            },
            spec: {
              nodeSelector: { 'continuum.dev/layer': 'edge' },
              containers: [{ name: 'worker', image: 'busybox:1.36' }],
            },
          },
        },
      },
    });
    const ofFaulty = async () => (await live()).filter((p) => p.metadata?.labels?.app === 'faulty');
    const before = await waitFor('2 pods of faulty', async () => {
      const pods = await ofFaulty();
      return pods.length === 2 && pods;
    });
    await h.createMigration('move-faulty', {
      podName: before[0]!.metadata!.name!,
      restorePolicy: 'checkpoint',
      image: {
        repository: h.repository,
        pushSecretRef: { name: PUSH_SECRET },
        pullSecretRef: { name: PULL_SECRET },
      },
    });
    const m = await h.waitForMigration('move-faulty', isPhase('Done', 'Failed'), 240_000);
    t.is(m.status?.failureReason, 'CheckpointFailed');
    const after = (await h.pods()).filter((p) => p.metadata?.labels?.app === 'faulty');
    t.deepEqual(
      after.map((p) => p.metadata?.uid).sort(),
      before.map((p) => p.metadata?.uid).sort(),
      'the same 2 pods, nothing added or deleted',
    );
    t.true(
      after.every((p) => !p.metadata?.annotations?.['controller.kubernetes.io/pod-deletion-cost']),
    );
  },
);
