/**
 * Installs what the chart grants, without the Deployment: the Namespace, the ServiceAccounts,
 * the ClusterRoles/Roles and their bindings, and the settings ConfigMap (default values,
 * namespace continuum-system), rendered by `helm template` from charts/continuum. Lets a test
 * run the operator (or the agent) as `continuum-operator` with exactly the chart's rights:
 *   await installChartRbac(env.kubeconfig);
 *   const kc = await serviceAccountKubeconfig(OPERATOR_NAMESPACE, OPERATOR_NAME);
 * Idempotent (server-side apply, forced, one field manager), safe from concurrent test files;
 * nothing is removed afterwards (the objects are shared by every test of the run).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { testEnv } from '../env/info.ts';
import { installCrds } from './install-crds.ts';
import { FORCED_APPLY, kubectl, oncePerKubeconfig } from './kubectl.ts';

const CHART = fileURLToPath(new URL('../../charts/continuum', import.meta.url));
const KINDS = [
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'ConfigMap',
];

export const installChartRbac = oncePerKubeconfig(install);

async function install(kubeconfig: string): Promise<void> {
  await installCrds(kubeconfig);
  const helm = join(testEnv().binDir, 'helm');
  const rendered = await promisify(execFile)(helm, [
    ...['template', 'continuum', CHART, '--kube-version', '1.34.0'],
  ]);
  const items = parseAllDocuments(rendered.stdout)
    .map((doc) => doc.toJS() as { kind: string } | null)
    .filter((o): o is { kind: string } => o !== null && KINDS.includes(o.kind))
    .sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
  const [namespace, ...rest] = items;
  for (const batch of [[namespace], rest]) {
    const applied = await kubectl([...FORCED_APPLY, '-f', '-'], {
      kubeconfig,
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: batch }),
    });
    if (applied.code !== 0) throw new Error(`cannot install the chart's RBAC: ${applied.stderr}`);
  }
}
