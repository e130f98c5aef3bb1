import test from 'ava';
import { parseAgentFlags } from '../../reconcilers/agent/command.ts';

test('flags over environment variables over defaults', (t) => {
  t.deepEqual(parseAgentFlags(['--nats-url=nats://a:4222'], { NODE_NAME: 'edge-1' }), {
    node: 'edge-1',
    natsUrl: 'nats://a:4222',
    intervalMs: 1000,
    cpuWindowMs: 1000,
    cgroupRoot: '/sys/fs/cgroup',
    kubeletCgroupRoot: '/',
    procRoot: '/proc',
    kubeconfig: undefined,
  });
  const opts = parseAgentFlags(['--node=n2', '--interval=500ms', '--cgroup-root=/host/cg'], {
    NODE_NAME: 'edge-1',
    CONTINUUM_NATS_URL: 'nats://b:4222',
    CONTINUUM_INTERVAL: '5s',
    CONTINUUM_CPU_WINDOW: '250ms',
    CONTINUUM_PROC_ROOT: '/host/proc',
    CONTINUUM_KUBECONFIG: '/k',
  });
  t.like(opts, {
    node: 'n2',
    natsUrl: 'nats://b:4222',
    intervalMs: 500,
    cpuWindowMs: 250,
    cgroupRoot: '/host/cg',
    procRoot: '/host/proc',
    kubeconfig: '/k',
  });
  t.is(parseAgentFlags(['--help'], {}), 'help');
});

test('the kubelet cgroup root: flag over environment variable', (t) => {
  const base = ['--node=n', '--nats-url=nats://a'];
  const env = { CONTINUUM_KUBELET_CGROUP_ROOT: '/from-env' };
  t.like(parseAgentFlags(base, env), { kubeletCgroupRoot: '/from-env' });
  t.like(parseAgentFlags([...base, '--kubelet-cgroup-root=/site-a/edge'], env), {
    kubeletCgroupRoot: '/site-a/edge',
  });
  t.throws(() => parseAgentFlags([...base, '--kubelet-cgroup-root=/a/../b'], {}), {
    message: /invalid kubelet cgroup root/,
  });
});

test('missing or invalid flags are errors', (t) => {
  t.throws(() => parseAgentFlags(['--nats-url=nats://a'], {}), { message: /--node/ });
  t.throws(() => parseAgentFlags(['--node=a'], {}), { message: /--nats-url/ });
  t.throws(() => parseAgentFlags(['--node=a', '--nats-url=x', '--interval=fast'], {}), {
    message: /invalid duration "fast"/,
  });
  t.throws(() => parseAgentFlags(['--bogus'], {}));
});
