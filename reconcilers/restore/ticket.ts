/**
 * The restore ticket: the pod annotation that asks continuum's runc wrapper to restore a
 * container from a checkpoint. The operator signs it (HMAC-SHA256 with a key only it and the
 * nodes' wrapper hold) over the pod's namespace and name, each container's checkpoint digest
 * and an expiry, so that an annotation written by anyone else — on a pod no Migration created,
 * or copied onto another pod — restores nothing. `issuer` (the operator's namespace) names the
 * key: two installs in one cluster each have theirs on the nodes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TICKET_ANNOTATION = 'continuum.dev/restore';
/** Where a restored container sees the checkpoints its pod fetched (the wrapper removes it). */
export const CHECKPOINT_MOUNT = '/.continuum-checkpoint';
export const CHECKPOINT_VOLUME = 'continuum-checkpoint';

export interface Ticket {
  /** The signing operator's namespace: the wrapper verifies with `keys/<issuer>.key`. */
  issuer: string;
  /** Container name → digest of its checkpoint image (the index, as the imager printed). */
  containers: Record<string, string>;
  /** Seconds since the epoch after which the ticket restores nothing. */
  expires: number;
  signature: string;
}

interface Subject {
  namespace: string;
  pod: string;
}

function mac(
  key: Buffer,
  issuer: string,
  subject: Subject,
  containers: Record<string, string>,
  expires: number,
) {
  const lines = [
    'continuum.dev/restore v1',
    issuer,
    subject.namespace,
    subject.pod,
    String(expires),
    ...Object.keys(containers)
      .sort()
      .map((name) => `${name}=${containers[name]}`),
  ];
  return createHmac('sha256', key).update(lines.join('\n')).digest('hex');
}

export function signTicket(
  signer: { issuer: string; key: Buffer },
  subject: Subject,
  containers: Record<string, string>,
  expires: number,
): string {
  const { issuer, key } = signer;
  const signature = mac(key, issuer, subject, containers, expires);
  const ticket: Ticket = { issuer, containers, expires, signature };
  return JSON.stringify(ticket);
}

/** Whether an issuer name may name a key file. */
export function validIssuer(issuer: unknown): issuer is string {
  return typeof issuer === 'string' && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(issuer);
}

/** The ticket's containers, or why it restores nothing. */
export function readTicket(
  keyOf: (issuer: string) => Buffer | undefined,
  subject: Subject,
  text: string,
  nowSeconds: number,
): Record<string, string> | { refused: string } {
  let ticket: Partial<Ticket>;
  try {
    ticket = JSON.parse(text) as Partial<Ticket>;
  } catch {
    return { refused: `the ${TICKET_ANNOTATION} annotation is not JSON` };
  }
  const { issuer, containers, expires, signature } = ticket;
  if (
    !validIssuer(issuer) ||
    typeof containers !== 'object' ||
    containers === null ||
    !Object.values(containers).every(
      (d) => typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d),
    ) ||
    typeof expires !== 'number' ||
    typeof signature !== 'string'
  )
    return { refused: `the ${TICKET_ANNOTATION} annotation is not a restore ticket` };
  const key = keyOf(issuer);
  if (!key)
    return {
      refused: `this node has no restore key of "${issuer}" (is its continuum restore installer running here?)`,
    };
  const expected = Buffer.from(mac(key, issuer, subject, containers, expires));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return {
      refused: `the ${TICKET_ANNOTATION} annotation of pod ${subject.namespace}/${subject.pod} is not signed by this cluster's operator (no Migration created it)`,
    };
  if (expires < nowSeconds)
    return { refused: `the restore ticket expired at ${new Date(expires * 1000).toISOString()}` };
  return containers;
}
