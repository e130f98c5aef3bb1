/**
 * Benchmark of a fleet (issue #14): N kwok edge nodes × P pods (default 500 × 20 = 10 000 bare
 * pods), one `continuum operator` (the chart's ServiceAccount, compiled when `npm run build` made
 * dist/, else under tsx: the output says which) with its trigger on the real NATS server, and N
 * simulated agents publishing one message a second each (every pod of their node, as
 * reconcilers/agent/message.ts has it) for a steady phase.
 *
 * A MigrationPolicy (containerCPU above 90 % for 2 s) fires in waves: every 10 s from 5 s into
 * the steady phase one pod of every tenth node reports 99 % CPU from then on, all other pods 10 %.
 * The moves are restarts onto the kwok node cloud-1, carried out as in production (the restored
 * pod created, the source deleted): their load is part of the figures. The breach → Migration latency of a pod runs from publishing the
 * message that completes its window (its third sample at 99 %) to a watch seeing its Migration
 * (breach-latency.ts, as benchmarks/trigger.ts measures it for 100 pods).
 *
 * Prints nodes, pods, messages/s (published; accepted by the trigger, from its /metrics),
 * breach → Migration p50 / p99, the operator's peak RSS (its whole life, the first lists
 * included), its CPU over the steady phase in cores (CPU seconds / wall seconds), and the API
 * requests it sent during the steady phase (counted inside it by count-requests.js; per second
 * by method and resource in the JSON). Goals: peak RSS ≤ 200 MiB, p99 < 250 ms, < 1 core.
 *
 *   CONTINUUM_BENCH_FLEET_NODES=20 CONTINUUM_BENCH_FLEET_PODS=5 CONTINUUM_BENCH_FLEET_SECONDS=10 \
 *     npm run bench:fleet                    (a quick try; starts a test environment)
 *   npm run build && npm run bench:fleet     (500 × 20 for 60 s)
 *   CONTINUUM_BENCH_NODE_OPTIONS=--max-old-space-size=128 …   (more Node.js options)
 */
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import type { CoreV1Api, V1Node, V1Pod } from '@kubernetes/client-node';
import { metricsSubject, type MetricsMessage } from '../reconcilers/agent/message.ts';
import { GROUP, MIGRATION_PLURAL, VERSION, type Migration } from '../reconcilers/api/types.ts';
import { Informer } from '../reconcilers/runtime/informer.ts';
import { silentLogger } from '../reconcilers/runtime/log.ts';
import { testEnv } from '../tests/env/info.ts';
import { kwokNode } from '../tests/env/kwok.ts';
import { sleep, waitFor } from '../tests/env/wait.ts';
import { harness } from '../tests/migration/harness.ts';
import { createPolicy, deletePolicy } from '../tests/trigger/harness.ts';
import { BreachLatencies, percentile } from './breach-latency.ts';
import {
  COMPILED,
  cpuSeconds,
  peakRssMiB,
  requestCounter,
  requestsBetween,
  round,
} from './operator-usage.ts';
import { pool } from './pool.ts';

const NODES = Number(process.env.CONTINUUM_BENCH_FLEET_NODES ?? 500);
const PODS = Number(process.env.CONTINUUM_BENCH_FLEET_PODS ?? 20);
const SECONDS = Number(process.env.CONTINUUM_BENCH_FLEET_SECONDS ?? 60);
/** On the benchmark's Nodes and pods: the Nodes of a killed run are found by it. */
const FLEET_LABEL = 'bench.continuum.dev/fleet';
const POLICY = 'bench-fleet';
const FOR_SECONDS = 2;
const FIRST_WAVE = 5;
const WAVE_EVERY = 10;
/** One node in this many has a pod breached per wave. */
const BREACH_EVERY = 10;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface Agent {
  node: string;
  pods: { namespace: string; name: string; uid: string }[];
}

/**
 * The agent tick from which pod `j` of node `i` reports 99 %: wave w breaches pod w / 10 of the
 * nodes i ≡ w (mod 10), so each breached pod is breached once, by itself on its node.
 */
function breachTick(i: number, j: number): number {
  return FIRST_WAVE + (j * BREACH_EVERY + (i % BREACH_EVERY)) * WAVE_EVERY;
}

/** Agent `i`'s message of `tick`, sampled at `t` (ms since the epoch). */
function agentMessage(agent: Agent, i: number, tick: number, t: number): string {
  const m: MetricsMessage = {
    schemaVersion: 1,
    node: agent.node,
    time: new Date(t).toISOString(),
    intervalMs: 1000,
    nodeMetrics: { cpuPercent: 40, memoryPercent: 50 },
    pods: agent.pods.map((p, j) => ({
      ...p,
      containers: [
        {
          name: 'app',
          cpuPercent: tick >= breachTick(i, j) ? 99 : 10,
          memoryPercent: 5,
          memoryBytes: 1 << 20,
        },
      ],
    })),
  };
  return JSON.stringify(m);
}

