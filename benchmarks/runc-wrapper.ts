/**
 * Benchmark: what bin/continuum-runc adds to a container start it does not restore — the path of
 * every container on a node of continuum's RuntimeClass. Runs the calls containerd's shim makes
 * (`create --bundle B --pid-file P ID`, `start ID`, then `kill`/`delete`) on a busybox bundle,
 * N times through plain runc and N times through the wrapper, interleaved, and prints the
 * median and p90 of create+start for each and the difference (goal: < 5 ms median). A second
 * row does the same for a container whose spec carries another pod annotation (the wrapper
 * greps its config.json for the ticket and finds none). runc's own time varies by several ms
 * from one start to the next, so a last row measures the front alone: the same calls with the
 * wrapper's runc replaced by `true`, against `true` itself. Needs root and runc; no cluster.
 *
 *   npx tsx benchmarks/runc-wrapper.ts [N=50]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle, installWrapper } from '../tests/restore/fixtures.ts';

const N = Number(process.argv[2] ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'continuum-runc-bench-'));
const root = join(dir, 'runc');
const cgroup = `continuum-${process.pid}-runc-bench`;
const wrapper = installWrapper(join(dir, 'wrapper'), Buffer.alloc(32, 1));
const env = { ...process.env, CONTINUUM_RUNC_STATE: join(dir, 'state') };
const plainBundle = join(dir, 'plain');
bundle(plainBundle, 'exec sleep 1000', { cgroup });
const annotatedBundle = join(dir, 'annotated');
bundle(annotatedBundle, 'exec sleep 1000', { cgroup });
const spec = JSON.parse(readFileSync(join(annotatedBundle, 'config.json'), 'utf8'));
spec.annotations = {
  'io.kubernetes.cri.container-type': 'container',
  'io.kubernetes.container.restartCount': '0',
  'continuum.dev/other': 'x'.repeat(200),
};
writeFileSync(join(annotatedBundle, 'config.json'), JSON.stringify(spec));

const global = ['--root', root, '--log', join(dir, 'runc.log'), '--log-format', 'json'];

/** ms of create + start of one container through `binary`; the container is removed after. */
function createStart(
  binary: string,
  bundleDir: string,
  id: string,
  runEnv: NodeJS.ProcessEnv = env,
): number {
  const started = process.hrtime.bigint();
  for (const args of [
    ['create', '--bundle', bundleDir, '--pid-file', join(dir, `${id}.pid`), id],
    ['start', id],
  ]) {
    const r = spawnSync(binary, [...global, ...args], { env: runEnv, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${binary} ${args[0]} failed (${r.status})`);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  spawnSync('runc', [...global, 'delete', '--force', id], { stdio: 'ignore' });
  return ms;
}

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

try {
  console.log(`create+start of a busybox container, ${N} each, interleaved (ms)`);
  console.log('bundle | runc median | runc p90 | wrapper median | wrapper p90 | added (median)');
  const noRunc = { ...env, CONTINUUM_RUNC_BINARY: 'true' };
  for (const [label, b, runc, wrapperEnv] of [
    ['no annotations', plainBundle, 'runc', env],
    ['another pod annotation', annotatedBundle, 'runc', env],
    ['the front alone (runc: true)', annotatedBundle, 'true', noRunc],
  ] as const) {
    const plain: number[] = [];
    const wrapped: number[] = [];
    createStart(runc, b, `warm-${process.pid}`);
    for (let i = 0; i < N; i++) {
      plain.push(createStart(runc, b, `p-${process.pid}-${i}`));
      wrapped.push(createStart(wrapper, b, `w-${process.pid}-${i}`, wrapperEnv));
    }
    const [pm, wm] = [quantile(plain, 0.5), quantile(wrapped, 0.5)];
    console.log(
      [
        label,
        pm.toFixed(1),
        quantile(plain, 0.9).toFixed(1),
        wm.toFixed(1),
        quantile(wrapped, 0.9).toFixed(1),
        `${(wm - pm).toFixed(1)}`,
      ].join(' | '),
    );
  }
} finally {
  for (const id of spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean))
    spawnSync('runc', ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
  for (const controller of [
    'cpu',
    'cpuacct',
    'memory',
    'pids',
    'cpuset',
    'blkio',
    'devices',
    'freezer',
  ])
    try {
      execFileSync('rmdir', [`/sys/fs/cgroup/${controller}/${cgroup}`], { stdio: 'ignore' });
    } catch {
      // runc removes it with the last container, or the controller is not mounted there
    }
  rmSync(dir, { recursive: true, force: true });
}
