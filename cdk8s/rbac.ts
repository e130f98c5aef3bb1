/**
 * ServiceAccounts and least-privilege RBAC: exactly the verbs on exactly the resources each
 * identity touches. The operator: pods (observe, restore, cut over, hand a ReplicaSet's pod
 * over), ReplicaSets and Deployments (read one source's owners), nodes (find the kubelet),
 * nodes/checkpoint (the kubelet checkpoint API), namespaces (policy namespaceSelectors), jobs
 * (imaging) and the imager's ServiceAccount next to them, secrets (read push/pull credentials
 * to verify images), events (write; list a stuck pod's), the three resources
 * (the trigger creates Migrations) with status and finalizers; in its own namespace only, Leases
 * (leader election) and DaemonSets (the agents). Unless cert-manager makes the webhook's
 * certificate, also the webhook TLS Secret (update) and the webhook configurations (its CA).
 * The agent reads pods. The imager has nothing.
 */
import { Chart } from 'cdk8s';
import {
  KubeClusterRole,
  KubeClusterRoleBinding,
  KubeRole,
  KubeRoleBinding,
  KubeServiceAccount,
  type PolicyRule,
} from 'cdk8s-plus-27/lib/imports/k8s.js';
import type { Construct } from 'constructs';
import {
  AGENT_SERVICE_ACCOUNT,
  IMAGER_SERVICE_ACCOUNT,
  OPERATOR_NAME,
  PART_OF_LABELS,
  WEBHOOK_TLS_SECRET,
} from '../reconcilers/api/install.ts';
import { GROUP } from '../reconcilers/api/types.ts';
import { str, tpl } from './helm.ts';
import { RESTORE_CONFIGURATION, WEBHOOK_CONFIGURATION } from './operator.ts';

const READ = ['get', 'list', 'watch'];
const namespace = str('namespace');

const operatorClusterRules: PolicyRule[] = [
  // patch: a ReplicaSet's source and restored pod at the handover (deletion cost, template hash)
  { apiGroups: [''], resources: ['pods'], verbs: [...READ, 'create', 'delete', 'patch'] },
  // whether a source pod's ReplicaSet and Deployment allow the move (no rollout under way)
  {
    apiGroups: ['apps'],
    resources: ['replicasets', 'deployments', 'statefulsets'],
    verbs: ['get'],
  },
  { apiGroups: [''], resources: ['nodes', 'namespaces'], verbs: READ },
  { apiGroups: [''], resources: ['nodes/checkpoint'], verbs: ['create'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  // the imager's ServiceAccount (no rights, token not mounted) in a Migration's namespace
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create'] },
  // list: the kubelet's FailedCreatePodSandBox message of a restored pod stuck without a sandbox
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'list'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: [...READ, 'create', 'delete'] },
  {
    apiGroups: [GROUP],
    resources: ['migrations'],
    // delete: a finished Migration whose TTL is over
    verbs: [...READ, 'create', 'patch', 'delete'],
  },
  { apiGroups: [GROUP], resources: ['migrationpolicies', 'edgenodes'], verbs: READ },
  {
    apiGroups: [GROUP],
    resources: ['migrations/status', 'migrationpolicies/status', 'edgenodes/status'],
    verbs: ['get', 'update', 'patch'],
  },
  {
    apiGroups: [GROUP],
    resources: ['migrations/finalizers', 'edgenodes/finalizers'],
    verbs: ['update'],
  },
];

const operatorNamespaceRules: PolicyRule[] = [
  // the restore key and the webhook's own TLS Secret (get is granted cluster-wide)
  { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'create', 'update'],
  },
  {
    apiGroups: ['apps'],
    resources: ['daemonsets'],
    verbs: [...READ, 'create', 'update', 'patch', 'delete'],
  },
];

function serviceAccount(scope: Construct, name: string, automount: boolean): void {
  new KubeServiceAccount(scope, name, {
    metadata: { name, namespace, labels: PART_OF_LABELS },
    automountServiceAccountToken: automount,
  });
}

/**
 * A ClusterRole and its binding to ServiceAccount `subject`. Cluster-wide names carry the release
 * name (`continuum-operator` for release `continuum`, `<release>-operator` for another): two
 * installs in one cluster (each with its own namespace) do not claim the same objects.
 */
function clusterRole(scope: Construct, id: string, subject: string, rules: PolicyRule[]): void {
  const name = tpl(`printf "%s-${id.replace(/^continuum-/, '')}" .Release.Name | quote`);
  new KubeClusterRole(scope, `${id}-role`, { metadata: { name, labels: PART_OF_LABELS }, rules });
  new KubeClusterRoleBinding(scope, `${id}-binding`, {
    metadata: { name, labels: PART_OF_LABELS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name: subject, namespace }],
  });
}

/** ServiceAccounts of the operator, the agent and the imager. */
export function serviceAccountsChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'serviceaccounts');
  serviceAccount(chart, OPERATOR_NAME, true);
  serviceAccount(chart, AGENT_SERVICE_ACCOUNT, true);
  serviceAccount(chart, IMAGER_SERVICE_ACCOUNT, false);
  return chart;
}

/** The operator's ClusterRole and its namespaced Role, with bindings. */
export function operatorRbacChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'rbac-operator');
  clusterRole(chart, OPERATOR_NAME, OPERATOR_NAME, operatorClusterRules);
  const meta = { name: OPERATOR_NAME, namespace, labels: PART_OF_LABELS };
  new KubeRole(chart, 'role', { metadata: meta, rules: operatorNamespaceRules });
  new KubeRoleBinding(chart, 'role-binding', {
    metadata: meta,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OPERATOR_NAME },
    subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace }],
  });
  return chart;
}

/**
 * Unless cert-manager makes the webhook's certificate: renewing the operator's own (update of
 * that one Secret) and putting its CA into the two webhook configurations.
 */
export function webhookTlsRbacChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'rbac-webhook-tls');
  const admission = (resource: string, name: string): PolicyRule => ({
    apiGroups: ['admissionregistration.k8s.io'],
    resources: [resource],
    resourceNames: [name],
    verbs: ['get', 'update'],
  });
  clusterRole(chart, `${OPERATOR_NAME}-webhook-ca`, OPERATOR_NAME, [
    admission('validatingwebhookconfigurations', WEBHOOK_CONFIGURATION),
    admission('mutatingwebhookconfigurations', RESTORE_CONFIGURATION),
  ]);
  const name = `${OPERATOR_NAME}-webhook-tls`;
  const meta = { name, namespace, labels: PART_OF_LABELS };
  new KubeRole(chart, 'role', {
    metadata: meta,
    rules: [
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: [WEBHOOK_TLS_SECRET],
        verbs: ['update'],
      },
    ],
  });
  new KubeRoleBinding(chart, 'role-binding', {
    metadata: meta,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace }],
  });
  return chart;
}

/** The agent lists the pods of its node (field selector spec.nodeName). */
export function agentRbacChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'rbac-agent');
  clusterRole(chart, AGENT_SERVICE_ACCOUNT, AGENT_SERVICE_ACCOUNT, [
    { apiGroups: [''], resources: ['pods'], verbs: READ },
  ]);
  return chart;
}

/** Only with kubelet.viaProxy: the API server node proxy to kubelets (a checkpoint is a POST). */
export function nodeProxyRbacChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'rbac-node-proxy');
  clusterRole(chart, `${OPERATOR_NAME}-node-proxy`, OPERATOR_NAME, [
    { apiGroups: [''], resources: ['nodes/proxy'], verbs: ['create'] },
  ]);
  return chart;
}
