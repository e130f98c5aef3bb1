/**
 * Crash safety: the operator is SIGKILLed at every phase boundary and in the middle of every
 * phase (one Migration per kill point, all in flight together) and restarted each time, for
 * bare pods and for pods of a Deployment (one replica each; also during the handover to the
 * ReplicaSet).
 * THEN every Migration ends Done, once; each has exactly one restored pod; no source pod went
 * before its checkpoint image was in the registry; each Deployment's ReplicaSet owns exactly its
 * restored pod; a restarted operator changes nothing more.
 */
import test from 'ava';
import { AppsV1Api, BatchV1Api } from '@kubernetes/client-node';
import {
  GROUP,
  MIGRATION_PHASES,
  MIGRATION_PLURAL,
  VERSION,
  type Migration,
  type MigrationPhase,
} from '../../reconcilers/api/types.ts';
import { imageExists } from '../../reconcilers/registry/client.ts';
import { testEnv } from '../env/info.ts';
import type { OperatorProcess } from '../runtime/operator-process.ts';
import { PULL_SECRET, PUSH_SECRET, harness, type Harness } from './harness.ts';
import { sleep, waitFor } from '../env/wait.ts';

interface KillPoint {
  migration: string;
  restorePolicy: 'checkpoint' | 'restart';
  /** Kill the operator in this phase (once `also` holds too), checked every 100 ms. */
  at: MigrationPhase;
  also?: (m: Migration, world: World) => boolean;
  /** Slow the kubelet down so that the kill lands while a checkpoint is in flight. */
  slowKubelet?: boolean;
  /** The source is the pod of a Deployment of one replica. */
  owned?: boolean;
}

type World = { jobs: Set<string>; pods: Set<string>; handedOver: Set<string> };

const jobRuns = (m: Migration, w: { jobs: Set<string> }) => w.jobs.has(m.metadata.name!);
const targetExists = (m: Migration, w: { pods: Set<string> }) =>
  w.pods.has(m.status?.targetPod ?? '');
const points: KillPoint[] = [
  { migration: 'c-enter-checkpointing', restorePolicy: 'checkpoint', at: 'Checkpointing' },
  {
    migration: 'c-mid-checkpointing',
    restorePolicy: 'checkpoint',
    at: 'Checkpointing',
    slowKubelet: true,
  },
  { migration: 'c-enter-imaging', restorePolicy: 'checkpoint', at: 'Imaging' },
  { migration: 'c-mid-imaging', restorePolicy: 'checkpoint', at: 'Imaging', also: jobRuns },
  { migration: 'c-enter-restoring', restorePolicy: 'checkpoint', at: 'Restoring' },
  {
    migration: 'c-mid-restoring',
    restorePolicy: 'checkpoint',
    at: 'Restoring',
    also: targetExists,
  },
  { migration: 'c-enter-done', restorePolicy: 'checkpoint', at: 'Done' },
  { migration: 'r-enter-restoring', restorePolicy: 'restart', at: 'Restoring' },
  { migration: 'r-mid-restoring', restorePolicy: 'restart', at: 'Restoring', also: targetExists },
  { migration: 'd-enter-imaging', restorePolicy: 'checkpoint', at: 'Imaging', owned: true },
  {
    migration: 'd-mid-restoring',
    restorePolicy: 'checkpoint',
    at: 'Restoring',
    also: targetExists,
    owned: true,
  },
  {
    migration: 'd-handover',
    restorePolicy: 'restart',
    at: 'Restoring',
    also: (m, w) => w.handedOver.has(m.status?.targetPod ?? ''),
    owned: true,
  },
  { migration: 'd-enter-done', restorePolicy: 'restart', at: 'Done', owned: true },
];

/** Where a Migration stands against its kill point: not there yet, on it, or past it unseen. */
function against(p: KillPoint, m: Migration, world: World) {
  const order = (phase?: string) => MIGRATION_PHASES.indexOf(phase as MigrationPhase);
  const now = order(m.status?.phase);
  if (now > order(p.at)) return 'past';
  return now === order(p.at) && (p.also?.(m, world) ?? true) ? 'on' : 'before';
}

