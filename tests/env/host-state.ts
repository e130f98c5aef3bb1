/**
 * What a real node changes on the machine outside its own directories, put back when it stops
 * and, for a run that was killed before it could, by the next run's sweep:
 *  - sysctls: the kubelet sets vm.overcommit_memory, kernel.panic and kernel.panic_on_oops when
 *    it starts, the CNI bridge plugin turns on net.ipv4.ip_forward. Their values before are saved
 *    in `continuum-sysctl-<pid>.json` in the temporary directory.
 *  - cgroups: each node's cgroup root `continuum-<pid>-<node>` in every controller, with the
 *    kubelet's children under it.
 *  - processes a killed run leaves: containerd's shims and the containers' processes, found by
 *    the run's directory in their command line and by their cgroup.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { sleep } from './wait.ts';
import { join } from 'node:path';

const SYSCTLS = [
  'vm/overcommit_memory',
  'kernel/panic',
  'kernel/panic_on_oops',
  'net/ipv4/ip_forward',
];
const CGROUP_FS = '/sys/fs/cgroup';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the test environment of another live process exists (its work directory). */
export function anotherEnvAlive(): boolean {
  return readdirSync(tmpdir()).some((entry) => {
    const owner = Number(/^continuum-env-(\d+)-/.exec(entry)?.[1]);
    return owner > 0 && owner !== process.pid && isAlive(owner);
  });
}

function sysctlFile(pid: number): string {
  return join(tmpdir(), `continuum-sysctl-${pid}.json`);
}

/**
 * Saves the sysctls a kubelet or the CNI bridge plugin change; returns what puts them back. With
 * another run's nodes up, their values are already changed: the values that run saved are the
 * machine's, and the last run to stop puts them back.
 */
export function saveSysctls(pid: number): () => void {
  const other = readdirSync(tmpdir()).find((entry) => {
    const owner = Number(/^continuum-sysctl-(\d+)\.json$/.exec(entry)?.[1]);
    return owner > 0 && owner !== pid && isAlive(owner);
  });
  const saved = other
    ? readFileSync(join(tmpdir(), other), 'utf8')
    : JSON.stringify(
        Object.fromEntries(
          SYSCTLS.map((key) => [key, readFileSync(`/proc/sys/${key}`, 'utf8').trim()]),
        ),
      );
  const file = sysctlFile(pid);
  writeFileSync(file, saved);
  return () => (anotherEnvAlive() ? rmSync(file, { force: true }) : restoreSysctls(file));
}

function restoreSysctls(file: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  for (const [key, value] of Object.entries(saved)) {
    try {
      writeFileSync(`/proc/sys/${key}`, value);
    } catch {
      // not writable here: nothing was changed either
    }
  }
  rmSync(file, { force: true });
}

/** The cgroup v1 controller mounts, and the unified (v2) one where there is one. */
function cgroupMounts(): string[] {
  if (!existsSync(CGROUP_FS)) return [];
  return readdirSync(CGROUP_FS)
    .map((name) => join(CGROUP_FS, name))
    .filter((dir) => existsSync(join(dir, 'cgroup.procs')));
}

/**
 * Creates cgroup `name` (a child of the root) in every controller, cpuset.cpus and cpuset.mems
 * copied from the root as cgroup v1 requires before a task can join.
 */
export function createCgroupRoot(name: string): void {
  for (const mount of cgroupMounts()) {
    const dir = join(mount, name);
    if (!existsSync(dir)) mkdirSync(dir);
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(join(dir, file)))
        writeFileSync(join(dir, file), readFileSync(join(mount, file)));
    }
  }
}

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // still busy or already gone: the next sweep takes it
  }
}

/** Kills every process in cgroup `name` (all controllers, all depths) and removes the cgroups. */
export async function removeCgroupRoot(name: string): Promise<void> {
  for (const mount of cgroupMounts()) {
    const root = join(mount, name);
    if (!existsSync(root)) continue;
    for (const dir of depthFirst(root)) {
      for (const pid of readProcs(dir)) killQuietly(pid);
    }
    for (let attempt = 0; attempt < 50; attempt++) {
      for (const dir of depthFirst(root)) rmdirQuietly(dir);
      if (!existsSync(root)) break;
      await sleep(100);
    }
  }
}

/** `dir` and its descendants, deepest first; none of those gone meanwhile (a kubelet's). */
function depthFirst(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const children = entries
    .filter((e) => e.isDirectory())
    .flatMap((e) => depthFirst(join(dir, e.name)));
  return [...children, dir];
}

function readProcs(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** Kills the processes whose command line contains `marker` (a run's directory). */
export function killByCommandLine(marker: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker))
        killQuietly(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
}

/** Puts back what runs killed before they could stop left: sysctls, processes, cgroups. */
export async function sweepHostState(isGone: (pid: number) => boolean): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    const owner = /^continuum-sysctl-(\d+)\.json$/.exec(entry)?.[1];
    if (owner && isGone(Number(owner))) restoreSysctls(join(tmpdir(), entry));
  }
  const stale = new Set<string>();
  for (const mount of cgroupMounts()) {
    for (const entry of readdirSync(mount)) {
      const owner = /^continuum-(\d+)-/.exec(entry)?.[1];
      if (owner && isGone(Number(owner))) stale.add(entry);
    }
  }
  for (const name of stale) {
    killByCommandLine(`/continuum-env-${/^continuum-(\d+)-/.exec(name)![1]}-`);
    await removeCgroupRoot(name);
  }
}