/**
 * Runs the agents for the steady phase, each at its own offset within the second (samples on a
 * 1 s grid, whatever the publishing lag); resolves to the number of messages published.
 */
async function runAgents(
  nc: NatsConnection,
  agents: Agent[],
  breaches: BreachLatencies,
): Promise<number> {
  const start = Date.now();
  let published = 0;
  for (let tick = 0; tick < SECONDS; tick++) {
    for (const [i, agent] of agents.entries()) {
      const t = start + tick * 1000 + Math.floor((i * 1000) / agents.length);
      if (t > Date.now()) await sleep(t - Date.now());
      const data = agentMessage(agent, i, tick, t);
      const subject = metricsSubject(agent.node);
      // with samples 1 s apart, the third one at 99 % completes the window of FOR_SECONDS
      const completed = agent.pods.find((_, j) => breachTick(i, j) + FOR_SECONDS === tick);
      if (completed)
        await breaches.publishCompleting(nc, subject, data, completed.namespace, completed.name);
      else nc.publish(subject, data);
      published++;
    }
  }
  return published;
}

/** Starts `informer`, resolves to its objects once `n` of them pass `accept`, stops it. */
async function counted<T extends V1Node | V1Pod>(
  what: string,
  informer: Informer<T>,
  accept: (o: T) => boolean,
  n: number,
): Promise<T[]> {
  informer.start();
  try {
    return await waitFor(
      what,
      () => {
        const passed = informer.list().filter(accept);
        return passed.length >= n && passed;
      },
      10 * 60_000,
      async () => `${informer.list().filter(accept).length} of ${n}`,
    );
  } finally {
    await informer.stop();
  }
}

/** The fleet's Nodes deleted (kwok lets go of them), those of a killed run too. */
async function removeNodes(core: CoreV1Api): Promise<void> {
  await core.deleteCollectionNode({ labelSelector: FLEET_LABEL }).catch(() => undefined);
}

