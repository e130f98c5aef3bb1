/**
 * The Helm chart: `helm lint` passes; `helm template` substitutes the values (cert-manager's
 * objects and annotations only with webhook.certManager.enabled); its output, and every manifest
 * in policies/, applies with a server-side dry run against the real API server.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { V1ConfigMap, V1Deployment, V1RoleBinding } from '@kubernetes/client-node';
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { testEnv } from '../env/info.ts';
import { installCrds } from './install-crds.ts';
import { waitFor } from '../env/wait.ts';
import { kubectl } from './kubectl.ts';

const CHART = fileURLToPath(new URL('../../charts/continuum', import.meta.url));
const POLICIES = fileURLToPath(new URL('../../policies', import.meta.url));
const NAMESPACE = 'api-chart';

function helm(args: string[]): Promise<string> {
  return promisify(execFile)(join(testEnv().binDir, 'helm'), args).then((out) => out.stdout);
}

function template(values: string[], release = 'continuum'): Promise<string> {
  const set = values.flatMap((v) => ['--set', v]);
  return helm(['template', release, CHART, '--kube-version', '1.34.0', '--include-crds', ...set]);
}

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

function documents(text: string): Manifest[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0]!;
    const value = doc.toJS() as Manifest | null;
    return value ? [value] : [];
  });
}

test.before(async () => {
  await installCrds(testEnv().kubeconfig);
});

test.after.always(async () => {
  await kubectl(['delete', 'namespace', NAMESPACE, '--wait=false', '--ignore-not-found']);
});

test('helm lint passes, also with every optional part on', async (t) => {
  await t.notThrowsAsync(helm(['lint', '--strict', CHART]));
  await t.notThrowsAsync(helm(['lint', '--strict', CHART, '--set', 'kubelet.viaProxy=true']));
  await t.notThrowsAsync(
    helm(['lint', '--strict', CHART, '--set', 'webhook.certManager.enabled=true']),
  );
});

test('values.schema.json refuses a misspelt key, a wrong type and an unknown enum value', async (t) => {
  for (const [value, complaint] of [
    ['replica=3', 'additional properties'],
    ['replicas=two', "at '/replicas'"],
    ['image.pullPolicy=Sometimes', "at '/image/pullPolicy'"],
  ]) {
    const error = await t.throwsAsync(template([value!]));
    t.true(error?.message.includes(complaint!), `${value}: ${error?.message}`);
  }
});

test('helm template substitutes the values', async (t) => {
  const docs = documents(
    await template([
      `namespace=${NAMESPACE}`,
      'image.repository=registry.example.com/continuum',
      'image.tag=1.2.3',
      'replicas=3',
      'natsUrl=nats://nats.example:4222',
      'registry.repository=registry.example.com/checkpoints',
      'registry.pushSecret=push',
      'registry.pullSecret=pull',
      'image.pullSecret=product-pull',
      'registry.plainHttp=true',
      'jobTtlSeconds=60',
      'watchNamespace=team-a',
      'edgeNodeSelector=continuum.dev/install=canary',
      'nodeSelector.zone=cloud',
      'tolerations[0].key=dedicated',
      'tolerations[0].operator=Exists',
    ]),
  );
  const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as V1Deployment;
  t.is(deployment.spec!.replicas, 3);
  t.deepEqual(deployment.spec!.template.spec!.imagePullSecrets, [{ name: 'product-pull' }]);
  t.deepEqual(deployment.spec!.template.spec!.nodeSelector, { zone: 'cloud' });
  t.deepEqual(deployment.spec!.template.spec!.tolerations, [
    { key: 'dedicated', operator: 'Exists' },
  ]);
  t.is(deployment.metadata!.namespace, NAMESPACE);
  const [container] = deployment.spec!.template.spec!.containers;
  t.is(container!.image, 'registry.example.com/continuum:1.2.3');
  t.deepEqual(container!.command, ['continuum', 'operator']);
  const config = docs.find((d) => d.kind === 'ConfigMap') as unknown as V1ConfigMap;
  t.like(config.data, {
    CONTINUUM_NATS_URL: 'nats://nats.example:4222',
    CONTINUUM_REGISTRY_REPOSITORY: 'registry.example.com/checkpoints',
    CONTINUUM_REGISTRY_PUSH_SECRET: 'push',
    CONTINUUM_REGISTRY_PULL_SECRET: 'pull',
    CONTINUUM_IMAGE: 'registry.example.com/continuum:1.2.3',
    CONTINUUM_IMAGE_PULL_SECRET: 'product-pull',
    CONTINUUM_KUBELET_VIA_PROXY: 'false',
    CONTINUUM_REGISTRY_PLAIN_HTTP: 'true',
    CONTINUUM_JOB_TTL: '60',
    CONTINUUM_WATCH_NAMESPACE: 'team-a',
    CONTINUUM_EDGENODE_SELECTOR: 'continuum.dev/install=canary',
  });
  t.false(docs.some((d) => d.metadata.name === 'continuum-operator-node-proxy'));
  const bindings = docs.filter((d) => d.kind.endsWith('Binding')) as unknown as V1RoleBinding[];
  for (const binding of bindings) t.is(binding.subjects![0]!.namespace, NAMESPACE);
});

test('cluster-wide names carry the release name: two installs do not claim one object', async (t) => {
  const clusterWide = async (release: string) =>
    documents(await template([`namespace=${release}-system`], release))
      .filter((d) => d.kind.startsWith('Cluster'))
      .map((d) => `${d.kind}/${d.metadata.name}`)
      .sort();
  t.deepEqual(await clusterWide('continuum'), [
    'ClusterRole/continuum-agent',
    'ClusterRole/continuum-operator',
    'ClusterRole/continuum-operator-webhook-ca',
    'ClusterRoleBinding/continuum-agent',
    'ClusterRoleBinding/continuum-operator',
    'ClusterRoleBinding/continuum-operator-webhook-ca',
  ]);
  t.deepEqual(await clusterWide('canary'), [
    'ClusterRole/canary-agent',
    'ClusterRole/canary-operator',
    'ClusterRole/canary-operator-webhook-ca',
    'ClusterRoleBinding/canary-agent',
    'ClusterRoleBinding/canary-operator',
    'ClusterRoleBinding/canary-operator-webhook-ca',
  ]);
});

/** What of cert-manager a rendering holds: its objects, annotations, the operator's mode. */
function certManagerParts(docs: Manifest[]) {
  const configurations = docs.filter((d) => d.kind.endsWith('WebhookConfiguration')) as unknown as {
    kind: string;
    metadata: { annotations?: Record<string, string> };
  }[];
  const config = docs.find((d) => d.kind === 'ConfigMap') as unknown as V1ConfigMap;
  return {
    objects: docs
      .filter((d) => (d.apiVersion as string).startsWith('cert-manager.io/'))
      .map((d) => `${d.kind}/${d.metadata.name}`)
      .sort(),
    annotations: configurations.map((c) => c.metadata.annotations ?? {}),
    mode: config.data!.CONTINUUM_WEBHOOK_TLS,
    webhookRoles: docs.filter((d) => d.metadata.name.includes('-operator-webhook-')).length,
    docs,
  };
}

