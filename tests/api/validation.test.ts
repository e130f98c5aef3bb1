/**
 * The CRDs against the real API server: every invalid object is refused with a message naming
 * the offending field; valid objects are accepted with their defaults filled in; a Migration's
 * spec cannot change while its status can.
 */
import test from 'ava';
import { parse } from 'yaml';
import { API_VERSION } from '../../reconcilers/api/types.ts';
import { testEnv } from '../env/info.ts';
import { installCrds } from './install-crds.ts';
import { invalidCases } from './invalid-objects.ts';
import { kubectl } from './kubectl.ts';

const NAMESPACE = 'api-validation';

test.before(async () => {
  await installCrds(testEnv().kubeconfig);
  await kubectl(['create', 'namespace', NAMESPACE]);
});

test.after.always(async () => {
  await kubectl(['delete', 'namespace', NAMESPACE, '--wait=false', '--ignore-not-found']);
});

/** Creates (server-side dry run) and returns the object as the API server would store it. */
async function dryRunCreate(object: unknown) {
  return kubectl(['create', '--dry-run=server', '-n', NAMESPACE, '-o', 'json', '-f', '-'], {
    input: JSON.stringify(object),
  });
}

test(`at least 20 invalid objects across the three kinds`, (t) => {
  t.true(invalidCases.length >= 20);
  const kinds = new Set(invalidCases.map((c) => c.object.kind));
  t.deepEqual([...kinds].sort(), ['EdgeNode', 'Migration', 'MigrationPolicy']);
});

for (const c of invalidCases) {
  test(`refused: ${c.title}`, async (t) => {
    t.timeout(60_000);
    const result = await dryRunCreate(c.object);
    t.not(result.code, 0, `accepted: ${result.stdout}`);
    t.true(result.stderr.includes(c.field), `"${c.field}" not named in: ${result.stderr}`);
    t.true(result.stderr.includes(c.message), `"${c.message}" not in: ${result.stderr}`);
  });
}

test('a minimal Migration is accepted with its defaults', async (t) => {
  const result = await dryRunCreate({
    apiVersion: API_VERSION,
    kind: 'Migration',
    metadata: { name: 'minimal' },
    spec: { podName: 'app' },
  });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout).spec, {
    podName: 'app',
    restorePolicy: 'restart',
    restoreMode: 'Auto',
    cutover: 'AfterCheckpoint',
    timeoutSeconds: 600,
  });
});

test('a minimal MigrationPolicy is accepted with its defaults', async (t) => {
  const result = await dryRunCreate({
    apiVersion: API_VERSION,
    kind: 'MigrationPolicy',
    metadata: { name: 'minimal' },
    spec: { triggers: [{ metric: 'containerCPU', above: 90 }] },
  });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout).spec, {
    selector: {},
    triggers: [{ metric: 'containerCPU', above: 90, for: '30s' }],
    restorePolicy: 'restart',
    restoreMode: 'Auto',
    cooldown: '5m',
    maxConcurrentPerNode: 1,
    maxUnavailablePerOwner: 1,
  });
});

test('a minimal EdgeNode is accepted with its defaults', async (t) => {
  const result = await dryRunCreate({
    apiVersion: API_VERSION,
    kind: 'EdgeNode',
    metadata: { name: 'minimal' },
    spec: { nodeSelector: { site: 'a' }, cloudSelector: { 'continuum.dev/layer': 'cloud' } },
  });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout).spec, {
    nodeSelector: { site: 'a' },
    cloudSelector: { 'continuum.dev/layer': 'cloud' },
    monitoring: { interval: '1s', cpuWindow: '1s' },
    checkpointDirectory: '/var/lib/kubelet/checkpoints',
    evictionPolicy: 'Evict',
  });
});

test('a Migration spec is immutable, its status and metadata are not', async (t) => {
  t.timeout(60_000);
  const created = await kubectl(['create', '-n', NAMESPACE, '-f', '-'], {
    input: JSON.stringify({
      apiVersion: API_VERSION,
      kind: 'Migration',
      metadata: { name: 'immutable' },
      spec: { podName: 'app', restorePolicy: 'checkpoint' },
    }),
  });
  t.is(created.code, 0, created.stderr);
  const specChange = await kubectl([
    'patch',
    '-n',
    NAMESPACE,
    'migration/immutable',
    '--type=merge',
    '-p',
    '{"spec":{"timeoutSeconds":60}}',
  ]);
  t.not(specChange.code, 0);
  t.regex(specChange.stderr, /spec: Invalid value: "object": spec is immutable/);
  const labelChange = await kubectl(['label', '-n', NAMESPACE, 'migration/immutable', 'team=edge']);
  t.is(labelChange.code, 0, labelChange.stderr);
  const statusChange = await kubectl([
    'patch',
    '-n',
    NAMESPACE,
    'migration/immutable',
    '--subresource=status',
    '--type=merge',
    '-p',
    '{"status":{"phase":"Checkpointing","sourceNode":"edge-1"}}',
  ]);
  t.is(statusChange.code, 0, statusChange.stderr);
  const stored = parse(
    (await kubectl(['get', '-n', NAMESPACE, 'migration/immutable', '-o', 'yaml'])).stdout,
  );
  t.is(stored.spec.timeoutSeconds, 600);
  t.is(stored.status.phase, 'Checkpointing');
  t.is(stored.metadata.labels.team, 'edge');
});

test('status is a subresource: writing it through the main resource is ignored', async (t) => {
  const result = await dryRunCreate({
    apiVersion: API_VERSION,
    kind: 'Migration',
    metadata: { name: 'with-status' },
    spec: { podName: 'app' },
    status: { phase: 'Done' },
  });
  t.is(result.code, 0, result.stderr);
  t.is(JSON.parse(result.stdout).status, undefined);
});
