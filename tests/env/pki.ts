/**
 * Certificates of the test environment, made with the openssl command: one CA that signs
 * the API server's and the kubelets' serving certificates, the registry's, and the admin
 * client certificate; and the ServiceAccount token signing key pair.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  caCert: string;
  caKey: string;
  /** Serving certificate for 127.0.0.1/localhost/kubernetes.default (API server, kubelets, registry). */
  servingCert: string;
  servingKey: string;
  /** Client certificate of user "continuum-admin" in group system:masters. */
  adminCert: string;
  adminKey: string;
  /** ServiceAccount token signing key pair. */
  saKey: string;
  saPub: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function signedCert(
  dir: string,
  pki: Pick<Pki, 'caCert' | 'caKey'>,
  name: string,
  subject: string,
  ext: string,
) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    subject,
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    '-CAcreateserial',
    '-days',
    '7',
    '-out',
    cert,
    '-extfile',
    extFile,
  ]);
  return { cert, key };
}

export function makePki(dir: string): Pki {
  const caCert = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-days',
    '7',
    '-subj',
    '/CN=continuum-test-ca',
  ]);
  const ca = { caCert, caKey };
  const serving = signedCert(
    dir,
    ca,
    'serving',
    '/CN=127.0.0.1',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n' +
      'extendedKeyUsage=serverAuth\n' +
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,' +
      'DNS:kubernetes.default.svc,IP:10.0.0.1\n',
  );
  const admin = signedCert(
    dir,
    ca,
    'admin',
    '/O=system:masters/CN=continuum-admin',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  openssl(['genrsa', '-out', saKey, '2048']);
  openssl(['rsa', '-in', saKey, '-pubout', '-out', saPub]);
  return {
    caCert,
    caKey,
    servingCert: serving.cert,
    servingKey: serving.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    saKey,
    saPub,
  };
}