test('webhook.certManager off (the default): nothing of cert-manager, the operator makes the TLS', async (t) => {
  const parts = certManagerParts(documents(await template([`namespace=${NAMESPACE}`])));
  t.deepEqual(parts.objects, []);
  t.deepEqual(parts.annotations, [{}, {}]);
  t.is(parts.mode, 'operator');
  t.is(parts.webhookRoles, 4, 'roles and bindings: it renews the Secret, puts its CA in');
});

test('webhook.certManager on: a Certificate for the Service, its own CA Issuer, inject-ca-from on both configurations', async (t) => {
  const parts = certManagerParts(
    documents(await template([`namespace=${NAMESPACE}`, 'webhook.certManager.enabled=true'])),
  );
  t.deepEqual(parts.objects, [
    'Certificate/continuum-webhook',
    'Certificate/continuum-webhook-ca',
    'Issuer/continuum-webhook-ca',
    'Issuer/continuum-webhook-selfsigned',
  ]);
  const named = (kind: string, name: string) =>
    parts.docs.find((d) => d.kind === kind && d.metadata.name === name) as unknown as {
      metadata: { namespace: string };
      spec: Record<string, unknown>;
    };
  const certificate = named('Certificate', 'continuum-webhook');
  const service = named('Service', 'continuum-webhook');
  t.is(certificate.metadata.namespace, NAMESPACE);
  t.is(certificate.spec.secretName, 'continuum-webhook-tls');
  t.deepEqual(certificate.spec.dnsNames, [`continuum-webhook.${NAMESPACE}.svc`]);
  t.is(service.metadata.namespace, NAMESPACE, 'the name the API server calls');
  t.deepEqual(certificate.spec.issuerRef, {
    name: 'continuum-webhook-ca',
    kind: 'Issuer',
    group: 'cert-manager.io',
  });
  t.like(named('Certificate', 'continuum-webhook-ca').spec, {
    isCA: true,
    secretName: 'continuum-webhook-ca',
    issuerRef: { name: 'continuum-webhook-selfsigned', kind: 'Issuer' },
  });
  t.deepEqual(named('Issuer', 'continuum-webhook-ca').spec, {
    ca: { secretName: 'continuum-webhook-ca' },
  });
  t.deepEqual(named('Issuer', 'continuum-webhook-selfsigned').spec, { selfSigned: {} });
  const injectFrom = { 'cert-manager.io/inject-ca-from': `${NAMESPACE}/continuum-webhook` };
  t.deepEqual(parts.annotations, [injectFrom, injectFrom]);
  t.is(parts.mode, 'cert-manager');
  t.is(parts.webhookRoles, 0, 'no right to write the Secret or the configurations');
});