/** Messages the operator's trigger accepted so far, from its /metrics. */
async function accepted(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^continuum_trigger_messages_accepted_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/**
 * The share of the trigger's decisions whose Migration was created within 100 and 250 ms of
 * receiving the message (its own histogram): what of the latency is spent inside the operator
 * (parsing, deciding, the create request) rather than in NATS and the watch.
 */
async function decisionShares(port: number): Promise<{ within100ms: number; within250ms: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const metric = 'continuum_trigger_decision_latency_seconds';
  const bucket = (le: string) =>
    Number(new RegExp(`^${metric}_bucket\\{le="${le}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const count = Number(new RegExp(`^${metric}_count (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const share = (le: string) => (count ? round(bucket(le) / count, 3) : NaN);
  return { within100ms: share('0.1'), within250ms: share('0.25') };
}

async function run() {
  const env = testEnv();
  const h = await harness('bench-fleet');
  const counter = requestCounter(env.apiServer, join(env.workDir, 'bench-fleet-requests.json'));
  const migrations = new Informer<Migration>(
    h.kc,
    { path: `/apis/${GROUP}/${VERSION}/namespaces/${h.namespace}/${MIGRATION_PLURAL}` },
    silentLogger(),
  );
  let nc: NatsConnection | undefined;
  try {
    await removeNodes(h.core);
    log(`creating ${NODES} kwok nodes`);
    const nodeNames = Array.from({ length: NODES }, (_, i) => `fleet-${i}`);
    await pool(nodeNames, 20, (name) =>
      h.core.createNode({ body: kwokNode(name, 'edge', { labels: { [FLEET_LABEL]: 'true' } }) }),
    );
    await counted(
      'the fleet Ready',
      new Informer<V1Node>(
        h.kc,
        { path: '/api/v1/nodes', labelSelector: FLEET_LABEL },
        silentLogger(),
      ),
      (n) => Boolean(n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
      NODES,
    );
    log(`creating ${NODES * PODS} pods`);
    const podNames = nodeNames.flatMap((node) =>
      Array.from({ length: PODS }, (_, j) => ({ node, name: `${node}-${j}` })),
    );
    await pool(podNames, 20, ({ node, name }) =>
      h.core.createNamespacedPod({
        namespace: h.namespace,
        body: {
          metadata: { name, labels: { [FLEET_LABEL]: 'true' } },
          spec: { nodeName: node, containers: [{ name: 'app', image: 'busybox:1.36' }] },
        },
      }),
    );
    const pods = await counted(
      'the pods Running',
      new Informer<V1Pod>(h.kc, { path: `/api/v1/namespaces/${h.namespace}/pods` }, silentLogger()),
      (p) => p.status?.phase === 'Running',
      NODES * PODS,
    );
    const uids = new Map(pods.map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    const agents: Agent[] = nodeNames.map((node) => ({
      node,
      pods: Array.from({ length: PODS }, (_, j) => {
        const name = `${node}-${j}`;
        return { namespace: h.namespace, name, uid: uids.get(name)! };
      }),
    }));
    await deletePolicy(h.kc, POLICY); // of a killed run
    await createPolicy(h.kc, POLICY, {
      selector: {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': h.namespace } },
        podSelector: { matchLabels: { [FLEET_LABEL]: 'true' } },
      },
      triggers: [{ metric: 'containerCPU', above: 90, for: `${FOR_SECONDS}s` }],
      restorePolicy: 'restart',
      target: { nodeName: 'cloud-1' },
      cooldown: '1h',
      maxConcurrentPerNode: 100,
    });
    const operator = h.startOperator({
      env: { CONTINUUM_LOG_LEVEL: 'info', CONTINUUM_NATS_URL: env.natsUrl, ...counter.env },
    });
    const pid = operator.child.pid!;
    await operator.waitForLog('controllers running', 300_000);
    await operator.waitForLog('metrics subscriber connected');
    const port = await operator.port();
    const breaches = new BreachLatencies(migrations);
    migrations.start();
    await migrations.synced();
    nc = await connect({ servers: env.natsUrl });
    await sleep(1000); // the subscription confirmed; a fresh request count written
    const before = counter.read();
    log(
      `operator running (${before.total} requests to start, peak RSS ${round(peakRssMiB(pid), 1)} MiB); ${NODES} agents for ${SECONDS} s`,
    );
    const accepted0 = await accepted(port);
    const cpu0 = cpuSeconds(pid);
    const started = performance.now();
    const published = await runAgents(nc, agents, breaches);
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const acceptedPerSecond = ((await accepted(port)) - accepted0) / wallSeconds;
    await sleep(600); // the preload writes its count every 500 ms
    const after = counter.read();
    // the Migrations of the last breaches may still be on their way
    await waitFor('a Migration of every breached pod', () => breaches.allSeen(), 10_000).catch(
      () => undefined,
    );
    const { latencies, missing } = breaches.result();
    return {
      nodes: NODES,
      pods: NODES * PODS,
      steadySeconds: round(wallSeconds, 1),
      messagesPerSecond: round(published / wallSeconds, 1),
      acceptedPerSecond: round(acceptedPerSecond, 1),
      breaches: breaches.breaches,
      missing,
      p50Ms: latencies.length ? round(percentile(latencies, 50), 1) : NaN,
      p99Ms: latencies.length ? round(percentile(latencies, 99), 1) : NaN,
      maxMs: latencies.length ? round(latencies.at(-1)!, 1) : NaN,
      /** Of the trigger's own decisions (message received → Migration created). */
      triggerDecisions: await decisionShares(port),
      operatorPeakRssMiB: round(peakRssMiB(pid), 1),
      operatorCores: round(cpu / wallSeconds, 3),
      apiRequests: after.total - before.total,
      /** Requests per second of the steady phase by method and resource. */
      byRequest: requestsBetween(before, after, wallSeconds),
    };
  } finally {
    await nc?.close();
    await deletePolicy(h.kc, POLICY);
    await migrations.stop();
    await h.cleanup();
    log('deleting the namespace and the fleet');
    await waitFor(
      `namespace ${h.namespace} deleted`,
      () =>
        h.core.readNamespace({ name: h.namespace }).then(
          () => false,
          () => true,
        ),
      10 * 60_000,
    ).catch((err: unknown) => log(String(err)));
    await removeNodes(h.core);
  }
}

const r = await run();
console.log(JSON.stringify(r, null, 2));
console.log(`\noperator ${COMPILED ? 'compiled (dist/)' : 'under tsx'}`);
console.log(
  '| nodes | pods | messages/s (accepted) | breach → Migration p50 / p99 | peak RSS | operator CPU | API requests (steady) |',
);
console.log('|---|---|---|---|---|---|---|');
console.log(
  `| ${r.nodes} | ${r.pods} | ${r.messagesPerSecond} (${r.acceptedPerSecond}) | ${r.p50Ms} / ${r.p99Ms} ms (${r.breaches - r.missing.length} of ${r.breaches}) | ${r.operatorPeakRssMiB} MiB | ${r.operatorCores} cores | ${r.apiRequests} in ${r.steadySeconds} s |`,
);
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
console.log(`goal: peak RSS ≤ 200 MiB: ${met(r.operatorPeakRssMiB <= 200)}`);
console.log(`goal: p99 < 250 ms: ${met(r.p99Ms < 250 && r.missing.length === 0)}`);
console.log(`goal: < 1 core: ${met(r.operatorCores < 1)}`);
