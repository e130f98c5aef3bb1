/**
 * Reading a container's CPU and memory from cgroup files, v2 (unified) or v1 (cpu, cpuacct and
 * memory hierarchies, possibly co-mounted as `cpu,cpuacct`). Reads are synchronous: each file is
 * a few bytes in a pseudo-filesystem, and sync reads keep the agent's overhead low.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenFile } from './open-file.ts';

/** The mounted hierarchies under a cgroup root (`/sys/fs/cgroup` on a node). */
export type Hierarchies =
  { version: 2; unified: string } | { version: 1; cpu: string; cpuacct: string; memory: string };

/**
 * Finds the hierarchies under `root`: v2 when `root/cgroup.controllers` exists, else v1 with
 * `root/cpu,cpuacct` or `root/cpu` + `root/cpuacct`, and `root/memory`. Throws when neither.
 */
export function detectHierarchies(root: string): Hierarchies {
  if (existsSync(join(root, 'cgroup.controllers'))) return { version: 2, unified: root };
  const first = (...names: string[]) => names.map((n) => join(root, n)).find((p) => existsSync(p));
  const cpu = first('cpu,cpuacct', 'cpu');
  const cpuacct = first('cpu,cpuacct', 'cpuacct');
  const memory = first('memory');
  if (!cpu || !cpuacct || !memory) {
    throw new Error(
      `cannot find cgroup hierarchies under "${root}": neither v2 nor v1 cpu/cpuacct/memory`,
    );
  }
  return { version: 1, cpu, cpuacct, memory };
}

/** A container's limits; `undefined` means unlimited. */
export interface CgroupLimits {
  cpuCores?: number;
  memoryBytes?: number;
}

export interface CgroupUsage {
  /** Cumulative CPU time, nanoseconds. */
  cpuNs: number;
  memoryBytes: number;
}

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'latin1');
}

/** Parses v2 `cpu.max` ("max 100000" or "50000 100000") into cores; undefined when unlimited. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === 'max' || quota === undefined) return undefined;
  return Number(quota) / Number(period ?? 100000);
}

/** Parses v2 `memory.max` ("max" or bytes); undefined when unlimited. */
export function parseMemoryMax(text: string): number | undefined {
  const t = text.trim();
  return t === 'max' ? undefined : Number(t);
}

/** Reads `usage_usec` from v2 `cpu.stat`, in nanoseconds. */
export function parseCpuStatUsage(text: string): number {
  const match = /^usage_usec (\d+)$/m.exec(text);
  if (!match) throw new Error('cpu.stat has no usage_usec');
  return Number(match[1]) * 1000;
}

/** v1 quota: `cpu.cfs_quota_us` is -1 when unlimited. */
export function v1CpuCores(quotaText: string, periodText: string): number | undefined {
  const quota = Number(quotaText.trim());
  return quota <= 0 ? undefined : quota / Number(periodText.trim());
}

/** Locates the relative path that exists, probing in the hierarchy that holds CPU usage. */
export function cgroupExists(h: Hierarchies, relative: string): boolean {
  return existsSync(join(h.version === 2 ? h.unified : h.cpuacct, relative));
}

/**
 * Reads a container's usage every sample from files kept open (see {@link OpenFile}); the
 * constructor throws (ENOENT) when the cgroup does not exist, {@link read} when it went away.
 * Must be closed.
 */
export class UsageReader {
  private readonly cpu: OpenFile;
  private readonly memory: OpenFile;
  private readonly v2: boolean;

  constructor(h: Hierarchies, relative: string) {
    this.v2 = h.version === 2;
    const [cpu, memory] =
      h.version === 2
        ? [join(h.unified, relative, 'cpu.stat'), join(h.unified, relative, 'memory.current')]
        : [
            join(h.cpuacct, relative, 'cpuacct.usage'),
            join(h.memory, relative, 'memory.usage_in_bytes'),
          ];
    this.cpu = new OpenFile(cpu);
    try {
      this.memory = new OpenFile(memory);
    } catch (err) {
      this.cpu.close();
      throw err;
    }
  }

  read(): CgroupUsage {
    const cpu = this.cpu.text(256);
    return {
      cpuNs: this.v2 ? parseCpuStatUsage(cpu) : Number(cpu),
      memoryBytes: Number(this.memory.text(64)),
    };
  }

  close(): void {
    this.cpu.close();
    this.memory.close();
  }
}

/**
 * The container's limits. v1's "unlimited" memory is a huge page-aligned number, so any memory
 * limit is returned as is and callers cap it at node memory.
 */
export function readLimits(h: Hierarchies, relative: string): CgroupLimits {
  if (h.version === 2) {
    const dir = join(h.unified, relative);
    return {
      cpuCores: parseCpuMax(read(dir, 'cpu.max')),
      memoryBytes: parseMemoryMax(read(dir, 'memory.max')),
    };
  }
  const cpuDir = join(h.cpu, relative);
  return {
    cpuCores: v1CpuCores(read(cpuDir, 'cpu.cfs_quota_us'), read(cpuDir, 'cpu.cfs_period_us')),
    memoryBytes: Number(read(join(h.memory, relative), 'memory.limit_in_bytes')),
  };
}
