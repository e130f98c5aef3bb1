/**
 * The v2 path on a tree of real cgroup v2 file formats (this machine's controllers are on v1):
 * systemd driver, containerd and CRI-O scopes, burstable and guaranteed pods, with and without
 * limits; node figures from a /proc of real formats.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sampler, type PodRef } from '../../reconcilers/agent/sampler.ts';
import { detectHierarchies } from '../../reconcilers/agent/cgroup-files.ts';
import { parseMetricsMessage } from '../../reconcilers/agent/message.ts';

const GiB = 1024 ** 3;

function procStat(busy: number, idle: number): string {
  return [
    `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0`,
    ...[0, 1, 2, 3].map((i) => `cpu${i} 0 0 0 0 0 0 0 0 0 0`),
    'intr 0',
    'ctxt 0',
    '',
  ].join('\n');
}

const meminfo = (totalKb: number, availKb: number) =>
  `MemTotal:       ${totalKb} kB\nMemFree:         1000 kB\nMemAvailable:   ${availKb} kB\nBuffers: 0 kB\n`;

function cpuStat(usageUsec: number): string {
  return `usage_usec ${usageUsec}\nuser_usec ${usageUsec}\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n`;
}

test('v2, systemd driver: CPU % of cpu.max, else of node cores; memory % of memory.max, else node memory', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'continuum-v2-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const cg = join(root, 'cgroup');
  const proc = join(root, 'proc');
  mkdirSync(proc);
  mkdirSync(cg);
  writeFileSync(join(cg, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  const burstable: PodRef = {
    namespace: 'default',
    name: 'web',
    uid: '1b2c3d4e-0000-4000-8000-000000000001',
    qosClass: 'Burstable',
    containers: [{ name: 'app', containerID: 'containerd://aaa111' }],
  };
  const guaranteed: PodRef = {
    namespace: 'default',
    name: 'db',
    uid: '1b2c3d4e-0000-4000-8000-000000000002',
    containers: [{ name: 'db', containerID: 'cri-o://bbb222' }],
  };
  const webDir = join(
    cg,
    'kubepods.slice/kubepods-burstable.slice',
    'kubepods-burstable-pod1b2c3d4e_0000_4000_8000_000000000001.slice/cri-containerd-aaa111.scope',
  );
  const dbDir = join(
    cg,
    'kubepods.slice/kubepods-pod1b2c3d4e_0000_4000_8000_000000000002.slice/crio-bbb222.scope',
  );
  mkdirSync(webDir, { recursive: true });
  mkdirSync(dbDir, { recursive: true });
  writeFileSync(join(webDir, 'cpu.max'), '50000 100000\n');
  writeFileSync(join(webDir, 'memory.max'), `${GiB}\n`);
  writeFileSync(join(webDir, 'memory.current'), `${GiB / 4}\n`);
  writeFileSync(join(dbDir, 'cpu.max'), 'max 100000\n');
  writeFileSync(join(dbDir, 'memory.max'), 'max\n');
  writeFileSync(join(dbDir, 'memory.current'), `${GiB}\n`);
  const write = (web: number, db: number, busy: number, idle: number) => {
    writeFileSync(join(webDir, 'cpu.stat'), cpuStat(web));
    writeFileSync(join(dbDir, 'cpu.stat'), cpuStat(db));
    writeFileSync(join(proc, 'stat'), procStat(busy, idle));
  };
  writeFileSync(join(proc, 'meminfo'), meminfo(8 * 1024 * 1024, 6 * 1024 * 1024));
  write(1_000_000, 5_000_000, 1000, 1000);
  let now = 0;
  const sampler = new Sampler({
    node: 'edge-1',
    hierarchies: detectHierarchies(cg),
    procRoot: proc,
    intervalMs: 1000,
    cpuWindowMs: 1000,
    now: () => now,
  });
  t.teardown(() => sampler.close());
  const first = sampler.sample([burstable, guaranteed], new Date('2026-11-28T08:00:00Z'));
  t.is(first.pods[0]!.containers[0]!.cpuPercent, undefined);
  t.is(first.nodeMetrics.memoryPercent, 25);
  now = 1000;
  // web used 0.5 s of CPU in 1 s under a 0.5 CPU limit; db 1 s without limit on 4 cores.
  write(1_500_000, 6_000_000, 1300, 1100);
  const second = sampler.sample([burstable, guaranteed], new Date('2026-11-28T08:00:01Z'));
  t.true(parseMetricsMessage(JSON.stringify(second), 'edge-1').ok);
  t.deepEqual(second.nodeMetrics, { cpuPercent: 75, memoryPercent: 25 });
  t.deepEqual(second.pods, [
    {
      namespace: 'default',
      name: 'web',
      uid: burstable.uid,
      containers: [{ name: 'app', cpuPercent: 100, memoryPercent: 25, memoryBytes: GiB / 4 }],
    },
    {
      namespace: 'default',
      name: 'db',
      uid: guaranteed.uid,
      containers: [{ name: 'db', cpuPercent: 25, memoryPercent: 12.5, memoryBytes: GiB }],
    },
  ]);
});
