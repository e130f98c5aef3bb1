/**
 * GIVEN the chart's RBAC constructs, THEN each identity has exactly the rights its code needs:
 * no wildcards, the imager none at all and no token, node proxy only when asked for, the
 * webhook's TLS Secret and configurations only in a role the chart leaves out with cert-manager.
 */
import test from 'ava';
import { App } from 'cdk8s';
import type { V1ClusterRole, V1Role, V1ServiceAccount } from '@kubernetes/client-node';
import {
  agentRbacChart,
  nodeProxyRbacChart,
  operatorRbacChart,
  serviceAccountsChart,
  webhookTlsRbacChart,
} from '../../cdk8s/rbac.ts';

type Rules = V1ClusterRole['rules'];

/** "verb resource" pairs, e.g. "create nodes/checkpoint", "watch migrations.continuum.dev". */
function grants(rules: Rules): string[] {
  return (rules ?? []).flatMap((rule) =>
    rule.apiGroups!.flatMap((group) =>
      rule.resources!.flatMap((resource) =>
        rule.verbs.map((verb) => `${verb} ${resource}${group ? `.${group}` : ''}`),
      ),
    ),
  );
}

function rolesOf(chart: ReturnType<typeof operatorRbacChart>) {
  const objects = chart.toJson();
  const find = (kind: string) => objects.filter((o) => o.kind === kind);
  return { clusterRoles: find('ClusterRole') as V1ClusterRole[], roles: find('Role') as V1Role[] };
}

test('the operator can do what a migration needs', (t) => {
  const { clusterRoles, roles } = rolesOf(operatorRbacChart(new App()));
  const cluster = grants(clusterRoles[0]!.rules);
  for (const grant of [
    'create nodes/checkpoint',
    'watch pods',
    'create pods',
    'delete pods',
    'patch pods',
    'get replicasets.apps',
    'get deployments.apps',
    'get statefulsets.apps',
    'watch nodes',
    'create jobs.batch',
    'delete jobs.batch',
    'get secrets',
    'create events',
    'create migrations.continuum.dev',
    'delete migrations.continuum.dev', // a finished one whose TTL is over
    'patch migrations/status.continuum.dev',
    'update migrations/finalizers.continuum.dev',
    'watch migrationpolicies.continuum.dev',
    'patch edgenodes/status.continuum.dev',
  ]) {
    t.true(cluster.includes(grant), grant);
  }
  const namespaced = grants(roles[0]!.rules);
  t.true(namespaced.includes('update leases.coordination.k8s.io'));
  t.true(namespaced.includes('create daemonsets.apps'));
  t.true(namespaced.includes('create secrets'), 'the restore key and the webhook TLS Secret');
  t.false(namespaced.includes('update secrets'), 'only the webhook role updates one');
  t.false(cluster.includes('create secrets'), 'no Secret anywhere else');
});

test('the webhook TLS role: its own Secret and the two configurations, nothing else', (t) => {
  const { clusterRoles, roles } = rolesOf(webhookTlsRbacChart(new App()));
  t.deepEqual(grants(clusterRoles[0]!.rules), [
    'get validatingwebhookconfigurations.admissionregistration.k8s.io',
    'update validatingwebhookconfigurations.admissionregistration.k8s.io',
    'get mutatingwebhookconfigurations.admissionregistration.k8s.io',
    'update mutatingwebhookconfigurations.admissionregistration.k8s.io',
  ]);
  t.true(clusterRoles[0]!.rules!.every((r) => r.resourceNames?.length === 1));
  t.deepEqual(grants(roles[0]!.rules), ['update secrets']);
  t.deepEqual(roles[0]!.rules![0]!.resourceNames, ['continuum-webhook-tls']);
});

test('the operator cannot do what it does not need', (t) => {
  const { clusterRoles, roles } = rolesOf(operatorRbacChart(new App()));
  const all = [...grants(clusterRoles[0]!.rules), ...grants(roles[0]!.rules)];
  t.false(
    all.some((g) => g.includes('*')),
    'no wildcard',
  );
  for (const grant of [
    'get nodes/proxy',
    'list secrets',
    'update pods',
    'patch deployments.apps',
    'patch replicasets.apps',
    'create tokenreviews.authentication.k8s.io',
    'create subjectaccessreviews.authorization.k8s.io',
    'update nodes',
    'update migrations.continuum.dev',
    'get serviceaccounts',
  ]) {
    t.false(all.includes(grant), grant);
  }
  t.false(grants(clusterRoles[0]!.rules).includes('create daemonsets.apps'), 'cluster-wide');
  t.false(grants(clusterRoles[0]!.rules).includes('update leases.coordination.k8s.io'));
});

test('the agent only reads pods; node proxy is a separate opt-in role', (t) => {
  const agent = rolesOf(agentRbacChart(new App())).clusterRoles;
  t.deepEqual(grants(agent[0]!.rules), ['get pods', 'list pods', 'watch pods']);
  const proxy = rolesOf(nodeProxyRbacChart(new App())).clusterRoles;
  t.deepEqual(grants(proxy[0]!.rules), ['create nodes/proxy']);
});

test('the imager has a ServiceAccount without token and without any binding', (t) => {
  const app = new App();
  const accounts = serviceAccountsChart(app).toJson() as V1ServiceAccount[];
  const imager = accounts.find((a) => a.metadata!.name === 'continuum-imager');
  t.is(imager?.automountServiceAccountToken, false);
  const subjects = [operatorRbacChart(app), agentRbacChart(app), nodeProxyRbacChart(app)]
    .flatMap((chart) => chart.toJson())
    .flatMap((o) => (o.subjects ?? []) as { name: string }[])
    .map((s) => s.name);
  t.false(subjects.includes('continuum-imager'));
});
