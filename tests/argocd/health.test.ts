/**
 * GIVEN the Argo CD health scripts as shipped with the chart (charts/continuum/argocd-health.yaml),
 * WHEN Debian's Lua 5.4 runs them (as Argo CD's gopher-lua would) against sample objects,
 * THEN each phase and condition maps to the Argo CD health a user expects.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const shipped: Record<string, string> = parse(
  readFileSync(new URL('../../charts/continuum/argocd-health.yaml', import.meta.url), 'utf8'),
).data;
const script = (kind: string) => {
  const text = shipped[`resource.customizations.health.continuum.dev_${kind}`];
  if (!text) throw new Error(`no health check for ${kind} in the chart`);
  return text;
};

/** A Lua table constructor for a JSON value (strings are ASCII in these samples). */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  const fields = Object.entries(value as Record<string, unknown>).map(
    ([key, v]) => `[${JSON.stringify(key)}] = ${toLua(v)}`,
  );
  return `{${fields.join(', ')}}`;
}

/** Runs a kind's script as Argo CD does: a chunk with the global `obj`, returning the health. */
function health(kind: string, obj: object): { status: string; message: string } {
  const chunk = JSON.stringify(script(kind));
  const program = [
    `obj = ${toLua(obj)}`,
    `local check = assert(load(${chunk}))`,
    'local hs = check()',
    'io.write(hs.status, "\\n", hs.message)',
  ].join('\n');
  const [status = '', message = ''] = execFileSync('lua5.4', ['-'], {
    input: program,
    encoding: 'utf8',
  }).split('\n');
  return { status, message };
}

const migration = (status?: object, generation = 1) => ({
  apiVersion: 'continuum.dev/v1alpha1',
  kind: 'Migration',
  metadata: { name: 'm', namespace: 'default', generation },
  spec: { podName: 'web' },
  status,
});

const migrationCases: Array<[string, object, string, RegExp]> = [
  ['no status yet', migration(), 'Progressing', /Waiting for the operator/],
  ['Pending', migration({ phase: 'Pending', observedGeneration: 1 }), 'Progressing', /^Pending$/],
  [
    'Checkpointing',
    migration({ phase: 'Checkpointing', sourceNode: 'edge-1', observedGeneration: 1 }),
    'Progressing',
    /Checkpointing \(from edge-1\)/,
  ],
  [
    'Imaging',
    migration({ phase: 'Imaging', sourceNode: 'edge-1', observedGeneration: 1 }),
    'Progressing',
    /Imaging/,
  ],
  [
    'Restoring',
    migration({ phase: 'Restoring', sourceNode: 'edge-1', observedGeneration: 1 }),
    'Progressing',
    /Restoring/,
  ],
  [
    'Done',
    migration({ phase: 'Done', targetNode: 'cloud-1', duration: '12s', observedGeneration: 1 }),
    'Healthy',
    /Migrated to cloud-1 in 12s/,
  ],
  [
    'Failed',
    migration({ phase: 'Failed', failureReason: 'PodNotFound', observedGeneration: 1 }),
    'Degraded',
    /Failed: PodNotFound/,
  ],
  [
    'stale generation',
    migration({ phase: 'Done', observedGeneration: 1 }, 2),
    'Progressing',
    /generation 2/,
  ],
];

for (const [title, obj, status, message] of migrationCases) {
  test(`Migration ${title} is ${status}`, (t) => {
    const hs = health('Migration', obj);
    t.is(hs.status, status);
    t.regex(hs.message, message);
  });
}

const withReady = (kind: string, ready?: object, generation = 1, observedGeneration = 1) => ({
  apiVersion: 'continuum.dev/v1alpha1',
  kind,
  metadata: { name: 'x', generation },
  status: ready
    ? {
        observedGeneration,
        conditions: [{ type: 'Synced', status: 'True', reason: 'Synced' }, ready],
      }
    : undefined,
});

const conditionCases: Array<[string, object, string, RegExp]> = [
  ['EdgeNode without status', withReady('EdgeNode'), 'Progressing', /No Ready condition/],
  ['MigrationPolicy without status', withReady('MigrationPolicy'), 'Healthy', /No Ready condition/],
  [
    'EdgeNode with agents ready',
    withReady('EdgeNode', {
      type: 'Ready',
      status: 'True',
      reason: 'AgentsReady',
      message: '2 of 2 agents ready',
    }),
    'Healthy',
    /AgentsReady: 2 of 2/,
  ],
  [
    'EdgeNode with agents missing',
    withReady('EdgeNode', {
      type: 'Ready',
      status: 'False',
      reason: 'AgentsNotReady',
      message: '1 of 2 agents ready',
    }),
    'Degraded',
    /AgentsNotReady/,
  ],
  [
    'EdgeNode Unknown',
    withReady('EdgeNode', { type: 'Ready', status: 'Unknown', reason: 'NoMetrics' }),
    'Progressing',
    /NoMetrics/,
  ],
  [
    'EdgeNode changed, not yet observed',
    withReady('EdgeNode', { type: 'Ready', status: 'True', reason: 'AgentsReady' }, 3, 2),
    'Progressing',
    /generation 3/,
  ],
  [
    'MigrationPolicy valid',
    withReady('MigrationPolicy', { type: 'Ready', status: 'True', reason: 'Valid' }),
    'Healthy',
    /Valid/,
  ],
  [
    'MigrationPolicy invalid',
    withReady('MigrationPolicy', {
      type: 'Ready',
      status: 'False',
      reason: 'InvalidSelector',
      message: 'bad key',
    }),
    'Degraded',
    /InvalidSelector: bad key/,
  ],
];

for (const [title, obj, status, message] of conditionCases) {
  test(`${title} is ${status}`, (t) => {
    const hs = health((obj as { kind: string }).kind, obj);
    t.is(hs.status, status);
    t.regex(hs.message, message);
  });
}
