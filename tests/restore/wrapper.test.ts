/**
 * bin/continuum-runc with runc and CRIU directly, no kubelet: the calls containerd's shim makes
 * (create, start, state, kill, delete) on a container restored from a checkpoint image that
 * `continuum imager` wrote; unmarked containers untouched; a restart after the restore fresh;
 * and the hostile checkpoints, each refused with its reason in runc's --log file (what the shim
 * reports), nothing written outside the container's rootfs.
 */
import { gzipSync } from 'node:zlib';
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testEnv } from '../env/info.ts';
import { waitFor } from '../env/wait.ts';
import { bundle, installWrapper, markedSpec, tarOf, writeLayout } from './fixtures.ts';

const repo = resolve(import.meta.dirname, '../..');
const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done';
const key = randomBytes(32);

interface Rig {
  dir: string;
  wrapper: string;
  global: string[];
  env: NodeJS.ProcessEnv;
  cgroup(name: string): string;
}

/** A private runc root, state directory and wrapper installation; containers removed after. */
function rig(t: ExecutionContext): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-runc-'));
  const root = join(dir, 'runc');
  const criu = join(testEnv().binDir, 'criu');
  const wrapper = installWrapper(join(dir, 'wrapper'), key);
  const env = { ...process.env, CONTINUUM_RUNC_STATE: join(dir, 'state') };
  t.teardown(() => {
    for (const id of existsSync(root) ? readdirSync(root) : [])
      spawnSync('runc', ['--root', root, 'delete', '--force', id]);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    wrapper,
    global: [
      '--root',
      root,
      '--criu',
      criu,
      '--log',
      join(dir, 'runc.log'),
      '--log-format',
      'json',
    ],
    env,
    cgroup: (name) => `continuum-${process.pid}-runc-${name}`,
  };
}

function call(r: Rig, args: string[]) {
  // stdio /dev/null: a created container keeps its stdio, and would hold a pipe open
  return spawnSync(r.wrapper, [...r.global, ...args], { env: r.env, stdio: 'ignore' });
}

function runc(r: Rig, args: string[]): string {
  const detached = args[0] === 'run';
  return (
    execFileSync('runc', [...r.global, ...args], {
      encoding: 'utf8',
      stdio: detached ? 'ignore' : ['ignore', 'pipe', 'pipe'],
    }) ?? ''
  );
}

function count(bundleDir: string): number {
  try {
    return Number(readFileSync(join(bundleDir, 'rootfs/tmp/count'), 'utf8').trim());
  } catch {
    return 0;
  }
}

/** The error lines the wrapper left in runc's log. */
function loggedErrors(r: Rig): string[] {
  if (!existsSync(join(r.dir, 'runc.log'))) return [];
  return readFileSync(join(r.dir, 'runc.log'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { level: string; msg: string })
    .filter((l) => l.level === 'error')
    .map((l) => l.msg);
}

/**
 * Checkpoints a busybox counter (runc checkpoint, as the kubelet's runtime does) and images it
 * with `continuum imager --oci-layout`: returns the checkpoint volume (a layout per container),
 * the image digest and the count at the checkpoint.
 */
function checkpointedCounter(r: Rig): { checkpoints: string; digest: string; at: number } {
  const source = join(r.dir, 'source');
  bundle(source, COUNTER, { cgroup: r.cgroup('source') });
  runc(r, ['run', '--detach', '--bundle', source, `src-${process.pid}`]);
  const archiveDir = join(r.dir, 'archive');
  mkdirSync(archiveDir);
  const started = Date.now();
  while (count(source) < 5 && Date.now() - started < 10_000) execFileSync('sleep', ['0.1']);
  runc(r, [
    'checkpoint',
    '--image-path',
    join(archiveDir, 'checkpoint'),
    '--work-path',
    join(r.dir, 'dump'),
    `src-${process.pid}`,
  ]);
  const at = count(source);
  cpSync(join(source, 'config.json'), join(archiveDir, 'spec.dump'));
  writeFileSync(
    join(archiveDir, 'config.dump'),
    JSON.stringify({ id: 'src', rootfsImageName: 'busybox' }),
  );
  // what the runtime records of the container's writable layer: the counter file, a new file,
  // and a file of the image the container deleted (containerd gzips the diff, CRI-O does not)
  writeFileSync(
    join(archiveDir, 'rootfs-diff.tar'),
    gzipSync(
      tarOf([
        { name: 'tmp/count', data: `${at}\n` },
        { name: 'data/', type: 'dir' },
        { name: 'data/written-before', data: 'kept' },
      ]),
    ),
  );
  writeFileSync(join(archiveDir, 'deleted.files'), JSON.stringify(['/bin/cat']));
  const archive = join(r.dir, 'checkpoint.tar');
  execFileSync('tar', ['-cf', archive, '-C', archiveDir, '.']);
  const checkpoints = join(r.dir, 'checkpoints');
  const out = execFileSync(
    process.execPath,
    [
      join(repo, 'bin/continuum.js'),
      'imager',
      '--archive',
      archive,
      '--container',
      'counter',
      '--oci-layout',
      join(checkpoints, 'counter'),
    ],
    { encoding: 'utf8' },
  );
  return { checkpoints, digest: out.trim().split('\n').pop()!, at };
}

/** A bundle for the restored container: the same image, fresh, marked as containerd would. */
function target(r: Rig, name: string, marks: Parameters<typeof markedSpec>[1], ownNetwork = false) {
  const dir = join(r.dir, name);
  const spec = bundle(dir, COUNTER, { cgroup: r.cgroup(name), ownNetwork });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(markedSpec(spec, marks)));
  return dir;
}

