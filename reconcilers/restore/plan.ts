/**
 * What continuum's runc wrapper does with a `create` whose OCI spec carries a restore ticket
 * (the shell front hands it only those): a pure function of the spec and what the node knows.
 *
 * - The pause container, and containers the ticket does not name (init containers, sidecars):
 *   created as usual.
 * - A named container's first start (restart count 0): restored from its checkpoint.
 * - A named container that starts again (crash, liveness probe, node reboot) after its restore
 *   succeeded: a fresh start from its image, as for any container. The old checkpoint is never
 *   resumed again: its memory is minutes old and would silently undo what happened since.
 * - A named container whose restore failed: refused again, so the pod shows the failure and the
 *   operator decides (the Migration fails while the source runs, or falls back to a fresh pod)
 *   rather than the workload quietly starting without its state.
 */
import { CHECKPOINT_MOUNT, readTicket, TICKET_ANNOTATION } from './ticket.ts';

export interface OciSpec {
  annotations?: Record<string, string>;
  root?: { path: string; readonly?: boolean };
  mounts?: Array<{ destination: string; source?: string; type?: string; options?: string[] }>;
  linux?: { namespaces?: Array<{ type: string; path?: string }> };
}

export type CreatePlan =
  | { kind: 'create'; why: string }
  | { kind: 'restore'; container: string; digest: string; checkpoints: string; podUid: string }
  | { kind: 'refuse'; reason: string };

export interface NodeFacts {
  /** The key an operator (named by its namespace) signs tickets with, if the node has it. */
  key(issuer: string): Buffer | undefined;
  nowSeconds: number;
  /** Whether a restore of this pod's container failed on this node since it booted. */
  failedBefore(podUid: string, container: string): boolean;
}

/** CRI annotations as containerd and CRI-O name them. */
function criFacts(a: Record<string, string>) {
  return {
    type: a['io.kubernetes.cri.container-type'] ?? a['io.kubernetes.cri-o.ContainerType'],
    container: a['io.kubernetes.cri.container-name'] ?? a['io.kubernetes.container.name'],
    pod: a['io.kubernetes.cri.sandbox-name'] ?? a['io.kubernetes.pod.name'],
    namespace: a['io.kubernetes.cri.sandbox-namespace'] ?? a['io.kubernetes.pod.namespace'],
    podUid: a['io.kubernetes.cri.sandbox-uid'] ?? a['io.kubernetes.pod.uid'],
    restartCount: a['io.kubernetes.container.restartCount'],
  };
}

export function planCreate(spec: OciSpec, node: NodeFacts): CreatePlan {
  const a = spec.annotations ?? {};
  const ticketText = a[TICKET_ANNOTATION];
  if (ticketText === undefined) return { kind: 'create', why: 'no restore ticket' };
  const cri = criFacts(a);
  if (cri.type === 'sandbox') return { kind: 'create', why: 'the pause container' };
  if (!cri.container || !cri.pod || !cri.namespace || !cri.podUid)
    return {
      kind: 'refuse',
      reason: 'the OCI spec lacks the CRI annotations naming the container and its pod',
    };
  if (cri.restartCount === undefined)
    return {
      kind: 'refuse',
      reason:
        'the runtime does not pass io.kubernetes.container.restartCount (containerd: container_annotations), so a restart cannot be told from the first start',
    };
  // a restart restores nothing: the ticket (which may have expired by now) is not needed
  if (cri.restartCount !== '0') {
    if (node.failedBefore(cri.podUid, cri.container))
      return {
        kind: 'refuse',
        reason: `the restore of container "${cri.container}" failed before; not starting it without its state`,
      };
    return { kind: 'create', why: `a restart (count ${cri.restartCount}): fresh from the image` };
  }
  const ticket = readTicket(
    (issuer) => node.key(issuer),
    { namespace: cri.namespace, pod: cri.pod },
    ticketText,
    node.nowSeconds,
  );
  if ('refused' in ticket) return { kind: 'refuse', reason: ticket.refused };
  const digest = ticket[cri.container];
  if (!digest) return { kind: 'create', why: `container "${cri.container}" is not checkpointed` };
  const mount = spec.mounts?.find((m) => m.destination === CHECKPOINT_MOUNT);
  if (!mount?.source)
    return { kind: 'refuse', reason: `the container has no ${CHECKPOINT_MOUNT} mount` };
  return {
    kind: 'restore',
    container: cri.container,
    digest,
    checkpoints: mount.source,
    podUid: cri.podUid,
  };
}

/** Whether the spec has its own network namespace (false: the host's). */
export function ownNetwork(spec: OciSpec): boolean {
  return spec.linux?.namespaces?.some((n) => n.type === 'network') ?? false;
}

/** The spec without the checkpoint mount: the workload never sees it. */
export function withoutCheckpointMount(spec: OciSpec): OciSpec {
  return { ...spec, mounts: spec.mounts?.filter((m) => m.destination !== CHECKPOINT_MOUNT) };
}
