/**
 * Kubeconfigs for ServiceAccounts, so that a test runs code with exactly the RBAC a
 * ServiceAccount is granted (e.g. the operator with the chart's ClusterRole).
 */
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { testEnv } from './info.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { waitFor } from './wait.ts';

/** The admin KubeConfig of the test environment. */
export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testEnv().kubeconfig);
  return kc;
}

/**
 * Creates the ServiceAccount (and its namespace) when missing, requests a token for it
 * (TokenRequest API, one hour) and returns the path of a kubeconfig using that token.
 */
export async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const env = testEnv();
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  await ignoreConflict(core.createNamespace({ body: { metadata: { name: namespace } } }));
  await ignoreConflict(
    core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }),
  );
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { expirationSeconds: 3600, audiences: [] } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ServiceAccount ${namespace}/${name}`);
  const path = join(env.workDir, `sa-${namespace}-${name}.kubeconfig`);
  return writeKubeconfig(path, env.apiServer, env.caFile, { token });
}

/** Awaits a create call, treating 409 AlreadyExists as success. */
export async function ignoreConflict(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

/**
 * Creates a namespace (labelled) and waits for its `default` ServiceAccount: the controller-manager
 * creates it a moment later, and until then the API server refuses pods in the namespace.
 */
export async function createNamespace(
  name: string,
  labels?: Record<string, string>,
): Promise<void> {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels } } });
  await waitFor(`the default ServiceAccount of namespace ${name}`, () =>
    core.readNamespacedServiceAccount({ namespace: name, name: 'default' }),
  );
}
