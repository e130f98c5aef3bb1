/**
 * The API server's side of the node proxy: the user of its kubelet client certificate bound to
 * the built-in `system:kubelet-api-admin` ClusterRole, as real clusters bind it. That role
 * (Kubernetes 1.34) does not grant `create nodes/checkpoint`, which a kubelet requires for
 * `/checkpoint`: a proxied checkpoint needs that grant too (tests/migration/e2e-proxy.test.ts).
 */
import { KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { KUBELET_CLIENT_USER } from './pki.ts';

export const KUBELET_API_ADMIN_BINDING = 'continuum-test:apiserver-kubelet-api-admin';

export async function bindKubeletClient(kubeconfig: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
    body: {
      metadata: { name: KUBELET_API_ADMIN_BINDING },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'system:kubelet-api-admin',
      },
      subjects: [
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: KUBELET_CLIENT_USER },
      ],
    },
  });
}
