/**
 * The runc wrapper's decision for a `create` (plan.ts) and the signed restore ticket
 * (ticket.ts), without runc.
 */
import test from 'ava';
import { planCreate, type NodeFacts } from '../../reconcilers/restore/plan.ts';
import { readTicket, signTicket, TICKET_ANNOTATION } from '../../reconcilers/restore/ticket.ts';
import { ISSUER, markedSpec, POD } from './fixtures.ts';

const key = Buffer.from('the operator key');
const digest = `sha256:${'a'.repeat(64)}`;
const now = 1_800_000_000;
const node = (over: Partial<NodeFacts> = {}): NodeFacts => ({
  key: (issuer) => (issuer === ISSUER ? key : undefined),
  nowSeconds: now,
  failedBefore: () => false,
  ...over,
});
const spec = (over: { restartCount?: string; ticketKey?: Buffer; expires?: number } = {}) =>
  markedSpec(
    { root: { path: 'rootfs' }, mounts: [{ destination: '/proc', type: 'proc' }] },
    {
      container: 'counter',
      restartCount: 'restartCount' in over ? over.restartCount : '0',
      checkpoints:
        '/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/continuum-checkpoint',
      ticket: { key: over.ticketKey ?? key, digest, expires: over.expires ?? now + 60 },
    },
  );

test('the first start of a checkpointed container is restored from the mounted checkpoint', (t) => {
  t.deepEqual(planCreate(spec(), node()), {
    kind: 'restore',
    container: 'counter',
    digest,
    checkpoints: '/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/continuum-checkpoint',
    podUid: 'uid-1',
  });
});

test('a restart after a restore starts fresh; after a failed restore it is refused again', (t) => {
  t.like(planCreate(spec({ restartCount: '1' }), node()), { kind: 'create' });
  // long after the ticket expired, too
  t.like(planCreate(spec({ restartCount: '3', expires: now - 3600 }), node()), { kind: 'create' });
  t.like(planCreate(spec({ restartCount: '2' }), node({ failedBefore: () => true })), {
    kind: 'refuse',
    reason: 'the restore of container "counter" failed before; not starting it without its state',
  });
});

test('without the restart count the first start cannot be told from a restart: refused', (t) => {
  const plan = planCreate(spec({ restartCount: undefined }), node());
  t.like(plan, { kind: 'refuse' });
  t.regex((plan as { reason: string }).reason, /container_annotations/);
});

test('a ticket not signed with the node key, expired, or absent key: refused', (t) => {
  const forged = planCreate(spec({ ticketKey: Buffer.from('someone else') }), node());
  t.regex((forged as { reason: string }).reason, /not signed by this cluster's operator/);
  const expired = planCreate(spec({ expires: now - 1 }), node());
  t.regex((expired as { reason: string }).reason, /expired/);
  const keyless = planCreate(spec(), node({ key: () => undefined }));
  t.regex((keyless as { reason: string }).reason, /no restore key/);
});

test('the pause container, other containers and unmarked specs are created as usual', (t) => {
  const s = spec();
  const pause = {
    ...s,
    annotations: { ...s.annotations, 'io.kubernetes.cri.container-type': 'sandbox' },
  };
  t.like(planCreate(pause, node()), { kind: 'create', why: 'the pause container' });
  const sidecar = {
    ...s,
    annotations: { ...s.annotations, 'io.kubernetes.cri.container-name': 'sidecar' },
  };
  t.like(planCreate(sidecar, node()), { kind: 'create' });
  t.like(planCreate({ annotations: {} }, node()), { kind: 'create', why: 'no restore ticket' });
});

test('a checkpointed container without the checkpoint mount is refused', (t) => {
  const s = spec();
  t.like(planCreate({ ...s, mounts: [] }, node()), { kind: 'refuse' });
});

test('a ticket copied onto another pod restores nothing', (t) => {
  const ticket = signTicket({ issuer: ISSUER, key }, POD, { counter: digest }, now + 60);
  const keyOf = () => key;
  t.deepEqual(readTicket(keyOf, POD, ticket, now), { counter: digest });
  const other = readTicket(keyOf, { ...POD, pod: 'another' }, ticket, now);
  t.regex((other as { refused: string }).refused, /not signed/);
  const edited = JSON.stringify({
    ...JSON.parse(ticket),
    containers: { counter: `sha256:${'b'.repeat(64)}` },
  });
  t.regex((readTicket(keyOf, POD, edited, now) as { refused: string }).refused, /not signed/);
  t.regex(
    (readTicket(keyOf, POD, '{', now) as { refused: string }).refused,
    new RegExp(`${TICKET_ANNOTATION} annotation is not JSON`),
  );
});