const realRuntime = () => testEnv().realNodes.length > 0;

test.serial(
  'a container is restored in place of its create; start, state, kill and delete follow',
  async (t) => {
    if (!realRuntime()) return t.pass('no runc/CRIU in this run (CONTINUUM_REAL_NODES=0)');
    const r = rig(t);
    const { checkpoints, digest, at } = checkpointedCounter(r);
    t.true(at >= 5);
    const dir = target(r, 'restored', {
      container: 'counter',
      restartCount: '0',
      checkpoints,
      ticket: { key, digest },
    });
    const id = `dst-${process.pid}`;
    const created = call(r, ['create', '--bundle', dir, '--pid-file', join(dir, 'init.pid'), id]);
    t.is(created.status, 0, loggedErrors(r).join('\n'));
    t.is(call(r, ['start', id]).status, 0);
    t.is(JSON.parse(runc(r, ['state', id])).status, 'running');
    t.true(existsSync(join(dir, 'init.pid')));
    // the counter goes on from where it was: memory state, not a fresh start
    await waitFor('the restored counter to go on', () => count(dir) > at + 3, 10_000);
    t.is(readFileSync(join(dir, 'rootfs/data/written-before'), 'utf8'), 'kept');
    t.false(existsSync(join(dir, 'rootfs/bin/cat')), 'deleted.files applied');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    t.false(
      JSON.stringify(config.mounts).includes('continuum-checkpoint'),
      'the checkpoint mount is gone',
    );
    t.deepEqual(
      readdirSync(checkpoints).filter((f) => f.startsWith('.restore')),
      [],
      'work files removed',
    );
    t.is(call(r, ['kill', id, '9']).status, 0);
    await waitFor('stopped', () => JSON.parse(runc(r, ['state', id])).status === 'stopped', 5000);
    t.is(call(r, ['delete', id]).status, 0);
    t.deepEqual(readdirSync(join(r.dir, 'state')), []);

    // the same container restarting (count 1) starts fresh from its image
    const again = target(r, 'restarted', {
      container: 'counter',
      restartCount: '1',
      checkpoints,
      ticket: { key, digest },
    });
    t.is(call(r, ['create', '--bundle', again, `re-${process.pid}`]).status, 0);
    t.is(call(r, ['start', `re-${process.pid}`]).status, 0);
    await waitFor('the fresh counter', () => count(again) > 0, 5000);
    t.true(count(again) < at, `fresh start: ${count(again)} < ${at}`);
  },
);

