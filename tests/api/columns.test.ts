/**
 * What `kubectl` shows: the Migration printer columns, the short names, the `continuum`
 * category listing all three kinds, and `kubectl explain` teaching the fields.
 * The cluster-scoped objects select nothing, so operators running in other tests ignore them.
 */
import test from 'ava';
import { API_VERSION } from '../../reconcilers/api/types.ts';
import { testEnv } from '../env/info.ts';
import { installCrds } from './install-crds.ts';
import { kubectl } from './kubectl.ts';

const NAMESPACE = 'api-columns';
const POLICY = 'api-columns-policy';
const EDGE = 'api-columns-edge';

const objects = [
  {
    apiVersion: API_VERSION,
    kind: 'Migration',
    metadata: { name: 'columns', namespace: NAMESPACE },
    spec: { podName: 'web', restorePolicy: 'checkpoint' },
  },
  {
    apiVersion: API_VERSION,
    kind: 'MigrationPolicy',
    metadata: { name: POLICY },
    spec: {
      selector: { nodeSelector: { 'api-columns': 'no-such-node' } },
      triggers: [{ metric: 'nodeCPU', above: 99 }],
    },
  },
  {
    apiVersion: API_VERSION,
    kind: 'EdgeNode',
    metadata: { name: EDGE },
    spec: {
      nodeSelector: { 'api-columns': 'no-such-node' },
      cloudSelector: { 'api-columns': 'x' },
    },
  },
];

test.before(async () => {
  await installCrds(testEnv().kubeconfig);
  await kubectl(['create', 'namespace', NAMESPACE]);
  const created = await kubectl(['create', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  if (created.code !== 0) throw new Error(`cannot create the objects: ${created.stderr}`);
  const status = await kubectl([
    ...['patch', '-n', NAMESPACE, 'migration/columns', '--subresource=status', '--type=merge'],
    '-p',
    JSON.stringify({
      status: { phase: 'Done', sourceNode: 'edge-1', targetNode: 'cloud-1', duration: '42s' },
    }),
  ]);
  if (status.code !== 0) throw new Error(`cannot write the status: ${status.stderr}`);
});

test.after.always(async () => {
  await kubectl(['delete', 'namespace', NAMESPACE, '--wait=false', '--ignore-not-found']);
  await kubectl(['delete', `migrationpolicy/${POLICY}`, `edgenode/${EDGE}`, '--ignore-not-found']);
});

/** The rows of a kubectl table, split on runs of spaces. */
function rows(stdout: string): string[][] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

test('kubectl get migrations prints the columns', async (t) => {
  const result = await kubectl(['get', 'migrations', '-n', NAMESPACE]);
  t.is(result.code, 0, result.stderr);
  const [header, row] = rows(result.stdout);
  t.deepEqual(header, ['NAME', 'PHASE', 'POD', 'SOURCE', 'TARGET', 'RESTORE', 'AGE', 'DURATION']);
  t.deepEqual(
    row?.filter((_cell, i) => i !== 6),
    ['columns', 'Done', 'web', 'edge-1', 'cloud-1', 'checkpoint', '42s'],
  );
  t.regex(row?.[6] ?? '', /^\d+s$/, 'AGE');
});

test('short names mig, migpol and edge', async (t) => {
  for (const [shortName, name] of [
    ['mig', 'columns'],
    ['migpol', POLICY],
    ['edge', EDGE],
  ] as const) {
    const result = await kubectl(['get', shortName, name, '-n', NAMESPACE, '-o', 'name']);
    t.is(result.code, 0, result.stderr);
    t.regex(result.stdout, new RegExp(`/${name}\\n$`), shortName);
  }
});

test('kubectl get continuum lists all three kinds', async (t) => {
  const result = await kubectl(['get', 'continuum', '-A', '-o', 'name']);
  t.is(result.code, 0, result.stderr);
  const names = result.stdout.trim().split('\n');
  t.true(names.includes('migration.continuum.dev/columns'), result.stdout);
  t.true(names.includes(`migrationpolicy.continuum.dev/${POLICY}`), result.stdout);
  t.true(names.includes(`edgenode.continuum.dev/${EDGE}`), result.stdout);
});

test('kubectl explain teaches the fields', async (t) => {
  const result = await kubectl(['explain', 'migration.spec.target']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /Set exactly one of nodeName or nodeSelector/);
  t.regex(result.stdout, /nodeSelector\s+<map\[string\]string>/);
});
