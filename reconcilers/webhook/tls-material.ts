/**
 * What the webhook's TLS material should be at a given time, decided without I/O (tls.ts keeps
 * it in a Secret): a CA for 10 years and a serving certificate it signs for a year, re-issued
 * once less than 30 days remain or when its names change. The CA is rotated once less than 400
 * days remain — before it could expire under a serving certificate it signed — and the one it
 * replaced stays in the caBundle until it expires, so that a replica still serving a certificate
 * of the old CA (until its next refresh) is trusted meanwhile.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { makeCa, makeServing, type KeyPair } from './certificates.ts';

export const CA_NAME = 'continuum-webhook-ca';
const DAY_MS = 86_400_000;
const CA_DAYS = 3650;
const SERVING_DAYS = 365;
const RENEW_SERVING_BEFORE_MS = 30 * DAY_MS;
const ROTATE_CA_BEFORE_MS = 400 * DAY_MS;

export interface TlsMaterial {
  ca: KeyPair;
  server: KeyPair;
  /** The CA this one replaced (PEM), trusted until it expires. */
  previousCa?: string;
}

/** The material to use at `now`, made or renewed from `stored`; `changed`: store it. */
export function nextTls(
  stored: TlsMaterial | undefined,
  hosts: string[],
  now: Date,
): { material: TlsMaterial; changed: boolean } {
  if (!stored) {
    const ca = makeCa(CA_NAME, CA_DAYS, now);
    return { material: { ca, server: serving(ca, hosts, now) }, changed: true };
  }
  let { ca, server, previousCa } = stored;
  let changed = false;
  if (previousCa && msLeft(previousCa, now) <= 0) {
    previousCa = undefined;
    changed = true;
  }
  if (msLeft(ca.cert, now) < ROTATE_CA_BEFORE_MS) {
    previousCa = ca.cert;
    ca = makeCa(CA_NAME, CA_DAYS, now);
    server = serving(ca, hosts, now);
    changed = true;
  } else if (!current(server.cert, ca.cert, hosts, now)) {
    server = serving(ca, hosts, now);
    changed = true;
  }
  return { material: { ca, server, ...(previousCa ? { previousCa } : {}) }, changed };
}

/** The webhook configurations' caBundle: the CA, and the one it replaced while valid. */
export function caBundle(m: TlsMaterial): string {
  return m.ca.cert + (m.previousCa ?? '');
}

function msLeft(pem: string, now: Date): number {
  try {
    return Date.parse(new X509Certificate(pem).validTo) - now.getTime();
  } catch {
    return -1;
  }
}

/** Whether the serving certificate is the CA's, names exactly `hosts` and is far from expiry. */
function current(cert: string, ca: string, hosts: string[], now: Date): boolean {
  try {
    const x = new X509Certificate(cert);
    const names = (x.subjectAltName ?? '')
      .split(', ')
      .map((n) => n.replace(/^(DNS:|IP Address:)/, ''))
      .sort();
    return (
      x.verify(new X509Certificate(ca).publicKey) &&
      msLeft(cert, now) > RENEW_SERVING_BEFORE_MS &&
      JSON.stringify(names) === JSON.stringify([...hosts].sort())
    );
  } catch {
    return false;
  }
}

function serving(ca: KeyPair, hosts: string[], now: Date): KeyPair {
  const ips = hosts.filter((h) => isIP(h));
  const dnsNames = hosts.filter((h) => !isIP(h));
  return makeServing(ca, CA_NAME, { dnsNames, ips }, SERVING_DAYS, now);
}
