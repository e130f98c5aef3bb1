/**
 * A real cgroup v1 tree for the agent's tests, named as the kubelet (cgroupfs driver) names a
 * pod's containers: `<top>/kubepods/burstable/pod<uid>/<containerId>` in the cpu, cpuacct and
 * memory hierarchies. `<top>` is a unique directory created under this process's own cgroup of
 * each hierarchy; `root` is a temp dir whose `cpu`, `cpuacct`, `memory` entries are symlinks to
 * the `<top>` directories, so it can be handed to the agent as `--cgroup-root`.
 * {@link V1Tree.remove} kills the processes placed in it and removes everything bottom-up.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CONTROLLERS = ['cpu', 'cpuacct', 'memory'] as const;
type Controller = (typeof CONTROLLERS)[number];

/** This process's cgroup in each v1 hierarchy, from /proc/self/cgroup. */
function ownCgroup(controller: Controller): string {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers?.split(',').includes(controller)) {
      return join('/sys/fs/cgroup', controllers, path ?? '/');
    }
  }
  throw new Error(`no v1 ${controller} hierarchy in /proc/self/cgroup`);
}

export function v1Available(): boolean {
  try {
    CONTROLLERS.forEach(ownCgroup);
    return true;
  } catch {
    return false;
  }
}

export class V1Tree {
  readonly root = mkdtempSync(join(tmpdir(), 'continuum-cgroot-'));
  private readonly tops: Record<Controller, string>;
  private readonly created: string[] = [];

  constructor() {
    const name = `continuum-test-${randomBytes(4).toString('hex')}`;
    this.tops = Object.fromEntries(CONTROLLERS.map((c) => [c, join(ownCgroup(c), name)])) as Record<
      Controller,
      string
    >;
    for (const c of CONTROLLERS) {
      mkdirSync(this.tops[c]);
      symlinkSync(this.tops[c], join(this.root, c));
    }
    // The largest CPU weight, so a process under a quota gets all of it even on a busy machine
    // (as the kubelet weights pods by their requests); the quota still caps it.
    writeFileSync(join(this.tops.cpu, 'cpu.shares'), '262144');
  }

  /** Creates `relative` (each level) in every hierarchy. */
  mkdir(relative: string): void {
    const parts = relative.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      if (this.created.includes(sub)) continue;
      for (const c of CONTROLLERS) mkdirSync(join(this.tops[c], sub));
      this.created.push(sub);
    }
  }

  write(controller: Controller, relative: string, file: string, value: string): void {
    writeFileSync(join(this.tops[controller], relative, file), value);
  }

  /** Starts `node -e <script>` inside `relative` in every hierarchy (it enters before exec). */
  spawnNode(relative: string, script: string): ChildProcess {
    const procs = CONTROLLERS.map((c) => join(this.tops[c], relative, 'cgroup.procs'));
    const enter = procs.map((_, i) => `echo $$ > "$P${i}"`).join(' && ');
    return spawn('sh', ['-c', `${enter} && exec "$NODE" -e "$SCRIPT"`], {
      env: {
        ...process.env,
        NODE: process.execPath,
        SCRIPT: script,
        ...Object.fromEntries(procs.map((p, i) => [`P${i}`, p])),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
  }

  /** Kills every process in the tree and removes it bottom-up; safe to call twice. */
  remove(): void {
    const dirs = [...this.created]
      .reverse()
      .flatMap((sub) => CONTROLLERS.map((c) => join(this.tops[c], sub)));
    for (const dir of dirs) {
      for (const pid of readPids(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    for (const dir of [...dirs, ...CONTROLLERS.map((c) => this.tops[c])]) removeCgroup(dir);
    this.created.length = 0;
    rmSync(this.root, { recursive: true, force: true });
  }
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** rmdir of a cgroup fails with EBUSY while killed processes are still exiting: retry briefly. */
function removeCgroup(dir: string): void {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  throw new Error(`cannot remove cgroup "${dir}": still busy`);
}
