/**
 * GIVEN the webhook server in cert-manager mode (CONTINUUM_WEBHOOK_TLS=cert-manager, refreshed
 *   every 200 ms instead of every minute) against the real API server, and the two webhook
 *   configurations it is told about
 * WHEN the Secret does not exist yet, then is written, then replaced by a renewed certificate
 * THEN it waits (a log line; handshakes fail; it creates no Secret), serves the Secret's
 *   certificate once it appears and the renewed one after a refresh, and never writes the Secret
 *   nor a caBundle.
 * cert-manager is not installed in the test environment: the test writes what cert-manager
 * would write (a kubernetes.io/tls Secret with tls.crt, tls.key and ca.crt), its certificates
 * made by the operator's own makeCa/makeServing.
 */
import test from 'ava';
import { randomBytes, X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { AdmissionregistrationV1Api, CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { pino } from 'pino';
import { WEBHOOK_TLS_SECRET } from '../../reconcilers/api/install.ts';
import { apiErrorCode } from '../../reconcilers/runtime/kube.ts';
import { configFromEnv } from '../../reconcilers/runtime/config.ts';
import { makeCa, makeServing, type KeyPair } from '../../reconcilers/webhook/certificates.ts';
import { startWebhookServer, type WebhookServer } from '../../reconcilers/webhook/server.ts';
import { adminKubeConfig, createNamespace } from '../env/service-account.ts';
import { sleep, waitFor } from '../env/wait.ts';

const namespace = `webhook-cm-${randomBytes(3).toString('hex')}`;
const VALIDATING = `${namespace}-eviction`;
const MUTATING = `${namespace}-restore`;
const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const admission = kc.makeApiClient(AdmissionregistrationV1Api);
const logs: string[] = [];
let server: WebhookServer;
/** resourceVersions of the configurations as the test created them. */
const created: Record<string, string> = {};
/** The Secret as the test (cert-manager's stand-in) last wrote it. */
let written: V1Secret;

/** A webhook the API server never calls: it selects no namespace. */
const webhook = (name: string) => ({
  name,
  admissionReviewVersions: ['v1'],
  sideEffects: 'None',
  failurePolicy: 'Ignore',
  clientConfig: { url: 'https://127.0.0.1:1/never' },
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
  namespaceSelector: { matchLabels: { 'test.continuum.dev/none': namespace } },
});

/** What cert-manager writes for a Certificate: a serving certificate for 127.0.0.1 and its CA. */
function issued(): { ca: KeyPair; server: KeyPair; data: Record<string, string> } {
  const ca = makeCa('cert-manager-test-ca', 30);
  const server = makeServing(ca, 'cert-manager-test-ca', { dnsNames: [], ips: ['127.0.0.1'] }, 3);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    ca,
    server,
    data: { 'tls.crt': b64(server.cert), 'tls.key': b64(server.key), 'ca.crt': b64(ca.cert) },
  };
}

/** The certificate the server presents, trusted through `ca` when given. */
function served(ca?: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const trust = ca ? { ca } : { rejectUnauthorized: false };
    const socket = connect({ host: '127.0.0.1', port: server.port, ...trust }, () => {
      const { raw } = socket.getPeerCertificate();
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.on('error', reject);
  });
}

const sameCertificate = (x: X509Certificate, pem: string) =>
  x.fingerprint256 === new X509Certificate(pem).fingerprint256;

test.before(async (t) => {
  t.timeout(60_000);
  await createNamespace(namespace);
  const validating = await admission.createValidatingWebhookConfiguration({
    body: { metadata: { name: VALIDATING }, webhooks: [webhook('eviction.continuum.dev')] },
  });
  const mutating = await admission.createMutatingWebhookConfiguration({
    body: { metadata: { name: MUTATING }, webhooks: [webhook('restore.continuum.dev')] },
  });
  created[VALIDATING] = validating.metadata!.resourceVersion!;
  created[MUTATING] = mutating.metadata!.resourceVersion!;
  const config = configFromEnv({
    POD_NAMESPACE: namespace,
    CONTINUUM_WEBHOOK_LISTEN: '127.0.0.1:0',
    CONTINUUM_WEBHOOK_HOSTS: '127.0.0.1',
    CONTINUUM_WEBHOOK_CONFIGURATION: VALIDATING,
    CONTINUUM_WEBHOOK_RESTORE_CONFIGURATION: MUTATING,
    CONTINUUM_WEBHOOK_TLS: 'cert-manager',
  });
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  server = await startWebhookServer({
    kc,
    config,
    listen: config.webhook!.listen,
    tls: {
      mode: config.webhook!.tls,
      namespace,
      secretName: WEBHOOK_TLS_SECRET,
      hosts: config.webhook!.hosts,
      configurations: config.webhook!.configurations,
    },
    log,
    refreshMs: 200,
  });
});

test.after.always(async () => {
  await server?.close();
  await admission.deleteValidatingWebhookConfiguration({ name: VALIDATING }).catch(() => {});
  await admission.deleteMutatingWebhookConfiguration({ name: MUTATING }).catch(() => {});
  await core.deleteNamespace({ name: namespace }).catch(() => {});
});

test.serial(
  'while cert-manager has not issued the Secret it waits: says so, makes none, no handshake',
  async (t) => {
    t.true(
      logs.some((l) => l.includes('waiting for cert-manager to issue the webhook certificate')),
    );
    await sleep(1_000); // five refreshes
    const missing = await core
      .readNamespacedSecret({ namespace, name: WEBHOOK_TLS_SECRET })
      .catch((err: unknown) => apiErrorCode(err));
    t.is(missing, 404, 'the operator does not make the Secret in cert-manager mode');
    await t.throwsAsync(served());
    t.is(logs.filter((l) => l.includes('waiting for cert-manager')).length, 1, 'said once');
  },
);

test.serial(
  'once the Secret appears it serves its certificate, trusted through its CA',
  async (t) => {
    const first = issued();
    written = await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: WEBHOOK_TLS_SECRET },
        type: 'kubernetes.io/tls',
        data: first.data,
      },
    });
    const x = await waitFor('the certificate of the Secret served', async () => {
      const cert = await served(first.ca.cert);
      return sameCertificate(cert, first.server.cert) && cert;
    });
    t.truthy(x);
    t.true(logs.some((l) => l.includes('webhook certificate issued by cert-manager')));
  },
);

