/**
 * Benchmark: N restart (or checkpoint) Migrations on kwok nodes, handled by one `continuum
 * operator` process (the chart's ServiceAccount), for each N of a series. Checkpoint Migrations
 * go through the simulated kubelet (archives of CONTINUUM_BENCH_ARCHIVE_SIZE, default 16Mi),
 * imaging Jobs run by the simulated job runner with the real imager, and the real registry; the
 * archives and checkpoint images left afterwards are counted. Reports the wall time from the first
 * Migration created until all are Done, the API requests the operator sent per Migration
 * (counted in the operator process by benchmarks/count-requests.js, informer list/watch
 * included; by method and resource for the largest N), the operator's peak RSS and CPU time —
 * compiled when `npm run build` made dist/, else under tsx (the output says which).
 *
 *   npm run bench:migrations                                  (200; starts a test environment)
 *   CONTINUUM_BENCH_MIGRATIONS=100,300,1000 npm run bench:migrations   (a table of the series)
 *   CONTINUUM_BENCH_NODE_OPTIONS=--max-old-space-size=96 …           (more Node.js options)
 *   CONTINUUM_BENCH_RESTORE_POLICY=checkpoint CONTINUUM_BENCH_MIGRATIONS=100 npm run bench:migrations
 */
import { existsSync, readdirSync } from 'node:fs';
import { BatchV1Api } from '@kubernetes/client-node';
import { join } from 'node:path';
import type { Migration } from '../reconcilers/api/types.ts';
import { Informer } from '../reconcilers/runtime/informer.ts';
import { silentLogger } from '../reconcilers/runtime/log.ts';
import { testEnv } from '../tests/env/info.ts';
import { sleep } from '../tests/env/wait.ts';
import { PULL_SECRET, PUSH_SECRET, harness, type Harness } from '../tests/migration/harness.ts';
import { SIZE_ANNOTATION } from '../tests/sim/kubelet-faults.ts';
import {
  COMPILED,
  cpuSeconds,
  peakRssMiB,
  requestCounter,
  requestsBetween,
  round,
} from './operator-usage.ts';
import { pool } from './pool.ts';

const SIZES = (process.env.CONTINUUM_BENCH_MIGRATIONS ?? '200').split(',').map(Number);
const CHECKPOINT = process.env.CONTINUUM_BENCH_RESTORE_POLICY === 'checkpoint';
const ARCHIVE_SIZE = process.env.CONTINUUM_BENCH_ARCHIVE_SIZE ?? '16Mi';
const EDGE_NODES = ['edge-1', 'edge-2'];
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface Row {
  migrations: number;
  done: number;
  failed: string[];
  wallSeconds: number;
  perMinute: number;
  apiRequestsPerMigration: number;
  operatorPeakRssMiB: number;
  /** CPU time (user + system) the operator spent from the first Migration to the last Done. */
  operatorCpuSeconds: number;
  /** Requests per Migration by method and resource. */
  byRequest: Record<string, number>;
  /**
   * Checkpoint Migrations: archives left on the nodes, imaging Jobs left (their TTL: 30 s), and
   * Migrations whose images are deleted.
   */
  archivesLeft?: number;
  jobsLeft?: number;
  imagesDeleted?: number;
}

/** The checkpoint archives of `namespace`'s pods on the simulated edge nodes. */
function archivesOf(namespace: string): number {
  return testEnv()
    .nodes.filter((n) => EDGE_NODES.includes(n.name))
    .map((n) => join(n.rootDir, 'var/lib/kubelet/checkpoints'))
    .flatMap((dir) => (existsSync(dir) ? readdirSync(dir) : []))
    .filter((file) => file.includes(`_${namespace}-`)).length;
}

