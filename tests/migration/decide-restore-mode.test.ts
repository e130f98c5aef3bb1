/**
 * GIVEN a checkpoint Migration reaching Restoring, cloud nodes with various container runtimes
 * and the restore wrapper ready on some of them
 * WHEN the restored pod is composed (spec.restoreMode Auto, RuntimeClass or Runtime)
 * THEN Auto takes the wrapper where it is ready and the runtime's restore elsewhere, a choice no
 *   node can honour fails the Migration with RestoreUnsupported while the source runs, the
 *   wrapper's pod keeps its original image and carries a ticket for its checkpoint, and a copy
 *   of a wrapper-restored pod (the fallback, a second move) starts plain.
 */
import test from 'ava';
import type { V1Node } from '@kubernetes/client-node';
import type { MigrationSpec } from '../../reconcilers/api/types.ts';
import { decide } from '../../reconcilers/migration/decide.ts';
import type { MigrationConfig } from '../../reconcilers/migration/model.ts';
import { fallbackPod } from '../../reconcilers/migration/target-pod.ts';
import { readTicket, TICKET_ANNOTATION } from '../../reconcilers/restore/ticket.ts';
import { ARCHIVE, at, config, inPhase, migration, node, observed } from './fixtures.ts';

const IMAGE = `127.0.0.1:5000/continuum/checkpoints@sha256:${'cd'.repeat(32)}`;
const KEY = Buffer.alloc(32, 7);
const signed = {
  ...config,
  restore: { runtimeClassName: 'continuum', signer: { issuer: 'ops', key: KEY } },
};

function cloud(name: string, runtime: string, extra: Partial<V1Node['spec']> = {}): V1Node {
  const n = node(name, { 'continuum.dev/layer': 'cloud' });
  n.spec = extra;
  n.status = { nodeInfo: { containerRuntimeVersion: runtime } as never };
  return n;
}

function restoring(
  spec: Partial<MigrationSpec>,
  nodes: V1Node[],
  wrapper: string[],
  cfg: MigrationConfig = signed,
) {
  const status = inPhase('Restoring', {
    checkpoint: { archives: [{ container: 'app', path: ARCHIVE, image: IMAGE }] },
  });
  const m = migration(spec, status);
  const o = observed(m, { restoreNodes: { nodes, wrapper: new Set(wrapper) } });
  return decide(o, at(20), cfg);
}

const readyMessage = (d: ReturnType<typeof decide>): string =>
  d.status.conditions?.find((c) => c.type === 'Ready')?.message ?? '';

function created(d: ReturnType<typeof decide>) {
  const a = d.actions.find((x) => x.type === 'createPod');
  return a?.type === 'createPod' ? a.pod : undefined;
}

test('Auto restores through the wrapper where it is ready, keeping the original image', (t) => {
  const nodes = [cloud('cloud-1', 'containerd://2.4.2'), cloud('cloud-2', 'containerd://2.4.2')];
  const d = restoring({}, nodes, ['cloud-2']);
  t.is(d.status.restoreMode, 'RuntimeClass');
  const p = created(d)!;
  t.is(p.spec!.runtimeClassName, 'continuum');
  t.is(p.spec!.containers[0]!.image, 'docker.io/library/app:1');
  t.deepEqual(
    p.spec!.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms[0]?.matchFields?.[0]?.values,
    ['cloud-2'],
  );
  const fetch = p.spec!.initContainers!.find((c) => c.name === 'continuum-checkpoint')!;
  t.true(fetch.args!.includes(IMAGE));
  const ticket = readTicket(
    (issuer) => (issuer === 'ops' ? KEY : undefined),
    { namespace: 'ns', pod: p.metadata!.name! },
    p.metadata!.annotations![TICKET_ANNOTATION]!,
    at(20).getTime() / 1000,
  );
  t.deepEqual(ticket, { app: IMAGE.slice(IMAGE.indexOf('@') + 1) });
});

