/**
 * The webhook's certificates: the serving certificate names its hosts, is signed by the CA and
 * verifies with OpenSSL (as the API server's Go TLS would), for a server only.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCa, makeServing } from '../../reconcilers/webhook/certificates.ts';

test('a serving certificate of the CA for the Service name and an IP, verified by openssl', (t) => {
  const ca = makeCa('test-ca', 3650);
  const server = makeServing(ca, 'test-ca', { dnsNames: ['hook.ns.svc'], ips: ['10.0.0.7'] }, 365);
  const cert = new X509Certificate(server.cert);
  t.is(cert.subjectAltName, 'DNS:hook.ns.svc, IP Address:10.0.0.7');
  t.true(cert.checkIssued(new X509Certificate(ca.cert)));
  t.true(cert.verify(new X509Certificate(ca.cert).publicKey));
  t.false(cert.ca);
  t.true(new X509Certificate(ca.cert).ca);
  const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
  t.true(days > 364 && days < 366, `${days} days`);
  const dir = mkdtempSync(join(tmpdir(), 'webhook-cert-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.pem'), ca.cert);
  writeFileSync(join(dir, 'server.pem'), server.cert);
  const out = execFileSync('openssl', [
    'verify',
    '-purpose',
    'sslserver',
    '-CAfile',
    join(dir, 'ca.pem'),
    join(dir, 'server.pem'),
  ]).toString();
  t.regex(out, /server\.pem: OK/);
});

test('serial numbers are minimal DER whatever their random bytes (about one in 256 was padded)', (t) => {
  // 2000 certificates: with the old encoding about 8 failed to parse ("illegal padding")
  const ca = makeCa('test-ca', 3650);
  for (let i = 0; i < 2000; i++) {
    const server = makeServing(ca, 'test-ca', { dnsNames: ['hook.ns.svc'] }, 365);
    t.notThrows(() => new X509Certificate(server.cert));
  }
});