test.serial('a renewed certificate in the Secret is served after a refresh', async (t) => {
  const renewed = issued();
  written = await core.replaceNamespacedSecret({
    namespace,
    name: WEBHOOK_TLS_SECRET,
    body: { ...written, data: renewed.data },
  });
  const x = await waitFor('the renewed certificate served', async () => {
    const cert = await served(renewed.ca.cert);
    return sameCertificate(cert, renewed.server.cert) && cert;
  });
  t.truthy(x);
});

test.serial('the operator wrote neither the Secret nor a caBundle', async (t) => {
  await sleep(1_000); // five more refreshes
  const secret = await core.readNamespacedSecret({ namespace, name: WEBHOOK_TLS_SECRET });
  t.is(secret.metadata!.resourceVersion, written.metadata!.resourceVersion);
  t.deepEqual(secret.data, written.data);
  const validating = await admission.readValidatingWebhookConfiguration({ name: VALIDATING });
  const mutating = await admission.readMutatingWebhookConfiguration({ name: MUTATING });
  t.is(validating.metadata!.resourceVersion, created[VALIDATING]);
  t.is(mutating.metadata!.resourceVersion, created[MUTATING]);
  t.is(validating.webhooks![0]!.clientConfig.caBundle, undefined);
  t.is(mutating.webhooks![0]!.clientConfig.caBundle, undefined);
});
