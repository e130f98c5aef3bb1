/** Node-wide CPU and memory from /proc (`--proc-root` points elsewhere in tests). */
import { join } from 'node:path';
import { OpenFile } from './open-file.ts';

export interface CpuTimes {
  /** Jiffies spent not idle (user, nice, system, irq, softirq, steal), all cores. */
  busy: number;
  /** All jiffies, all cores. */
  total: number;
  /** Number of `cpuN` lines: the node's cores. */
  cores: number;
}

export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
}

/** Parses /proc/stat: the aggregate `cpu` line (iowait counts as idle) and the per-core lines. */
export function parseProcStat(text: string): CpuTimes {
  const lines = text.split('\n');
  const fields = lines
    .find((l) => l.startsWith('cpu '))
    ?.trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  if (!fields || fields.length < 4 || fields.some((f) => !Number.isFinite(f))) {
    throw new Error('/proc/stat has no aggregate cpu line');
  }
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const cores = lines.filter((l) => /^cpu\d+\s/.test(l)).length;
  return { busy: total - idle, total, cores: Math.max(cores, 1) };
}

/** Parses MemTotal and MemAvailable (kB) from /proc/meminfo. */
export function parseMemInfo(text: string): MemInfo {
  const kb = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!match) throw new Error(`/proc/meminfo has no ${key}`);
    return Number(match[1]) * 1024;
  };
  return { totalBytes: kb('MemTotal'), availableBytes: kb('MemAvailable') };
}

/** Reads the node's figures from /proc/stat and /proc/meminfo kept open (see {@link OpenFile}). */
export class ProcReader {
  private readonly stat: OpenFile;
  private readonly meminfo: OpenFile;
  /** Counted once: the aggregate line comes first, so later reads stop after it. */
  private readonly cores: number;

  constructor(procRoot: string) {
    this.stat = new OpenFile(join(procRoot, 'stat'));
    this.meminfo = new OpenFile(join(procRoot, 'meminfo'));
    this.cores = parseProcStat(this.stat.text(64 * 1024)).cores;
  }

  cpu(): CpuTimes {
    return { ...parseProcStat(this.stat.text(512)), cores: this.cores };
  }

  memory(): MemInfo {
    return parseMemInfo(this.meminfo.text(4096));
  }

  close(): void {
    this.stat.close();
    this.meminfo.close();
  }
}