test('Auto keeps the runtime restore where no wrapper is ready (a kwok or containerd 2.3 cloud)', (t) => {
  const d = restoring({}, [cloud('cloud-1', 'containerd://2.3.7')], []);
  t.is(d.status.restoreMode, 'Runtime');
  const p = created(d)!;
  t.is(p.spec!.containers[0]!.image, IMAGE);
  t.is(p.spec!.runtimeClassName, undefined);
  t.false(TICKET_ANNOTATION in (p.metadata!.annotations ?? {}));
});

test('a mode no candidate node can honour fails the Migration, the source untouched', (t) => {
  const cases: [Partial<MigrationSpec>, V1Node[], string[], RegExp][] = [
    [
      { restoreMode: 'RuntimeClass' },
      [cloud('cloud-1', 'containerd://2.3.7')],
      [],
      /restore wrapper/,
    ],
    [{}, [cloud('cloud-1', 'containerd://2.4.2')], [], /no longer restores checkpoint images/],
    [{ restoreMode: 'Runtime' }, [cloud('cloud-1', 'containerd://2.4.2')], ['cloud-1'], /2\.4\.2/],
    // the only wrapper node is cordoned, or tainted against the pod
    [
      { restoreMode: 'RuntimeClass' },
      [cloud('cloud-1', 'x', { unschedulable: true })],
      ['cloud-1'],
      /restore wrapper/,
    ],
    [
      { restoreMode: 'RuntimeClass' },
      [cloud('cloud-1', 'x', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] })],
      ['cloud-1'],
      /restore wrapper/,
    ],
  ];
  for (const [spec, nodes, wrapper, reason] of cases) {
    const d = restoring(spec, nodes, wrapper);
    t.is(d.status.phase, 'Failed');
    t.is(d.status.failureReason, 'RestoreUnsupported');
    t.regex(readyMessage(d), reason);
    t.false(d.actions.some((a) => a.type === 'deletePod' || a.type === 'createPod'));
  }
  const unsigned = restoring({}, [cloud('cloud-1', 'x')], ['cloud-1'], config);
  t.is(unsigned.status.failureReason, 'RestoreUnsupported');
  t.regex(readyMessage(unsigned), /restore key/);
});

test('a copy of a wrapper-restored pod starts plain (fallback, or the next move)', (t) => {
  const d = restoring({}, [cloud('cloud-1', 'containerd://2.4.2')], ['cloud-1']);
  const restored = created(d)!;
  restored.spec!.nodeName = 'cloud-1';
  const fresh = fallbackPod(migration(), restored);
  t.is(fresh.spec!.runtimeClassName, undefined);
  t.false(TICKET_ANNOTATION in (fresh.metadata!.annotations ?? {}));
  t.false(fresh.spec!.initContainers?.some((c) => c.name === 'continuum-checkpoint') ?? false);
  t.false(fresh.spec!.volumes?.some((v) => v.name === 'continuum-checkpoint') ?? false);
  t.is(fresh.spec!.containers[0]!.image, 'docker.io/library/app:1');
  t.is(fresh.spec!.nodeName, 'cloud-1');
});

test('a checkpoint no target node could restore is not taken: RestoreUnsupported in Pending', (t) => {
  const m = migration({ restoreMode: 'Runtime' });
  const nodes = [cloud('cloud-1', 'containerd://2.4.2')];
  const o = observed(m, { restoreNodes: { nodes, wrapper: new Set() } });
  const d = decide(o, at(1), signed);
  t.is(d.status.phase, 'Failed');
  t.is(d.status.failureReason, 'RestoreUnsupported');
  t.false(d.actions.some((a) => a.type === 'checkpoint'));
  const restart = decide(
    observed(migration({ restorePolicy: 'restart' }), {
      restoreNodes: { nodes, wrapper: new Set() },
    }),
    at(1),
    signed,
  );
  t.not(restart.status.phase, 'Failed', 'a restart restores no checkpoint');
});
