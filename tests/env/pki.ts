/**
 * Certificates of the test environment, made with the openssl command: one CA that signs
 * the API server's and the kubelets' serving certificates, the registry's, the admin client
 * certificate and the one the API server presents to kubelets; and the ServiceAccount token
 * signing key pair.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The user of {@link Pki.kubeletClientCert}: what a kubelet sees on a proxied request. */
export const KUBELET_CLIENT_USER = 'continuum-apiserver-kubelet-client';

export interface Pki {
  caCert: string;
  caKey: string;
  /**
   * Serving certificate for 127.0.0.1/localhost/kubernetes.default and the extra node addresses
   * (API server, kubelets, registry).
   */
  servingCert: string;
  servingKey: string;
  /** Client certificate of user "continuum-admin" in group system:masters. */
  adminCert: string;
  adminKey: string;
  /** Client certificate the API server presents to kubelets: user {@link KUBELET_CLIENT_USER}. */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /** ServiceAccount token signing key pair. */
  saKey: string;
  saPub: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function signedCert(
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

export const CLIENT_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

/**
 * The PKI in `dir`; `addresses` (the nodes', the `kubernetes` Service's ClusterIP) are added to
 * the serving certificate's IP names.
 */
export function makePki(dir: string, addresses: string[] = []): Pki {
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
      `DNS:kubernetes.default.svc${addresses.map((a) => `,IP:${a}`).join('')}\n`,
  );
  const admin = signedCert(dir, ca, 'admin', '/O=system:masters/CN=continuum-admin', CLIENT_EXT);
  const kubeletClient = signedCert(
    dir,
    ca,
    'kubelet-client',
    `/CN=${KUBELET_CLIENT_USER}`,
    CLIENT_EXT,
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
    kubeletClientCert: kubeletClient.cert,
    kubeletClientKey: kubeletClient.key,
    saKey,
    saPub,
  };
}
