/**
 * What a benchmarked `continuum operator` process costs: the API requests it sends (counted
 * inside it by the preload count-requests.js), its peak RSS and its CPU time (from /proc).
 * Shared by the benchmarks that start the operator through tests/migration/harness.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PRELOAD = fileURLToPath(new URL('./count-requests.js', import.meta.url));

/** Whether the operator runs compiled (`npm run build` made dist/) or under tsx. */
export const COMPILED = existsSync(
  fileURLToPath(new URL('../dist/reconcilers/cli.js', import.meta.url)),
);

/** Requests so far: in all, and by method and resource (`GET pods`, `PATCH migrations/status`). */
export interface RequestCounts {
  total: number;
  byRequest: Record<string, number>;
}

export interface RequestCounter {
  /** The operator's environment: the preload (and CONTINUUM_BENCH_NODE_OPTIONS) in NODE_OPTIONS. */
  env: NodeJS.ProcessEnv;
  /** The counts the operator last wrote (every 500 ms: wait that long for a final figure). */
  read(): RequestCounts;
}

/** Counts the requests the operator sends to `apiServer` (a URL) in `file`. */
export function requestCounter(apiServer: string, file: string): RequestCounter {
  return {
    env: {
      NODE_OPTIONS: `--import ${PRELOAD} ${process.env.CONTINUUM_BENCH_NODE_OPTIONS ?? ''}`,
      CONTINUUM_COUNT_PORT: new URL(apiServer).port,
      CONTINUUM_COUNT_FILE: file,
    },
    read: () => JSON.parse(readFileSync(file, 'utf8')) as RequestCounts,
  };
}

/**
 * The requests between two counts by method and resource, divided by `per` (Migrations,
 * seconds), largest first; kinds not sent in between are left out.
 */
export function requestsBetween(
  before: RequestCounts,
  after: RequestCounts,
  per: number,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after.byRequest)
      .map(([k, v]) => [k, round((v - (before.byRequest[k] ?? 0)) / per, 2)] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]),
  );
}

/** CPU seconds (user + system) process `pid` has used. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
}

/** The peak resident set of process `pid` so far (VmHWM), in MiB. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

export function round(x: number, digits: number): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
