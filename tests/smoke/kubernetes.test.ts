/**
 * Proves the control plane of the test environment is real: CEL validation in the API server,
 * the scheduler and kwok running pods, the controller-manager's Deployments, RBAC.
 */
import test from 'ava';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import {
  adminKubeConfig,
  createNamespace,
  serviceAccountKubeconfig,
} from '../env/service-account.ts';
import { waitFor } from '../env/wait.ts';

const namespace = 'smoke-kubernetes';

test.before(() => createNamespace(namespace));

test('a CRD with a CEL rule rejects a bad object with the rule message', async (t) => {
  const kc = adminKubeConfig();
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await ext.createCustomResourceDefinition({
    body: {
      metadata: { name: 'widgets.smoke.continuum.dev' },
      spec: {
        group: 'smoke.continuum.dev',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { min: { type: 'integer' }, max: { type: 'integer' } },
                    x_kubernetes_validations: [
                      { rule: 'self.min <= self.max', message: 'min must not exceed max' },
                    ],
                  },
                },
              },
            },
          },
        ],
      },
    },
  });
  const objects = kc.makeApiClient(CustomObjectsApi);
  const create = (min: number, max: number) =>
    objects.createNamespacedCustomObject({
      group: 'smoke.continuum.dev',
      version: 'v1',
      namespace,
      plural: 'widgets',
      body: {
        apiVersion: 'smoke.continuum.dev/v1',
        kind: 'Widget',
        metadata: { generateName: 'w-' },
        spec: { min, max },
      },
    });
  // The CRD serves once established; a good object proves that before the bad one is tried.
  await waitFor('the Widget CRD to serve', () => create(1, 2));
  const error = await t.throwsAsync(create(3, 2));
  t.regex(String((error as { body?: string }).body), /min must not exceed max/);
});

test('pods are scheduled onto kwok nodes and run; nodeSelector picks the cloud node', async (t) => {
  const kc = adminKubeConfig();
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const labels = { app: 'smoke-web' };
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'smoke-web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] },
        },
      },
    },
  });
  const running = await waitFor('the Deployment pod to run', async () => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=smoke-web' });
    return pods.items.find((p) => p.status?.phase === 'Running');
  });
  t.truthy(running.spec?.nodeName);

  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: 'smoke-cloud' },
      spec: {
        nodeSelector: { 'continuum.dev/layer': 'cloud' },
        containers: [{ name: 'app', image: 'registry.example/app:1' }],
      },
    },
  });
  const pod = await waitFor('the cloud pod to run', async () => {
    const p = await core.readNamespacedPod({ namespace, name: 'smoke-cloud' });
    return p.status?.phase === 'Running' ? p : undefined;
  });
  t.is(pod.spec?.nodeName, 'cloud-1');
});

test('RBAC: a ServiceAccount gets 403 until a Role grants it the list', async (t) => {
  const saConfig = new KubeConfig();
  saConfig.loadFromFile(await serviceAccountKubeconfig(namespace, 'smoke-reader'));
  const asReader = saConfig.makeApiClient(CoreV1Api);
  const denied = await t.throwsAsync(asReader.listNamespacedConfigMap({ namespace }));
  t.is((denied as { code?: number }).code, 403);

  const rbac = adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: 'configmap-reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'configmap-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'smoke-reader', namespace }],
    },
  });
  const list = await waitFor('the Role to take effect', () =>
    asReader.listNamespacedConfigMap({ namespace }),
  );
  t.true(Array.isArray(list.items));
});
