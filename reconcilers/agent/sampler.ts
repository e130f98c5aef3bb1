/**
 * Turns the pods of a node into one {@link MetricsMessage}: finds each container's cgroup (once,
 * then cached), reads its usage every sample and its limits when the pod changed (a resize
 * changes its resourceVersion) or every `limitRefreshMs` (default 5 minutes), and expresses
 * CPU over the window and memory as percentages of the limits, else of the node's cores/memory.
 * A container whose cgroup is missing or vanishes is skipped for that sample; nothing throws
 * except a broken /proc.
 */
import type { MetricsMessage, PodMetrics, ContainerMetrics } from './message.ts';
import { MAX_PERCENT, METRICS_SCHEMA_VERSION } from './message.ts';
import { containerCgroupCandidates, parseContainerId } from './cgroup-paths.ts';
import {
  cgroupExists,
  readLimits,
  UsageReader,
  type CgroupLimits,
  type Hierarchies,
} from './cgroup-files.ts';
import { ProcReader } from './proc.ts';
import { RateWindow } from './rate-window.ts';

/** What the sampler needs to know about a pod (from the API server). */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
  /** metadata.resourceVersion: limits are read again when it changes. */
  resourceVersion?: string;
  qosClass?: string;
  containers: { name: string; containerID?: string }[];
}

interface Tracked {
  path: string;
  usage: UsageReader;
  cpu: RateWindow;
  limits: CgroupLimits;
  limitsAt: number;
  limitsOf?: string;
  seen: number;
}

export interface SamplerOptions {
  node: string;
  hierarchies: Hierarchies;
  /** Components of the kubelet's cgroupRoot (`parseKubeletCgroupRoot`); default none (`/`). */
  kubeletCgroupRoot?: string[];
  procRoot: string;
  intervalMs: number;
  cpuWindowMs: number;
  limitRefreshMs?: number;
  /** Monotonic milliseconds. */
  now?: () => number;
}

const round = (v: number) => Math.round(v * 100) / 100;
/** A share (0..1) as a percentage, clamped to the range the message schema accepts. */
const percent = (v: number) => Math.min(MAX_PERCENT, Math.max(0, round(v * 100)));

export class Sampler {
  private readonly tracked = new Map<string, Tracked>();
  private readonly nodeBusy: RateWindow;
  private readonly nodeTotal: RateWindow;
  private readonly proc: ProcReader;
  private round = 0;

  /** Throws when the node's /proc cannot be read. */
  constructor(private readonly opts: SamplerOptions) {
    this.nodeBusy = new RateWindow(opts.cpuWindowMs);
    this.nodeTotal = new RateWindow(opts.cpuWindowMs);
    this.proc = new ProcReader(opts.procRoot);
  }

  /** Closes every file kept open. */
  close(): void {
    for (const id of [...this.tracked.keys()]) this.untrack(id);
    this.proc.close();
  }

  sample(pods: PodRef[], wallTime = new Date()): MetricsMessage {
    const t = (this.opts.now ?? (() => performance.now()))();
    this.round++;
    const stat = this.proc.cpu();
    const mem = this.proc.memory();
    const busyShare = this.nodeBusy.add(t, stat.busy);
    const totalShare = this.nodeTotal.add(t, stat.total);
    const nodeMetrics: MetricsMessage['nodeMetrics'] = {
      memoryPercent: percent((mem.totalBytes - mem.availableBytes) / mem.totalBytes),
    };
    if (busyShare !== undefined && totalShare)
      nodeMetrics.cpuPercent = percent(busyShare / totalShare);
    const podMetrics: PodMetrics[] = [];
    for (const pod of pods) {
      const containers: ContainerMetrics[] = [];
      for (const c of pod.containers) {
        const m = this.sampleContainer(pod, c, t, stat.cores, mem.totalBytes);
        if (m) containers.push(m);
      }
      if (containers.length) {
        podMetrics.push({ namespace: pod.namespace, name: pod.name, uid: pod.uid, containers });
      }
    }
    for (const [id, tr] of this.tracked) if (tr.seen !== this.round) this.untrack(id);
    return {
      schemaVersion: METRICS_SCHEMA_VERSION,
      node: this.opts.node,
      time: wallTime.toISOString(),
      intervalMs: this.opts.intervalMs,
      nodeMetrics,
      pods: podMetrics,
    };
  }

  private sampleContainer(
    pod: PodRef,
    c: PodRef['containers'][number],
    t: number,
    cores: number,
    nodeMemory: number,
  ): ContainerMetrics | undefined {
    const id = parseContainerId(c.containerID);
    if (!id) return undefined;
    const h = this.opts.hierarchies;
    let tr = this.tracked.get(id.id);
    if (!tr) {
      const path = containerCgroupCandidates(pod, id, this.opts.kubeletCgroupRoot).find((p) =>
        cgroupExists(h, p),
      );
      if (!path) return undefined;
      let usage: UsageReader;
      try {
        usage = new UsageReader(h, path);
      } catch {
        return undefined;
      }
      tr = {
        path,
        usage,
        cpu: new RateWindow(this.opts.cpuWindowMs),
        limits: {},
        limitsAt: -Infinity,
        seen: 0,
      };
      this.tracked.set(id.id, tr);
    }
    tr.seen = this.round;
    try {
      const stale = t - tr.limitsAt >= (this.opts.limitRefreshMs ?? 300_000);
      if (stale || tr.limitsOf !== pod.resourceVersion) {
        tr.limits = readLimits(h, tr.path);
        tr.limitsAt = t;
        tr.limitsOf = pod.resourceVersion;
      }
      const usage = tr.usage.read();
      const nsPerMs = tr.cpu.add(t, usage.cpuNs);
      const memLimit = Math.min(tr.limits.memoryBytes ?? nodeMemory, nodeMemory);
      const m: ContainerMetrics = {
        name: c.name,
        memoryPercent: percent(usage.memoryBytes / memLimit),
        memoryBytes: usage.memoryBytes,
      };
      if (nsPerMs !== undefined) {
        const coresUsed = nsPerMs / 1e6;
        m.cpuPercent = percent(coresUsed / (tr.limits.cpuCores ?? cores));
      }
      return m;
    } catch {
      this.untrack(id.id); // the container went away between listing and reading
      return undefined;
    }
  }

  private untrack(containerId: string): void {
    this.tracked.get(containerId)?.usage.close();
    this.tracked.delete(containerId);
  }
}
