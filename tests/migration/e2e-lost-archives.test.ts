/**
 * End to end, the archive of a checkpoint call whose answer was lost: the operator is SIGKILLed
 * while the (slowed) simulated kubelet is checkpointing, so the archive it writes is never
 * recorded and the restarted operator checkpoints again. THEN no archive of the pod stays on
 * the node: the imaging Job's first step deletes the lost one, or, for a Migration deleted in
 * the meantime, the cleanup Job does.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { GROUP, MIGRATION_PLURAL, VERSION } from '../../reconcilers/api/types.ts';
import { testEnv } from '../env/info.ts';
import { sleep, waitFor } from '../env/wait.ts';
import type { OperatorProcess } from '../runtime/operator-process.ts';
import { PULL_SECRET, PUSH_SECRET, harness, isPhase, type Harness } from './harness.ts';

const SLOW = { 'sim.continuum.dev/checkpoint-fault': 'delay=2s' };
let h: Harness;

const image = () => ({
  repository: h.repository,
  pushSecretRef: { name: PUSH_SECRET },
  pullSecretRef: { name: PULL_SECRET },
});
/** The archives of `pod` in the checkpoint directory of edge-1, where the pods run. */
function archivesOf(pod: string): string[] {
  const root = testEnv().nodes.find((n) => n.name === 'edge-1')!.rootDir;
  const dir = join(root, 'var/lib/kubelet/checkpoints');
  const prefix = `checkpoint-${pod}_${h.namespace}-`;
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(prefix)) : [];
}

/** Every archive name of `pod` seen on the node until stopped (looked at every 100 ms). */
function watchArchives(pod: string): { seen: Set<string>; stop(): void } {
  const seen = new Set<string>();
  const timer = setInterval(() => archivesOf(pod).forEach((f) => seen.add(f)), 100);
  return { seen, stop: () => clearInterval(timer) };
}

/** Kills the operator while the kubelet is checkpointing the Migration's pod. */
async function killMidCheckpoint(name: string, operator: OperatorProcess): Promise<void> {
  await h.waitForMigration(name, isPhase('Checkpointing'), 60_000);
  await sleep(800); // the call is in flight: the kubelet answers after 2 s
  await operator.kill('SIGKILL');
}

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-lost-archives');
});

test.after.always(async () => {
  await h?.cleanup();
});

test.serial(
  'operator killed mid-checkpoint: Done, and the lost call’s archive is deleted too',
  async (t) => {
    t.timeout(300_000);
    await h.createPod('lost', { annotations: SLOW });
    const watch = watchArchives('lost');
    t.teardown(() => watch.stop());
    const first = h.startOperator();
    await h.createMigration('move-lost', {
      podName: 'lost',
      restorePolicy: 'checkpoint',
      image: image(),
    });
    await killMidCheckpoint('move-lost', first);
    const operator = h.startOperator();
    const m = await h.waitForMigration('move-lost', isPhase('Done', 'Failed'), 240_000);
    t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
    const recorded = m.status!.checkpoint!.archives[0]!.path.split('/').pop()!;
    await waitFor('no archive of the pod on the node', async () =>
      archivesOf('lost').length ? undefined : true,
    );
    watch.stop();
    t.true(watch.seen.has(recorded), 'the recorded archive was written');
    t.true(
      watch.seen.size >= 2,
      `the lost call wrote its own archive: ${[...watch.seen].join(', ')}`,
    );
    t.deepEqual(archivesOf('lost'), []);
    await operator.kill('SIGKILL');
  },
);

test.serial(
  'operator killed mid-checkpoint, then the Migration deleted: the cleanup Job deletes the lost archive',
  async (t) => {
    t.timeout(300_000);
    const source = await h.createPod('dropped', { annotations: SLOW });
    const first = h.startOperator();
    await h.createMigration('move-dropped', {
      podName: 'dropped',
      restorePolicy: 'checkpoint',
      image: image(),
    });
    await killMidCheckpoint('move-dropped', first);
    await h.custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: MIGRATION_PLURAL,
      namespace: h.namespace,
      name: 'move-dropped',
    });
    const lost = await waitFor(
      'the lost call’s archive on the node',
      async () => archivesOf('dropped')[0],
    );
    t.is((await h.getMigration('move-dropped'))?.status?.checkpoint, undefined, 'never recorded');
    const operator = h.startOperator();
    await waitFor('Migration gone', async () =>
      (await h.getMigration('move-dropped')) ? undefined : true,
    );
    await waitFor(
      `${lost} deleted`,
      async () => (archivesOf('dropped').length ? undefined : true),
      120_000,
    );
    t.deepEqual(archivesOf('dropped'), []);
    const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'dropped' });
    t.is(pod.metadata?.uid, source.metadata?.uid, 'the source still runs');
    t.falsy(pod.metadata?.deletionTimestamp);
    await operator.kill('SIGKILL');
  },
);