test('webhook.certManager.issuerRef names the issuer: no bootstrap Issuers, the Certificate uses it', async (t) => {
  const parts = certManagerParts(
    documents(
      await template([
        'webhook.certManager.enabled=true',
        'webhook.certManager.issuerRef.name=company-ca',
        'webhook.certManager.issuerRef.kind=ClusterIssuer',
      ]),
    ),
  );
  t.deepEqual(parts.objects, ['Certificate/continuum-webhook']);
  const certificate = parts.docs.find((d) => d.kind === 'Certificate') as unknown as {
    spec: { issuerRef: unknown };
  };
  t.deepEqual(certificate.spec.issuerRef, {
    name: 'company-ca',
    kind: 'ClusterIssuer',
    group: 'cert-manager.io',
  });
});

test('helm template output applies with a server-side dry run', async (t) => {
  t.timeout(120_000);
  const docs = documents(await template([`namespace=${NAMESPACE}`, 'kubelet.viaProxy=true']));
  const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as V1Deployment;
  t.deepEqual(deployment.spec!.template.spec!.imagePullSecrets, [], 'none by default');
  t.deepEqual(docs.map((d) => d.kind).sort(), [
    ...['ClusterRole', 'ClusterRole', 'ClusterRole', 'ClusterRole', 'ClusterRoleBinding'],
    ...['ClusterRoleBinding', 'ClusterRoleBinding', 'ClusterRoleBinding', 'ConfigMap'],
    ...['CustomResourceDefinition', 'CustomResourceDefinition', 'CustomResourceDefinition'],
    ...['Deployment', 'MutatingWebhookConfiguration', 'Namespace'],
    ...['Role', 'Role', 'RoleBinding', 'RoleBinding', 'RuntimeClass', 'Service'],
    ...['Service', 'ServiceAccount', 'ServiceAccount', 'ServiceAccount'],
    'ValidatingWebhookConfiguration',
  ]);
  // a dry run creates no namespace, so the chart's own Namespace is applied for real first
  const namespace = docs.find((d) => d.kind === 'Namespace');
  const rest = docs.filter((d) => d !== namespace);
  const created = await kubectl(['apply', '--server-side', '-f', '-'], {
    input: JSON.stringify(namespace),
  });
  t.is(created.code, 0, created.stderr);
  const applied = await kubectl(
    ['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'],
    { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rest }) },
  );
  t.is(applied.code, 0, applied.stderr);
  t.is(applied.stdout.trim().split('\n').length, rest.length, applied.stdout);
});

test('every manifest in policies/ applies with a server-side dry run', async (t) => {
  t.timeout(60_000);
  // pods are admitted only once the controller-manager made the namespace's ServiceAccount
  await waitFor(
    'the default ServiceAccount',
    async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', 'default'])).code === 0,
  );
  const result = await kubectl([
    ...['apply', '--server-side', '--dry-run=server', '-n', 'default', '-R', '-f', POLICIES],
    ...['-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}'],
  ]);
  t.is(result.code, 0, result.stderr);
  t.deepEqual(result.stdout.trim().split('\n').sort(), [
    'EdgeNode/edge',
    'Migration/move-image-processing',
    'MigrationPolicy/scenario-1-restart',
    'MigrationPolicy/scenario-2-checkpoint',
    'MigrationPolicy/scenario-3-half-cpu-restart',
    'Pod/image-processing-checkpoint',
    'Pod/image-processing-half-cpu',
    'Pod/image-processing-restart',
  ]);
});
