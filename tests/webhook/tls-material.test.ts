/**
 * GIVEN the webhook's TLS material as stored, and a time
 * WHEN nextTls decides what to serve and trust
 * THEN it is made once and kept; the serving certificate is re-issued by the same CA 30 days
 *   before it expires or when its names change; the CA is rotated 400 days before it expires,
 *   the old one staying in the caBundle (a replica may still serve its certificate) until it
 *   expires.
 */
import test from 'ava';
import { X509Certificate } from 'node:crypto';
import { caBundle, nextTls, type TlsMaterial } from '../../reconcilers/webhook/tls-material.ts';

const HOSTS = ['continuum-webhook.continuum-system.svc'];
const T0 = new Date('2026-12-05T00:00:00Z');
const day = (n: number) => new Date(T0.getTime() + n * 86_400_000);
const issuedBy = (m: TlsMaterial, ca: string) =>
  new X509Certificate(m.server.cert).verify(new X509Certificate(ca).publicKey);

const first = nextTls(undefined, HOSTS, T0);

test('made once, then kept', (t) => {
  t.true(first.changed);
  t.true(issuedBy(first.material, first.material.ca.cert));
  t.is(caBundle(first.material), first.material.ca.cert);
  const again = nextTls(first.material, HOSTS, day(100));
  t.false(again.changed);
  t.is(again.material.server.cert, first.material.server.cert);
});

test('the serving certificate is re-issued by the same CA before it expires, or for new names', (t) => {
  const late = nextTls(first.material, HOSTS, day(340));
  t.true(late.changed);
  t.not(late.material.server.cert, first.material.server.cert);
  t.is(late.material.ca.cert, first.material.ca.cert);
  t.true(issuedBy(late.material, first.material.ca.cert));
  const renamed = nextTls(first.material, [...HOSTS, '10.0.0.7'], day(1));
  t.true(renamed.changed);
  t.is(
    new X509Certificate(renamed.material.server.cert).subjectAltName?.includes('10.0.0.7'),
    true,
  );
});

test('the CA is rotated 400 days before it expires; the old one is trusted until it expires', (t) => {
  const before = nextTls(first.material, HOSTS, day(3650 - 401));
  t.is(before.material.ca.cert, first.material.ca.cert, 'not yet');
  const rotated = nextTls(first.material, HOSTS, day(3650 - 399));
  t.true(rotated.changed);
  t.not(rotated.material.ca.cert, first.material.ca.cert);
  t.is(rotated.material.previousCa, first.material.ca.cert);
  t.true(issuedBy(rotated.material, rotated.material.ca.cert));
  t.is(caBundle(rotated.material), rotated.material.ca.cert + first.material.ca.cert);
  // a replica still serving the old CA's certificate is trusted through the bundle
  t.true(issuedBy(first.material, rotated.material.previousCa!));

  const kept = nextTls(rotated.material, HOSTS, day(3650 - 300));
  t.false(kept.changed);
  const expired = nextTls(rotated.material, HOSTS, day(3651));
  t.true(expired.changed);
  t.is(expired.material.previousCa, undefined);
  t.is(caBundle(expired.material), rotated.material.ca.cert);
});
