/**
 * The trigger's core shell: takes one raw metrics message, validates it (schema and ranges,
 * a known node, newer than the node's last message, pods that are on that node), feeds the
 * windows, and for each pod asks {@link decideTrigger} under the pod's governing policy; drafts
 * go to the {@link MigrationCreator}. Never throws; malformed input is counted and dropped.
 */
import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import { volumeThatStays } from '../migration/volumes.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/log.ts';
import type { MetricName, MigrationPolicy } from '../api/types.ts';
import { METRICS_SUBJECT_PREFIX, parseMetricsMessage, type PodMetrics } from '../agent/message.ts';
import type { Cache } from './cache.ts';
import { decideTrigger, type MigrationDraft, type TriggerWindow } from './decide.ts';
import { PolicyChooser } from './policy-choice.ts';
import type { MigrationIndex } from './migration-index.ts';
import { WindowStore } from './windows.ts';
import type { MetricsReceipts } from './receipts.ts';
import {
  decisionLatency,
  decisions,
  messagesAccepted,
  messagesDropped,
  podSamplesDropped,
} from './metrics.ts';

/** Creates Migrations. Idempotent: AlreadyExists is success (`exists`); throws on other errors. */
export interface MigrationCreator {
  create(draft: MigrationDraft): Promise<'created' | 'exists'>;
}

export interface IngestOptions {
  pods: Cache<V1Pod>;
  nodes: Cache<V1Node>;
  namespaces: Cache<V1Namespace>;
  policies: Cache<MigrationPolicy>;
  migrations: MigrationIndex;
  creator: MigrationCreator;
  receipts: MetricsReceipts;
  log: Logger;
  /** Wall time: message times and cooldowns are compared with it. Default: the real clock. */
  clock?: Clock;
}

/** Messages whose time is further than this from the operator's clock are dropped. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export class MetricsIngest {
  private readonly windows = new WindowStore();
  private readonly lastTime = new Map<string, number>();
  private readonly chooser: PolicyChooser;
  private readonly inflight = new Set<string>();
  private readonly clock: Clock;

  constructor(private readonly o: IngestOptions) {
    this.clock = o.clock ?? realClock;
    this.chooser = new PolicyChooser(o.policies, o.namespaces);
  }

  /** Policies, namespaces or nodes changed: every pod's governing policy is chosen again. */
  selectionChanged(): void {
    this.chooser.invalidate();
  }

  /** A pod is gone: drop its windows. */
  forgetPod(uid: string): void {
    this.windows.forgetPod(uid);
    this.chooser.forget(uid);
  }

  /** A node is gone: drop its windows and its last message time. */
  forgetNode(node: string): void {
    this.windows.forgetNode(node);
    this.lastTime.delete(node);
  }

  /** Handles one message from `subject`; resolves when its Migrations (if any) are created. */
  async ingest(subject: string, data: Uint8Array | string): Promise<void> {
    const received = performance.now();
    const subjectNode = subject.slice(METRICS_SUBJECT_PREFIX.length + 1);
    const parsed = parseMetricsMessage(data, subjectNode);
    if (!parsed.ok) return this.drop('malformed', subjectNode, parsed.reason);
    const m = parsed.message;
    const node = this.o.nodes.get(m.node);
    if (!node) return this.drop('unknown_node', m.node, 'node unknown');
    const t = Date.parse(m.time);
    if (Math.abs(t - this.clock.now()) > MAX_CLOCK_SKEW_MS) {
      // A bogus future time would make every later message look like a replay.
      return this.drop('out_of_time', m.node, `time ${m.time} too far from now`);
    }
    if (t <= (this.lastTime.get(m.node) ?? -Infinity)) {
      return this.drop('duplicate', m.node, 'not newer');
    }
    this.lastTime.set(m.node, t);
    messagesAccepted.inc();
    this.o.receipts.record(m.node, this.clock.now());
    const maxGapMs = Math.max(3 * m.intervalMs, 1000);
    this.windows.retainMs = this.windows.retainFor(this.chooser.all());
    this.windows.addNode(m.node, t, m.nodeMetrics, maxGapMs);
    const candidates: {
      entry: PodMetrics;
      pod: V1Pod;
      policy: MigrationPolicy;
      weight: number;
    }[] = [];
    for (const entry of m.pods) {
      const pod = this.o.pods.get(entry.name, entry.namespace);
      if (!pod || pod.metadata?.uid !== entry.uid || pod.spec?.nodeName !== m.node) {
        podSamplesDropped.inc();
        continue;
      }
      this.windows.addPod(entry.uid, t, entry.containers, maxGapMs);
      const policy = this.chooser.choose(pod, node);
      if (!policy || !this.windows.anyAbove(policy, entry.uid, m.node)) continue;
      candidates.push({ entry, pod, policy, weight: this.windows.weight(entry.uid) });
    }
    // The heaviest pods first: when a node-wide threshold fires and the concurrency limit allows
    // only some Migrations, they move the pods that relieve the node most.
    candidates.sort((a, b) => b.weight - a.weight);
    const drafts: Promise<void>[] = [];
    for (const { entry, pod, policy } of candidates) {
      const draft = decideTrigger(this.windowOf(entry, pod, m.node), policy, this.clock.now());
      if (!draft) continue;
      // Counted at once, so the next decision of this message sees it (limits, cooldown).
      this.o.migrations.created({
        name: draft.metadata.name,
        namespace: draft.metadata.namespace,
        podName: draft.spec.podName,
        labels: draft.metadata.labels,
        createdMs: this.clock.now(),
      });
      drafts.push(this.create(draft, received));
    }
    await Promise.all(drafts);
  }

  private drop(reason: string, node: string, detail: string): void {
    messagesDropped.inc({ reason });
    this.o.log.debug({ node, reason, detail }, 'metrics message dropped');
  }

  private windowOf(entry: PodMetrics, pod: V1Pod, node: string): TriggerWindow {
    const index = this.o.migrations;
    const windows: TriggerWindow['windows'] = {};
    for (const metric of [
      'containerCPU',
      'containerMemory',
      'nodeCPU',
      'nodeMemory',
    ] as MetricName[]) {
      const series = this.windows.series(metric, entry.uid, node);
      if (series) windows[metric] = series;
    }
    return {
      pod: {
        namespace: entry.namespace,
        name: entry.name,
        uid: entry.uid,
        owner: pod.metadata?.ownerReferences?.find((r) => r.controller),
        volumeStays: volumeThatStays(pod) !== undefined,
      },
      node,
      windows,
      get migrations() {
        return index.relevant(entry.namespace, node);
      },
    };
  }

  private async create(draft: MigrationDraft, received: number): Promise<void> {
    const key = `${draft.metadata.namespace}/${draft.metadata.name}`;
    if (this.inflight.has(key)) return;
    this.inflight.add(key);
    try {
      const outcome = await this.o.creator.create(draft);
      decisions.inc({ outcome });
      decisionLatency.observe((performance.now() - received) / 1000);
      if (outcome === 'created') {
        this.o.log.info({ migration: key, reason: draft.spec.reason }, 'Migration created');
      }
    } catch (err) {
      this.o.migrations.forget(draft.metadata.namespace, draft.metadata.name);
      decisions.inc({ outcome: 'error' });
      this.o.log.warn(
        { migration: key, err: String(err) },
        'cannot create Migration; retrying on the next message',
      );
    } finally {
      this.inflight.delete(key);
    }
  }
}
