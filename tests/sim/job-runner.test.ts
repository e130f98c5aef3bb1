/**
 * The simulated job runner, as the test environment runs it (tests/sim/nodes.ts): a Job's pod
 * on a kwok node runs as a local process with its env, Secret and hostPath volumes mapped, and
 * its status is written like a kubelet's (Succeeded/Failed, exit code, termination message).
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchV1Api,
  CoreV1Api,
  type V1Container,
  type V1Pod,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { testEnv } from '../env/info.ts';
import { adminKubeConfig, createNamespace } from '../env/service-account.ts';
import { RUN_LABEL } from './job-runner.ts';
import { sleep, waitFor } from '../env/wait.ts';

const NS = `sim-runner-${Date.now().toString(36)}`;
const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);

async function jobPod(job: string): Promise<V1Pod | undefined> {
  const list = await core.listNamespacedPod({
    namespace: NS,
    labelSelector: `batch.kubernetes.io/job-name=${job}`,
  });
  return list.items[0];
}

const terminal = (pod: V1Pod | undefined) =>
  pod?.status?.phase === 'Succeeded' || pod?.status?.phase === 'Failed' ? pod : undefined;

/**
 * Creates the Job `name` running `container` once (no retry), on the first node; `pod` may
 * say otherwise, or give the containers and init containers.
 */
async function createJob(
  name: string,
  container: Omit<V1Container, 'name'>,
  pod: Partial<V1PodSpec> = {},
): Promise<void> {
  await batch.createNamespacedJob({
    namespace: NS,
    body: {
      metadata: { name },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            nodeName: testEnv().nodes[0]!.name,
            restartPolicy: 'Never',
            containers: [{ name: 'main', ...container }],
            ...pod,
          },
        },
      },
    },
  });
}

test.before(async () => {
  await createNamespace(NS);
  await core.createNamespacedSecret({
    namespace: NS,
    body: {
      metadata: { name: 'creds' },
      stringData: { password: 's3cret', 'config.json': '{"a":1}' },
    },
  });
});

test.after.always(async () => {
  await core.deleteNamespace({ name: NS }).catch(() => {});
});

test('a Job pod runs locally: env from a Secret, volumes mapped, Succeeded with the termination message', async (t) => {
  t.timeout(120_000);
  const node = testEnv().nodes.find((n) => n.layer === 'edge')!;
  const outFile = `runner-${NS}.txt`;
  const script = [
    'set -e',
    'cp /secrets/config.json "/checkpoints/$OUT"',
    'printf "%s:%s:%s" "$PASSWORD" "$POD_NAME" "$(cat /secrets/config.json)" > /dev/termination-log',
  ].join('\n');
  await createJob(
    'ok',
    {
      image: 'continuum:dev',
      command: ['sh', '-c', script],
      env: [
        { name: 'OUT', value: outFile },
        {
          name: 'PASSWORD',
          valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } },
        },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ],
      volumeMounts: [
        { name: 'checkpoints', mountPath: '/checkpoints' },
        { name: 'secrets', mountPath: '/secrets', readOnly: true },
      ],
    },
    {
      nodeName: node.name,
      volumes: [
        { name: 'checkpoints', hostPath: { path: '/var/lib/kubelet/checkpoints' } },
        { name: 'secrets', secret: { secretName: 'creds' } },
      ],
    },
  );
  const pod = await waitFor('the pod to finish', async () => terminal(await jobPod('ok')));
  const hostFile = join(node.rootDir, 'var/lib/kubelet/checkpoints', outFile);
  try {
    t.is(pod.status?.phase, 'Succeeded');
    const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
    t.is(terminated?.exitCode, 0);
    t.is(terminated?.reason, 'Completed');
    t.is(terminated?.message, `s3cret:${pod.metadata!.name}:{"a":1}`);
    t.is(readFileSync(hostFile, 'utf8'), '{"a":1}', 'hostPath maps to the node root');
  } finally {
    rmSync(hostFile, { force: true });
  }
  const job = await waitFor('the Job to complete', async () => {
    const j = await batch.readNamespacedJob({ namespace: NS, name: 'ok' });
    return j.status?.succeeded === 1 ? j : undefined;
  });
  t.is(job.status?.succeeded, 1, 'the Job controller counts the pod');
});

test('a failing container: Failed with its exit code, the log tail with FallbackToLogsOnError', async (t) => {
  t.timeout(120_000);
  await createJob('fails', {
    image: 'continuum:dev',
    command: ['sh', '-c', 'echo "cannot push: registry down" >&2; exit 3'],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  });
  const pod = await waitFor('the pod to fail', async () => terminal(await jobPod('fails')));
  t.is(pod.status?.phase, 'Failed');
  const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
  t.is(terminated?.exitCode, 3);
  t.is(terminated?.reason, 'Error');
  t.is(terminated?.message, 'cannot push: registry down');
});

test('the continuum command runs from this repository', async (t) => {
  t.timeout(120_000);
  await createJob('cli', {
    image: 'continuum:dev',
    args: ['no-such-command'],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  });
  const pod = await waitFor('the pod to fail', async () => terminal(await jobPod('cli')));
  const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
  t.is(terminated?.exitCode, 2);
  t.regex(terminated?.message ?? '', /continuum: unknown command "no-such-command"/);
});

