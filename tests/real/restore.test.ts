/**
 * GIVEN a counter whose token and count live only in memory, on real-cloud (containerd 2.4
 *   checkpoints, but restores no checkpoint image)
 * WHEN the kubelet checkpoints it, `continuum imager` turns the real archive into an image in the
 *   TLS registry, and a pod of that image is created on real-edge (containerd 2.3, its opt-in
 *   restore on: restoreMode Runtime's path)
 * THEN the restored container prints the same token and a count that goes on from where the
 *   checkpoint left it, not from 1.
 * No operator here: this proves the node-level chain the Migration phases drive.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { join } from 'node:path';
import test from 'ava';
import { testEnv } from '../env/info.ts';
import { realNamespace } from './hooks.ts';
import { waitFor } from '../env/wait.ts';
import { counterContinuity } from './counter-continuity.ts';
import {
  counterPod,
  counts,
  kubeletCheckpoint,
  lastCount,
  logsOf,
  realNode,
  realNodeAvailable,
} from './helpers.ts';

const NAMESPACE = 'real-restore';
const CLI = fileURLToPath(new URL('../../bin/continuum.js', import.meta.url));
const core = realNamespace(NAMESPACE);

test('a real checkpoint, imaged by continuum imager, restores on the other node with its memory', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(180_000);
  const env = testEnv();
  await core.createNamespacedPod({
    namespace: NAMESPACE,
    body: counterPod('counter', 'real-cloud'),
  });
  // containerd 2.3 pulls a checkpoint's base image itself, without the pod's pull Secret: it
  // must already be on the node (the restore path's own fix is tested with the operator)
  await core.createNamespacedPod({
    namespace: NAMESPACE,
    body: counterPod('base-image', 'real-edge'),
  });
  await waitFor('the counter at 3', async () =>
    /count=3/.test(await logsOf(core, NAMESPACE, 'counter')),
  );
  // the state checkpointed is at least this far along (the source keeps counting afterwards)
  const beforeCheckpoint = lastCount(await logsOf(core, NAMESPACE, 'counter'))!;
  const archive = await kubeletCheckpoint(realNode('real-cloud'), NAMESPACE, 'counter', 'counter');
  const onHost = join(realNode('real-cloud').kubeletDir, 'checkpoints', archive.split('/').pop()!);
  const { stdout } = await promisify(execFile)(process.execPath, [
    CLI,
    'imager',
    `--archive=${onHost}`,
    '--container=counter',
    `--repository=${env.tlsRegistry.host}/real/counter`,
    `--docker-config=${env.tlsRegistry.dockerConfig}`,
    `--ca-file=${env.caFile}`,
  ]);
  const digest = stdout.trim().split('\n').pop()!;
  t.regex(digest, /^sha256:[a-f0-9]{64}$/);
  await core.deleteNamespacedPod({ namespace: NAMESPACE, name: 'counter', gracePeriodSeconds: 0 });

  const restored = counterPod('restored', 'real-edge');
  restored.spec!.containers[0]!.image = `${env.tlsRegistry.host}/real/counter@${digest}`;
  await core.createNamespacedPod({ namespace: NAMESPACE, body: restored });
  // containerd restores the container's log with it: the source's lines come first, then the
  // restored process's own
  const lines = await waitFor(
    'the restored counter past the checkpoint',
    async () => {
      const all = counts(await logsOf(core, NAMESPACE, 'restored'));
      return (all.at(-1)?.count ?? 0) > beforeCheckpoint.count + 1 && all;
    },
    90_000,
    async () =>
      JSON.stringify(
        (await core.readNamespacedPod({ namespace: NAMESPACE, name: 'restored' })).status
          ?.containerStatuses,
      ),
  );
  t.like(
    counterContinuity(lines, beforeCheckpoint.token),
    { continued: true },
    'one token throughout, one count with no restart from 1 and no gap',
  );
});