test.serial('an unmarked container goes to runc untouched', async (t) => {
  if (!realRuntime()) return t.pass('no runc in this run');
  const r = rig(t);
  const dir = join(r.dir, 'plain');
  bundle(dir, COUNTER, { cgroup: r.cgroup('plain') });
  const before = readFileSync(join(dir, 'config.json'), 'utf8');
  t.is(call(r, ['create', '--bundle', dir, `plain-${process.pid}`]).status, 0);
  t.is(JSON.parse(runc(r, ['state', `plain-${process.pid}`])).status, 'created');
  t.is(call(r, ['start', `plain-${process.pid}`]).status, 0);
  await waitFor('the plain counter', () => count(dir) > 0, 5000);
  t.is(readFileSync(join(dir, 'config.json'), 'utf8'), before);
  t.false(existsSync(join(r.dir, 'state')));
});

test.serial(
  'hostile checkpoints are refused with their reason in the log; nothing escapes',
  async (t) => {
    if (!realRuntime()) return t.pass('no runc in this run');
    const r = rig(t);
    const { checkpoints, digest } = checkpointedCounter(r);
    const outside = join(r.dir, 'outside');
    mkdirSync(outside);
    let n = 0;
    const refused = (
      marks: Parameters<typeof markedSpec>[1],
      reason: RegExp,
      ownNetwork = false,
    ) => {
      const name = `hostile-${n++}`;
      const dir = target(r, name, marks, ownNetwork);
      const result = call(r, ['create', '--bundle', dir, `${name}-${process.pid}`]);
      t.is(result.status, 1, name);
      t.regex(loggedErrors(r).pop() ?? '', reason, name);
      t.throws(
        () => runc(r, ['state', `${name}-${process.pid}`]),
        undefined,
        `${name}: no container`,
      );
      t.deepEqual(readdirSync(outside), [], `${name}: nothing outside`);
    };
    const layout = (name: string, entries: Parameters<typeof tarOf>[0], arch = 'amd64') => {
      const dir = join(r.dir, `volume-${name}`);
      const archive = tarOf([
        { name: 'checkpoint/', type: 'dir' },
        { name: 'spec.dump', data: readFileSync(join(r.dir, 'source/config.json')) },
        { name: 'config.dump', data: '{}' },
        ...entries,
      ]);
      return { checkpoints: dir, digest: writeLayout(join(dir, 'counter'), archive, arch) };
    };
    const base = { container: 'counter', restartCount: '0' };

    // tampered: one byte of the layer changed
    const tampered = join(r.dir, 'tampered');
    cpSync(checkpoints, tampered, { recursive: true });
    const blobs = join(tampered, 'counter/blobs/sha256');
    const layer = readdirSync(blobs)
      .map((f) => join(blobs, f))
      .sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
    const bytes = readFileSync(layer);
    bytes[bytes.length - 2000]! ^= 1;
    writeFileSync(layer, bytes);
    refused({ ...base, checkpoints: tampered, ticket: { key, digest } }, /truncated or tampered/);
    // missing: the fetch step never wrote it
    refused(
      { ...base, checkpoints: join(r.dir, 'empty'), ticket: { key, digest } },
      /missing on the node/,
    );
    // another architecture
    const arm = layout('arm', [], 'arm64');
    refused({ ...base, ...arm, ticket: { key, digest: arm.digest } }, /taken on linux\/arm64/);
    // a rootfs diff escaping through "..", an absolute path, a symlink it brings
    for (const entries of [
      [{ name: '../../outside/x', data: 'x' }],
      [{ name: `${outside}/x`, data: 'x' }],
      [
        { name: 'etc', type: 'symlink' as const, linkName: outside },
        { name: 'etc/x', data: 'x' },
      ],
    ]) {
      const hostile = layout(`diff-${n}`, [{ name: 'rootfs-diff.tar', data: tarOf(entries) }]);
      refused(
        { ...base, ...hostile, ticket: { key, digest: hostile.digest } },
        /rootfs diff is refused/,
      );
    }
    // a host-network checkpoint into a pod with its own network namespace
    refused({ ...base, checkpoints, ticket: { key, digest } }, /taken with host networking/, true);
    // an annotation nobody with the key wrote
    refused({ ...base, checkpoints, ticket: { key: randomBytes(32), digest } }, /not signed/);
    // the restore failed: the kubelet's retry (count 1) is refused too, not started fresh
    refused(
      { ...base, restartCount: '1', checkpoints: tampered, ticket: { key, digest } },
      /failed before/,
    );
  },
);