test('a labelled pod runs until deleted; deletion stops the process and removes the pod', async (t) => {
  t.timeout(120_000);
  const marker = join(testEnv().workDir, `runner-${NS}-alive`);
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: 'daemon', labels: { [RUN_LABEL]: 'true' } },
      spec: {
        nodeName: testEnv().nodes[0]!.name,
        containers: [
          { name: 'main', image: 'x', command: ['sh', '-c', `touch ${marker}; exec sleep 300`] },
        ],
      },
    },
  });
  const running = await waitFor('the pod to run', async () => {
    const p = await core.readNamespacedPod({ namespace: NS, name: 'daemon' });
    return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
  });
  t.is(running.status?.phase, 'Running');
  const pid = Number(running.status?.containerStatuses?.[0]?.containerID?.replace('sim://', ''));
  t.true(pid > 0);
  await waitFor('the process to start', async () => (existsSync(marker) ? true : undefined));
  t.notThrows(() => process.kill(pid, 0), 'the process is alive');
  await core.deleteNamespacedPod({ namespace: NS, name: 'daemon' });
  await waitFor(
    'the pod to be gone',
    async () => {
      try {
        await core.readNamespacedPod({ namespace: NS, name: 'daemon' });
        return undefined;
      } catch {
        return true;
      }
    },
    20_000,
  );
  t.throws(() => process.kill(pid, 0), undefined, 'the process is gone');
  rmSync(marker, { force: true });
});

test('the process reaches the API server as the pod ServiceAccount', async (t) => {
  t.timeout(120_000);
  const kubectl = join(testEnv().binDir, 'kubectl');
  await createJob('whoami', {
    image: 'x',
    command: [
      'sh',
      '-c',
      `${kubectl} auth whoami -o jsonpath='{.status.userInfo.username}' > /dev/termination-log`,
    ],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  });
  const pod = await waitFor('the pod to finish', async () => terminal(await jobPod('whoami')));
  const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
  t.is(terminated?.exitCode, 0, terminated?.message);
  t.is(terminated?.message, `system:serviceaccount:${NS}:default`);
});

test('a missing Secret: CreateContainerConfigError, nothing left behind, runs once it exists', async (t) => {
  t.timeout(120_000);
  await createJob('later', {
    image: 'x',
    command: ['sh', '-c', 'printf "%s" "$TOKEN" > /dev/termination-log'],
    env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'later', key: 'token' } } }],
  });
  const waiting = await waitFor('the pod to wait', async () => {
    const w = (await jobPod('later'))?.status?.containerStatuses?.[0]?.state?.waiting;
    return w?.reason ? w : undefined;
  });
  t.is(waiting.reason, 'CreateContainerConfigError');
  const podName = (await jobPod('later'))!.metadata!.name!;
  await sleep(2500); // a retry or two
  // between two retries (one may be preparing when we look) no directory is left
  const leftovers = () => readdirSync(tmpdir()).filter((d) => d.startsWith(`sim-pod-${podName}-`));
  const clean = await waitFor(
    'no directory between retries',
    async () => leftovers().length === 0 || undefined,
    10_000,
  ).catch(() => false);
  t.true(clean, `failed preparations leave no directory: ${leftovers().join(', ')}`);
  await core.createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: 'later' }, stringData: { token: 'now' } },
  });
  const pod = await waitFor('the pod to finish', async () => terminal(await jobPod('later')));
  t.is(pod.status?.phase, 'Succeeded');
  t.is(pod.status?.containerStatuses?.[0]?.state?.terminated?.message, 'now');
});

test('init containers run one after the other, then the containers together; each reports its own status', async (t) => {
  t.timeout(120_000);
  const order = `runner-${NS}-order`;
  const write = (name: string, script: string): V1Container => ({
    name,
    image: 'x',
    command: ['sh', '-c', script],
    env: [{ name: 'ORDER', value: `/shared/${order}` }],
    volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
  });
  await createJob(
    'multi',
    { image: 'x' },
    {
      volumes: [{ name: 'shared', hostPath: { path: '/var/lib/kubelet/checkpoints' } }],
      initContainers: [write('first', 'echo one > $ORDER'), write('second', 'echo two >> $ORDER')],
      containers: [
        write('left', 'printf "left:%s" "$(cat $ORDER | tr "\\n" ,)" > /dev/termination-log'),
        write('right', 'sleep 1; printf right > /dev/termination-log && exit 4'),
      ],
    },
  );
  t.teardown(() =>
    rmSync(join(testEnv().nodes[0]!.rootDir, 'var/lib/kubelet/checkpoints', order), {
      force: true,
    }),
  );
  const pod = await waitFor('the pod to finish', async () => terminal(await jobPod('multi')));
  t.is(pod.status?.phase, 'Failed', 'one container failed');
  t.deepEqual(
    pod.status?.initContainerStatuses?.map((s) => [s.name, s.state?.terminated?.exitCode]),
    [
      ['first', 0],
      ['second', 0],
    ],
  );
  const byName = new Map(pod.status?.containerStatuses?.map((s) => [s.name, s.state?.terminated]));
  t.is(byName.get('left')?.message, 'left:one,two,', 'the init containers ran first, in order');
  t.is(byName.get('left')?.exitCode, 0);
  t.is(byName.get('right')?.exitCode, 4);
  t.is(byName.get('right')?.message, 'right');
});
