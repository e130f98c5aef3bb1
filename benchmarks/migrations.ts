/**
 * Benchmark: 200 restart Migrations on kwok nodes, handled by one `continuum operator` process
 * (the chart's ServiceAccount). Reports the wall time from the first Migration created until all
 * are Done, the API requests the operator sent per Migration (counted in the operator process
 * by benchmarks/count-requests.js, informer list/watch included), and the operator's peak RSS.
 *
 *   npm run bench:migrations            (starts a test environment, runs, tears it down)
 *   CONTINUUM_BENCH_MIGRATIONS=50 …     (another count)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Migration } from '../reconcilers/api/types.ts';
import { testEnv } from '../tests/env/info.ts';
import { sleep } from '../tests/env/wait.ts';
import { harness } from '../tests/migration/harness.ts';

const N = Number(process.env.CONTINUUM_BENCH_MIGRATIONS ?? 200);
const PRELOAD = fileURLToPath(new URL('./count-requests.js', import.meta.url));
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

const env = testEnv();
const h = await harness('bench-migrations');
const countFile = join(env.workDir, 'bench-requests.json');
const readCount = () =>
  JSON.parse(readFileSync(countFile, 'utf8')) as {
    total: number;
    byMethod: Record<string, number>;
  };
try {
  const names = Array.from({ length: N }, (_, i) => `w-${i}`);
  log(`creating ${N} pods on the edge nodes`);
  await pool(names, 20, (name) =>
    h.core.createNamespacedPod({
      namespace: h.namespace,
      body: {
        metadata: { name, labels: { app: 'bench' } },
        spec: {
          nodeName: name.endsWith('1') ? 'edge-2' : 'edge-1',
          containers: [{ name: 'worker', image: 'busybox:1.36' }],
        },
      },
    }),
  );
  for (;;) {
    const ready = (await h.pods()).filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
    if (ready >= N) break;
    await sleep(1000);
  }
  const operator = h.startOperator({
    env: {
      CONTINUUM_LOG_LEVEL: 'info',
      NODE_OPTIONS: `--import ${PRELOAD}`,
      CONTINUUM_COUNT_PORT: new URL(env.apiServer).port,
      CONTINUUM_COUNT_FILE: countFile,
    },
  });
  await operator.waitForLog('controllers running', 120_000);
  await sleep(1000);
  const before = readCount();
  log(`operator running (${before.total} requests to start); creating ${N} Migrations`);
  const started = Date.now();
  await pool(names, 20, (name) =>
    h.createMigration(`m-${name}`, { podName: name, restorePolicy: 'restart' }),
  );
  let finished: Migration[] = [];
  for (;;) {
    const list = (await h.custom.listNamespacedCustomObject({
      group: 'continuum.dev',
      version: 'v1alpha1',
      plural: 'migrations',
      namespace: h.namespace,
    })) as { items: Migration[] };
    finished = list.items.filter((m) => m.status?.phase === 'Done' || m.status?.phase === 'Failed');
    if (finished.length >= N) break;
    if (Date.now() - started > 30 * 60_000)
      throw new Error(`only ${finished.length} of ${N} Migrations finished in 30 min`);
    await sleep(500);
  }
  const wallSeconds = (Date.now() - started) / 1000;
  await sleep(600); // the preload writes its count every 500 ms
  const after = readCount();
  const status = readFileSync(`/proc/${operator.child.pid}/status`, 'utf8');
  const peakRssMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  const byMethod = Object.fromEntries(
    Object.entries(after.byMethod).map(([k, v]) => [k, v - (before.byMethod[k] ?? 0)]),
  );
  const result = {
    migrations: N,
    done: finished.filter((m) => m.status?.phase === 'Done').length,
    failed: finished
      .filter((m) => m.status?.phase === 'Failed')
      .map((m) => `${m.metadata.name}: ${m.status?.failureReason}`),
    wallSeconds,
    apiRequestsPerMigration: (after.total - before.total) / N,
    apiRequestsByMethod: byMethod,
    operatorPeakRssMiB: Math.round(peakRssMiB * 10) / 10,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await h.cleanup();
}
