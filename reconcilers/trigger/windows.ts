/**
 * The trigger's windows: one {@link MetricSeries} per pod for containerCPU and containerMemory
 * (the highest value among the pod's containers at each sample, naming that container) and one
 * per node for nodeCPU and nodeMemory.
 */
import type { MetricName, MigrationPolicy } from '../api/types.ts';
import type { ContainerMetrics, NodeMetrics } from '../agent/message.ts';
import { MetricSeries } from './series.ts';
import { durationMs } from './decide.ts';

type PodSeries = { containerCPU: MetricSeries; containerMemory: MetricSeries };
type NodeSeries = { nodeCPU: MetricSeries; nodeMemory: MetricSeries };

export class WindowStore {
  /** How far back samples are kept: the longest `for` of any policy. */
  retainMs = 0;
  private readonly pods = new Map<string, PodSeries>();
  private readonly nodes = new Map<string, NodeSeries>();
  private retainOf: { policies: MigrationPolicy[]; ms: number } | undefined;

  /** The longest `for` among the policies' triggers (memoised per policy list). */
  retainFor(policies: MigrationPolicy[]): number {
    if (this.retainOf?.policies !== policies) {
      const fors = policies.flatMap((p) => p.spec.triggers.map((t) => durationMs(t.for ?? '30s')));
      this.retainOf = { policies, ms: Math.max(0, ...fors) };
    }
    return this.retainOf.ms;
  }

  addPod(uid: string, t: number, containers: ContainerMetrics[], maxGapMs: number): void {
    let s = this.pods.get(uid);
    if (!s) {
      s = { containerCPU: this.fresh(maxGapMs), containerMemory: this.fresh(maxGapMs) };
      this.pods.set(uid, s);
    }
    let cpu: ContainerMetrics | undefined;
    let memory: ContainerMetrics | undefined;
    for (const c of containers) {
      if (c.cpuPercent !== undefined && (cpu === undefined || c.cpuPercent > cpu.cpuPercent!))
        cpu = c;
      if (memory === undefined || c.memoryPercent > memory.memoryPercent) memory = c;
    }
    if (cpu) this.add(s.containerCPU, t, cpu.cpuPercent!, maxGapMs, cpu.name);
    if (memory) this.add(s.containerMemory, t, memory.memoryPercent, maxGapMs, memory.name);
  }

  addNode(node: string, t: number, m: NodeMetrics, maxGapMs: number): void {
    let s = this.nodes.get(node);
    if (!s) {
      s = { nodeCPU: this.fresh(maxGapMs), nodeMemory: this.fresh(maxGapMs) };
      this.nodes.set(node, s);
    }
    if (m.cpuPercent !== undefined) this.add(s.nodeCPU, t, m.cpuPercent, maxGapMs);
    this.add(s.nodeMemory, t, m.memoryPercent, maxGapMs);
  }

  /** True when the latest value of some trigger's metric is above its threshold (else no trigger can fire). */
  anyAbove(policy: MigrationPolicy, podUid: string, node: string): boolean {
    return policy.spec.triggers.some(
      (t) => (this.series(t.metric, podUid, node)?.latest?.value ?? -1) > t.above,
    );
  }

  /** How heavy a pod is now: its latest container CPU %, memory % as a tie-breaker. */
  weight(podUid: string): number {
    const s = this.pods.get(podUid);
    return (s?.containerCPU.latest?.value ?? 0) * 1000 + (s?.containerMemory.latest?.value ?? 0);
  }

  series(metric: MetricName, podUid: string, node: string): MetricSeries | undefined {
    if (metric === 'containerCPU' || metric === 'containerMemory')
      return this.pods.get(podUid)?.[metric];
    return this.nodes.get(node)?.[metric];
  }

  forgetPod(uid: string): void {
    this.pods.delete(uid);
  }

  forgetNode(node: string): void {
    this.nodes.delete(node);
  }

  private fresh(maxGapMs: number): MetricSeries {
    return new MetricSeries(this.retainMs, maxGapMs);
  }

  private add(s: MetricSeries, t: number, value: number, maxGapMs: number, source?: string): void {
    s.retainMs = this.retainMs;
    s.maxGapMs = maxGapMs;
    s.add(source === undefined ? { t, value } : { t, value, source });
  }
}
