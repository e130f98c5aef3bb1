import test from 'ava';
import {
  containerCgroupCandidates,
  parseContainerId,
  parseKubeletCgroupRoot,
} from '../../reconcilers/agent/cgroup-paths.ts';
import {
  parseCpuMax,
  parseCpuStatUsage,
  parseMemoryMax,
  v1CpuCores,
} from '../../reconcilers/agent/cgroup-files.ts';
import { parseMemInfo, parseProcStat } from '../../reconcilers/agent/proc.ts';

const uid = '0f1e2d3c-aaaa-4bbb-8ccc-123456789abc';

test('container IDs of containerd and CRI-O; anything else is not a container ID', (t) => {
  t.deepEqual(parseContainerId('containerd://abc123'), { runtime: 'containerd', id: 'abc123' });
  t.deepEqual(parseContainerId('cri-o://def456'), { runtime: 'cri-o', id: 'def456' });
  t.is(parseContainerId(''), undefined);
  t.is(parseContainerId(undefined), undefined);
  t.is(parseContainerId('containerd://../../etc'), undefined);
});

const table: [string, string | undefined, string, string][] = [
  [
    'burstable, containerd, systemd',
    'Burstable',
    'containerd://c1',
    'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_aaaa_4bbb_8ccc_123456789abc.slice/cri-containerd-c1.scope',
  ],
  [
    'besteffort, CRI-O, systemd',
    'BestEffort',
    'cri-o://c2',
    'kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f1e2d3c_aaaa_4bbb_8ccc_123456789abc.slice/crio-c2.scope',
  ],
  [
    'guaranteed, containerd, systemd',
    'Guaranteed',
    'containerd://c3',
    'kubepods.slice/kubepods-pod0f1e2d3c_aaaa_4bbb_8ccc_123456789abc.slice/cri-containerd-c3.scope',
  ],
  [
    'burstable, containerd, cgroupfs',
    'Burstable',
    'containerd://c4',
    `kubepods/burstable/pod${uid}/c4`,
  ],
  ['guaranteed, CRI-O, cgroupfs', 'Guaranteed', 'cri-o://c5', `kubepods/pod${uid}/crio-c5`],
  [
    'unknown QoS still finds besteffort',
    undefined,
    'containerd://c6',
    `kubepods/besteffort/pod${uid}/c6`,
  ],
];

for (const [title, qosClass, containerID, expected] of table) {
  test(`cgroup path: ${title}`, (t) => {
    const candidates = containerCgroupCandidates({ uid, qosClass }, parseContainerId(containerID)!);
    t.true(candidates.includes(expected), candidates.join('\n'));
  });
}

test('the kubelet cgroup root: "/" adds nothing, other roots prefix both drivers as the kubelet does', (t) => {
  const id = parseContainerId('containerd://c7')!;
  const pod = { uid, qosClass: 'Burstable' };
  t.deepEqual(parseKubeletCgroupRoot('/'), []);
  t.deepEqual(
    containerCgroupCandidates(pod, id, parseKubeletCgroupRoot('/')),
    containerCgroupCandidates(pod, id),
  );
  const root = parseKubeletCgroupRoot('/continuum-42-real-edge/');
  t.deepEqual(root, ['continuum-42-real-edge']);
  t.deepEqual(containerCgroupCandidates(pod, id, root), [
    'continuum_42_real_edge.slice/continuum_42_real_edge-kubepods.slice/' +
      'continuum_42_real_edge-kubepods-burstable.slice/' +
      'continuum_42_real_edge-kubepods-burstable-pod0f1e2d3c_aaaa_4bbb_8ccc_123456789abc.slice/' +
      'cri-containerd-c7.scope',
    `continuum-42-real-edge/kubepods/burstable/pod${uid}/c7`,
  ]);
  t.true(
    containerCgroupCandidates(
      { uid, qosClass: 'Guaranteed' },
      id,
      parseKubeletCgroupRoot('site/a'),
    ).includes(`site/a/kubepods/pod${uid}/c7`),
  );
  t.throws(() => parseKubeletCgroupRoot('/a/../../etc'), { message: /"\.\." are not allowed/ });
});

test('cgroup file formats', (t) => {
  t.is(parseCpuMax('max 100000\n'), undefined);
  t.is(parseCpuMax('50000 100000\n'), 0.5);
  t.is(parseMemoryMax('max\n'), undefined);
  t.is(parseMemoryMax('1073741824\n'), 1073741824);
  t.is(parseCpuStatUsage('usage_usec 1500\nuser_usec 1000\n'), 1_500_000);
  t.throws(() => parseCpuStatUsage('user_usec 1\n'));
  t.is(v1CpuCores('-1\n', '100000\n'), undefined);
  t.is(v1CpuCores('150000\n', '100000\n'), 1.5);
});

test('/proc formats', (t) => {
  const stat = parseProcStat(
    'cpu  10 1 5 80 4 0 0 0 0 0\ncpu0 5 0 2 40 2 0 0 0 0 0\ncpu1 5 1 3 40 2 0 0 0 0 0\nintr 1\n',
  );
  t.deepEqual(stat, { busy: 16, total: 100, cores: 2 });
  t.deepEqual(parseMemInfo('MemTotal:  2048 kB\nMemFree: 1 kB\nMemAvailable:  1024 kB\n'), {
    totalBytes: 2048 * 1024,
    availableBytes: 1024 * 1024,
  });
  t.throws(() => parseProcStat('intr 1\n'));
});
