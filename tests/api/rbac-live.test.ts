/**
 * The chart's RBAC installed in the real API server: `kubectl auth can-i` as each ServiceAccount
 * answers what the operator, the agent and the imager may do.
 */
import test from 'ava';
import {
  AGENT_SERVICE_ACCOUNT,
  IMAGER_SERVICE_ACCOUNT,
  OPERATOR_NAME,
} from '../../reconcilers/api/install.ts';
import { OPERATOR_NAMESPACE } from '../../reconcilers/api/types.ts';
import { testEnv } from '../env/info.ts';
import { installChartRbac } from './install-chart.ts';
import { kubectl } from './kubectl.ts';

test.before(async () => {
  await installChartRbac(testEnv().kubeconfig);
});

/** Namespace of a case: a name, ANY (every namespace) or undefined (cluster-scoped). */
const ANY = '*';

/** kubectl auth can-i as a chart ServiceAccount; `resource` may name a subresource (`nodes/checkpoint`). */
async function canI(account: string, verb: string, resource: string, namespace?: string) {
  const [plural, subresource] = resource.split('/');
  const result = await kubectl([
    ...['auth', 'can-i', verb, plural!],
    ...(subresource ? [`--subresource=${subresource}`] : []),
    ...(namespace === ANY ? ['-A'] : namespace ? ['-n', namespace] : []),
    `--as=system:serviceaccount:${OPERATOR_NAMESPACE}:${account}`,
  ]);
  return result.stdout.trim() === 'yes';
}

const cases: [string, string, string, string | undefined, boolean][] = [
  [OPERATOR_NAME, 'create', 'nodes/checkpoint', undefined, true],
  [OPERATOR_NAME, 'get', 'nodes/proxy', undefined, false],
  [OPERATOR_NAME, 'create', 'pods', 'team-a', true],
  [OPERATOR_NAME, 'watch', 'pods', ANY, true],
  [OPERATOR_NAME, 'create', 'serviceaccounts', 'team-a', true],
  [OPERATOR_NAME, 'create', 'events', 'team-a', true],
  [OPERATOR_NAME, 'update', 'migrations.continuum.dev/finalizers', 'team-a', true],
  [OPERATOR_NAME, 'delete', 'pods', 'team-a', true],
  [OPERATOR_NAME, 'update', 'pods', 'team-a', false],
  [OPERATOR_NAME, 'create', 'jobs.batch', 'team-a', true],
  [OPERATOR_NAME, 'get', 'secrets', 'team-a', true],
  [OPERATOR_NAME, 'list', 'secrets', 'team-a', false],
  [OPERATOR_NAME, 'create', 'migrations.continuum.dev', 'team-a', true],
  [OPERATOR_NAME, 'patch', 'migrations.continuum.dev/status', 'team-a', true],
  [OPERATOR_NAME, 'patch', 'edgenodes.continuum.dev/status', undefined, true],
  [OPERATOR_NAME, 'update', 'leases.coordination.k8s.io', OPERATOR_NAMESPACE, true],
  [OPERATOR_NAME, 'update', 'leases.coordination.k8s.io', 'team-a', false],
  [OPERATOR_NAME, 'create', 'daemonsets.apps', OPERATOR_NAMESPACE, true],
  [OPERATOR_NAME, 'create', 'daemonsets.apps', 'team-a', false],
  [AGENT_SERVICE_ACCOUNT, 'list', 'pods', ANY, true],
  [AGENT_SERVICE_ACCOUNT, 'create', 'pods', 'team-a', false],
  [AGENT_SERVICE_ACCOUNT, 'create', 'nodes/checkpoint', undefined, false],
  [IMAGER_SERVICE_ACCOUNT, 'get', 'pods', 'team-a', false],
  [IMAGER_SERVICE_ACCOUNT, 'get', 'secrets', OPERATOR_NAMESPACE, false],
];

for (const [account, verb, resource, namespace, allowed] of cases) {
  test(`${account} ${allowed ? 'may' : 'may not'} ${verb} ${resource} ${namespace === ANY ? 'in every namespace' : namespace ? `in ${namespace}` : '(cluster)'}`, async (t) => {
    t.timeout(30_000);
    t.is(await canI(account, verb, resource, namespace), allowed);
  });
}