let h: Harness;

/** A Deployment of one pod on `node`; resolves to that pod, once it runs. */
async function deploymentPod(name: string, node: string): Promise<{ name: string; uid: string }> {
  await h.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: h.namespace,
    body: {
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { nodeName: node, containers: [{ name: 'worker', image: 'busybox:1.36' }] },
        },
      },
    },
  });
  const pod = await waitFor(`the pod of ${name} running`, async () =>
    (await h.pods()).find((p) => p.metadata?.labels?.app === name && p.status?.phase === 'Running'),
  );
  return { name: pod.metadata!.name!, uid: pod.metadata!.uid! };
}

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-crash');
});

test.after.always(async () => {
  await h?.cleanup();
});

test('SIGKILL at every phase boundary and mid-phase: each Migration ends Done exactly once', async (t) => {
  t.timeout(600_000);
  const env = testEnv();
  const credentials = { username: env.registry.username, password: env.registry.password };
  const image = {
    repository: h.repository,
    pushSecretRef: { name: PUSH_SECRET },
    pullSecretRef: { name: PULL_SECRET },
    retain: true, // read back below after the source goes
  };
  const sources = new Map<string, { name: string; uid: string }>();
  await Promise.all(
    points.map(async (p, i) => {
      const node = i % 2 ? 'edge-2' : 'edge-1';
      if (p.owned) {
        sources.set(p.migration, await deploymentPod(`dep-${i}`, node));
        return;
      }
      const annotations = p.slowKubelet
        ? { 'sim.continuum.dev/checkpoint-fault': 'delay=2s' }
        : undefined;
      const pod = await h.createPod(`src-${i}`, {
        node,
        ...(annotations ? { annotations } : {}),
      });
      sources.set(p.migration, { name: `src-${i}`, uid: pod.metadata!.uid! });
    }),
  );
  let operator: OperatorProcess = h.startOperator();
  await Promise.all(
    points.map((p) =>
      h.createMigration(p.migration, {
        podName: sources.get(p.migration)!.name,
        restorePolicy: p.restorePolicy,
        ...(p.restorePolicy === 'checkpoint' ? { image } : {}),
      }),
    ),
  );

  const batch = h.kc.makeApiClient(BatchV1Api);
  const fired = new Set<string>();
  const violations: string[] = [];
  const checkedDeletion = new Set<string>();
  let kills = 0;
  let late = 0;
  const deadline = Date.now() + 480_000;
  for (;;) {
    const { items } = (await h.custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: MIGRATION_PLURAL,
      namespace: h.namespace,
    })) as { items: Migration[] };
    const migrations = new Map(items.map((m) => [m.metadata.name!, m]));
    const jobs = new Set(
      (await batch.listNamespacedJob({ namespace: h.namespace })).items.map(
        (j) => j.metadata?.labels?.['continuum.dev/migration'] ?? '',
      ),
    );
    const pods = await h.pods();
    const names = new Set(pods.map((p) => p.metadata!.name!));
    const handedOver = new Set(
      pods.filter((p) => p.metadata?.labels?.['pod-template-hash']).map((p) => p.metadata!.name!),
    );
    const world = { jobs, pods: names, handedOver };
    // no source may go before its image is in the registry
    for (const p of points.filter((x) => x.restorePolicy === 'checkpoint')) {
      const uid = sources.get(p.migration)?.uid;
      const src = pods.find((x) => x.metadata?.uid === uid);
      if ((src && !src.metadata?.deletionTimestamp) || checkedDeletion.has(p.migration)) continue;
      checkedDeletion.add(p.migration);
      const ref = migrations.get(p.migration)?.status?.image;
      if (!ref || !(await imageExists(ref, { credentials })))
        violations.push(`${p.migration}: source gone while its image is ${ref ?? 'unrecorded'}`);
    }
    // Kill on the point; a point passed between two looks (a busy machine) is killed late,
    // so every Migration is still interrupted once, and the late ones are counted.
    const due = points.find((p) => {
      const m = migrations.get(p.migration);
      return !fired.has(p.migration) && m && against(p, m, world) !== 'before';
    });
    if (due) {
      fired.add(due.migration);
      if (against(due, migrations.get(due.migration)!, world) === 'past') late++;
      if (due.slowKubelet) await sleep(800); // the kubelet call is in flight
      await operator.kill('SIGKILL');
      kills++;
      operator = h.startOperator();
    }
    if (
      [...migrations.values()].filter(
        (m) => m.status?.phase === 'Done' || m.status?.phase === 'Failed',
      ).length === points.length
    )
      break;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  t.deepEqual(violations, []);
  t.is(kills, points.length, 'the operator is killed once for every Migration');
  t.log(`${kills} kills, ${kills - late} on their point, ${late} just after it`);
  const done = new Map<string, Migration>();
  for (const p of points) done.set(p.migration, (await h.getMigration(p.migration))!);
  const podsNow = await h.pods();
  for (const [name, m] of done) {
    const target = podsNow.find((x) => x.metadata?.name === m.status?.targetPod);
    const seen = {
      status: m.status,
      targetPod: target && { spec: target.spec, status: target.status },
    };
    t.is(m.status?.phase, 'Done', `${name}: ${JSON.stringify(seen)}`);
    if (m.status?.phase !== 'Done')
      t.log(
        operator.logs
          .filter((l) => JSON.stringify(l).includes(name))
          .slice(-20)
          .map((l) => JSON.stringify(l))
          .join('\n'),
      );
  }

  // a restarted operator finds nothing to do: no status changes
  await operator.kill('SIGKILL');
  operator = h.startOperator();
  await operator.waitForLog('controllers running', 60_000);
  await sleep(5000);
  for (const [name, m] of done) {
    const again = await h.getMigration(name);
    t.is(
      again?.metadata.resourceVersion,
      m.metadata.resourceVersion,
      `${name} untouched after restart`,
    );
  }
  const pods = await h.pods();
  const events = (await h.core.listNamespacedEvent({ namespace: h.namespace })).items;
  for (const p of points) {
    const restored = pods.filter(
      (x) =>
        x.metadata?.labels?.['continuum.dev/migration'] === p.migration &&
        !x.metadata?.labels?.['job-name'],
    );
    t.is(restored.length, 1, `${p.migration}: exactly one restored pod`);
    t.is(restored[0]?.metadata?.name, done.get(p.migration)?.status?.targetPod);
    t.false(
      pods.some(
        (x) => x.metadata?.uid === sources.get(p.migration)?.uid && !x.metadata?.deletionTimestamp,
      ),
      `${p.migration}: source gone`,
    );
    if (p.owned) {
      const [replicaSet] = restored[0]?.metadata?.ownerReferences ?? [];
      const ofIt = pods.filter(
        (x) =>
          x.metadata?.ownerReferences?.[0]?.uid === replicaSet?.uid &&
          !x.metadata?.deletionTimestamp,
      );
      t.deepEqual(
        ofIt.map((x) => x.metadata?.name),
        [restored[0]?.metadata?.name],
        `${p.migration}: the ReplicaSet owns exactly the restored pod`,
      );
    }
    const succeeded = events.filter(
      (e) => e.involvedObject.name === p.migration && e.reason === 'Succeeded',
    );
    t.true(succeeded.length <= 1, `${p.migration}: Done announced ${succeeded.length} times`);
  }
  // the finished imaging Jobs stay for their TTL; none is left running
  await waitFor('imaging Jobs finished', async () =>
    (await batch.listNamespacedJob({ namespace: h.namespace })).items.every(
      (j) => j.status?.completionTime,
    ),
  );
});