async function run(n: number): Promise<Row> {
  const env = testEnv();
  const h = await harness(`bench-migrations-${n}`);
  const counter = requestCounter(env.apiServer, join(env.workDir, `bench-requests-${n}.json`));
  try {
    const names = Array.from({ length: n }, (_, i) => `w-${i}`);
    log(`${n}: creating ${n} pods on the edge nodes`);
    await pool(names, 20, (name) =>
      h.core.createNamespacedPod({
        namespace: h.namespace,
        body: {
          metadata: {
            name,
            labels: { app: 'bench' },
            annotations: { [SIZE_ANNOTATION]: ARCHIVE_SIZE },
          },
          spec: {
            nodeName: EDGE_NODES[Number(name.endsWith('1'))],
            containers: [{ name: 'worker', image: 'busybox:1.36' }],
          },
        },
      }),
    );
    for (;;) {
      const ready = (await h.pods()).filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
      if (ready >= n) break;
      await sleep(1000);
    }
    const operator = h.startOperator({
      // imaging Jobs go 30 s after they finish (the chart keeps them 10 min, for their logs)
      env: { CONTINUUM_LOG_LEVEL: 'info', CONTINUUM_JOB_TTL: '30', ...counter.env },
    });
    await operator.waitForLog('controllers running', 120_000);
    await sleep(1000);
    const before = counter.read();
    log(`${n}: operator running (${before.total} requests to start); creating ${n} Migrations`);
    const started = Date.now();
    const cpuBefore = cpuSeconds(operator.child.pid!);
    const image = { repository: h.repository, pushSecretRef: { name: PUSH_SECRET } };
    await pool(names, 20, (name) =>
      h.createMigration(`m-${name}`, {
        podName: name,
        ...(CHECKPOINT
          ? {
              restorePolicy: 'checkpoint',
              image: { ...image, pullSecretRef: { name: PULL_SECRET } },
            }
          : { restorePolicy: 'restart' }),
      }),
    );
    // watched, not listed: listing 1000 Migrations every half second loads the API server
    // that the operator shares
    const finished = await allFinished(h, n, started);
    const wallSeconds = (Date.now() - started) / 1000;
    await sleep(600); // the preload writes its count every 500 ms
    const after = counter.read();
    const cpu = cpuSeconds(operator.child.pid!) - cpuBefore;
    return {
      migrations: n,
      done: finished.filter((m) => m.status?.phase === 'Done').length,
      failed: finished
        .filter((m) => m.status?.phase === 'Failed')
        .map((m) => `${m.metadata.name}: ${m.status?.failureReason}`),
      wallSeconds: round(wallSeconds, 1),
      perMinute: Math.round((n / wallSeconds) * 60),
      apiRequestsPerMigration: round((after.total - before.total) / n, 1),
      operatorPeakRssMiB: round(peakRssMiB(operator.child.pid!), 1),
      operatorCpuSeconds: round(cpu, 1),
      byRequest: requestsBetween(before, after, n),
      ...(CHECKPOINT ? await checkpointLeftovers(h, n) : {}),
    };
  } finally {
    await h.cleanup();
  }
}

/** The Migrations of the harness's namespace once all `n` are Done or Failed (30 min at most). */
async function allFinished(h: Harness, n: number, started: number): Promise<Migration[]> {
  const informer = new Informer<Migration>(
    h.kc,
    { path: `/apis/continuum.dev/v1alpha1/namespaces/${h.namespace}/migrations` },
    silentLogger(),
  );
  informer.start();
  try {
    for (;;) {
      const finished = informer
        .list()
        .filter((m) => ['Done', 'Failed'].includes(m.status?.phase ?? ''));
      if (finished.length >= n) return finished;
      if (Date.now() - started > 30 * 60_000)
        throw new Error(`only ${finished.length} of ${n} Migrations finished in 30 min`);
      await sleep(100);
    }
  } finally {
    await informer.stop();
  }
}

/**
 * What checkpoint Migrations left: archives on the nodes, imaging Jobs, and how many deleted
 * their images (which follows Done once the restored pod is Ready; images and Jobs waited for
 * up to 90 s).
 */
async function checkpointLeftovers(h: Harness, n: number) {
  const listed = async () =>
    (
      (await h.custom.listNamespacedCustomObject({
        group: 'continuum.dev',
        version: 'v1alpha1',
        plural: 'migrations',
        namespace: h.namespace,
      })) as { items: Migration[] }
    ).items.filter((m) =>
      m.status?.conditions?.some((c) => c.type === 'ImagesDeleted' && c.status === 'True'),
    ).length;
  const jobs = async () =>
    (await h.kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: h.namespace })).items
      .length;
  let imagesDeleted = await listed();
  let jobsLeft = await jobs();
  for (let i = 0; i < 90 && (imagesDeleted < n || jobsLeft > 0); i++) {
    await sleep(1000);
    imagesDeleted = await listed();
    jobsLeft = await jobs();
  }
  return { archivesLeft: archivesOf(h.namespace), jobsLeft, imagesDeleted };
}

const rows: Row[] = [];
for (const n of SIZES) {
  rows.push(await run(n));
  console.log(JSON.stringify(rows.at(-1), null, 2));
}
console.log(
  `\n${CHECKPOINT ? `checkpoint (${ARCHIVE_SIZE})` : 'restart'} Migrations; operator ${COMPILED ? 'compiled (dist/)' : 'under tsx'}`,
);
console.log(
  '| Migrations | Done | all Done in | per minute | API requests / Migration | peak RSS | operator CPU |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.migrations} | ${r.done} | ${r.wallSeconds} s | ${r.perMinute} | ${r.apiRequestsPerMigration} | ${r.operatorPeakRssMiB} MiB | ${r.operatorCpuSeconds} s |`,
  );
}
