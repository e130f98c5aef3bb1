/**
 * Objects the API server must refuse, each with the field path and the words its message must
 * contain. Every case is a valid base object with one thing wrong.
 */
import { API_VERSION } from '../../reconcilers/api/types.ts';

export interface InvalidCase {
  title: string;
  object: Record<string, unknown>;
  /** Path of the offending field as the API server reports it. */
  field: string;
  /** Words of the message. */
  message: string;
}

const meta = (name: string) => ({ name: `invalid-${name}` });

function migration(name: string, spec: Record<string, unknown>, drop: string[] = []) {
  const base: Record<string, unknown> = { podName: 'app', restorePolicy: 'checkpoint', ...spec };
  for (const key of drop) delete base[key];
  return { apiVersion: API_VERSION, kind: 'Migration', metadata: meta(name), spec: base };
}

function policy(name: string, spec: Record<string, unknown>, drop: string[] = []) {
  const base: Record<string, unknown> = {
    triggers: [{ metric: 'containerCPU', above: 90 }],
    ...spec,
  };
  for (const key of drop) delete base[key];
  return { apiVersion: API_VERSION, kind: 'MigrationPolicy', metadata: meta(name), spec: base };
}

function edge(name: string, spec: Record<string, unknown>, drop: string[] = []) {
  const base: Record<string, unknown> = {
    nodeSelector: { 'continuum.dev/layer': 'edge' },
    cloudSelector: { 'continuum.dev/layer': 'cloud' },
    ...spec,
  };
  for (const key of drop) delete base[key];
  return { apiVersion: API_VERSION, kind: 'EdgeNode', metadata: meta(name), spec: base };
}

const trigger = (extra: Record<string, unknown>) => [
  { metric: 'containerCPU', above: 90, ...extra },
];

// prettier-ignore -- one case per line reads as a table
export const invalidCases: InvalidCase[] = [
  // Migration
  {
    title: 'Migration without spec',
    object: { ...migration('m-nospec', {}), spec: undefined },
    field: 'spec',
    message: 'Required value',
  },
  {
    title: 'Migration without podName',
    object: migration('m-nopod', {}, ['podName']),
    field: 'spec.podName',
    message: 'Required value',
  },
  {
    title: 'Migration with a podName that is no object name',
    object: migration('m-badpod', { podName: 'App_1' }),
    field: 'spec.podName',
    message: 'should match',
  },
  {
    title: 'Migration with an unknown restorePolicy',
    object: migration('m-policy', { restorePolicy: 'migrate' }),
    field: 'spec.restorePolicy',
    message: 'Unsupported value: "migrate"',
  },
  {
    title: 'Migration with an unknown cutover',
    object: migration('m-cutover', { cutover: 'Never' }),
    field: 'spec.cutover',
    message: 'Unsupported value: "Never"',
  },
  {
    title: 'Migration with timeoutSeconds below 10',
    object: migration('m-timeout-low', { timeoutSeconds: 5 }),
    field: 'spec.timeoutSeconds',
    message: 'greater than or equal to 10',
  },
  {
    title: 'Migration with timeoutSeconds above a day',
    object: migration('m-timeout-high', { timeoutSeconds: 100000 }),
    field: 'spec.timeoutSeconds',
    message: 'less than or equal to 86400',
  },
  {
    title: 'Migration with maxUnavailablePerOwner 0',
    object: migration('m-owner-limit', { maxUnavailablePerOwner: 0 }),
    field: 'spec.maxUnavailablePerOwner',
    message: 'greater than or equal to 1',
  },
  {
    title: 'Migration target with nodeName and nodeSelector',
    object: migration('m-both', { target: { nodeName: 'cloud-1', nodeSelector: { zone: 'a' } } }),
    field: 'spec.target',
    message: 'set exactly one of nodeName or nodeSelector',
  },
  {
    title: 'Migration target with neither',
    object: migration('m-neither', { target: {} }),
    field: 'spec.target',
    message: 'set exactly one of nodeName or nodeSelector',
  },
  {
    title: 'Migration target selecting edge nodes',
    object: migration('m-to-edge', { target: { nodeSelector: { 'continuum.dev/layer': 'edge' } } }),
    field: 'spec.target.nodeSelector',
    message: 'must not select edge nodes',
  },
  {
    title: 'Migration target nodeSelector with an invalid label key',
    object: migration('m-badkey', { target: { nodeSelector: { 'bad key': 'x' } } }),
    field: 'spec.target.nodeSelector',
    message: 'keys must be valid label keys',
  },
  {
    title: 'Migration image with restorePolicy restart',
    object: migration('m-restart-image', {
      restorePolicy: 'restart',
      image: { repository: 'registry.example.com/c' },
    }),
    field: 'spec.image',
    message: 'image applies only to restorePolicy checkpoint',
  },
  {
    title: 'Migration image repository with a tag',
    object: migration('m-repo-tag', { image: { repository: 'registry.example.com/c:latest' } }),
    field: 'spec.image.repository',
    message: 'should match',
  },
  {
    title: 'Migration pushSecretRef without name',
    object: migration('m-secret', { image: { pushSecretRef: {} } }),
    field: 'spec.image.pushSecretRef.name',
    message: 'Required value',
  },
  {
    title: 'Migration with the same container twice',
    object: migration('m-dup', { containers: ['app', 'app'] }),
    field: 'spec.containers[1]',
    message: 'Duplicate value',
  },
  {
    title: 'Migration with an empty container list',
    object: migration('m-nocontainers', { containers: [] }),
    field: 'spec.containers',
    message: 'at least 1 items',
  },
  {
    title: 'Migration with a misspelt field',
    object: migration('m-typo', { podname: 'app' }),
    field: 'spec.podname',
    message: 'unknown field',
  },
  // MigrationPolicy
  {
    title: 'MigrationPolicy without triggers',
    object: policy('p-notriggers', {}, ['triggers']),
    field: 'spec.triggers',
    message: 'Required value',
  },
  {
    title: 'MigrationPolicy with an empty trigger list',
    object: policy('p-empty', { triggers: [] }),
    field: 'spec.triggers',
    message: 'at least 1 items',
  },
  {
    title: 'MigrationPolicy threshold 0 %',
    object: policy('p-zero', { triggers: trigger({ above: 0 }) }),
    field: 'spec.triggers[0].above',
    message: 'greater than or equal to 1',
  },
  {
    title: 'MigrationPolicy threshold above 100 %',
    object: policy('p-over', { triggers: trigger({ above: 101 }) }),
    field: 'spec.triggers[0].above',
    message: 'less than or equal to 100',
  },
  {
    title: 'MigrationPolicy with an unknown metric',
    object: policy('p-metric', { triggers: [{ metric: 'gpu', above: 90 }] }),
    field: 'spec.triggers[0].metric',
    message: 'Unsupported value: "gpu"',
  },
  {
    title: 'MigrationPolicy with a malformed duration',
    object: policy('p-for', { triggers: trigger({ for: '30 seconds' }) }),
    field: 'spec.triggers[0].for',
    message: 'should match',
  },
  {
    title: 'MigrationPolicy with a duration out of range',
    object: policy('p-for-long', { triggers: trigger({ for: '48h' }) }),
    field: 'spec.triggers[0].for',
    message: 'must be between 0s and 24h',
  },
  {
    title: 'MigrationPolicy with two triggers on one metric',
    object: policy('p-dup', { triggers: [...trigger({}), ...trigger({ above: 80 })] }),
    field: 'spec.triggers[1]',
    message: 'Duplicate value',
  },
  {
    title: 'MigrationPolicy with a malformed cooldown',
    object: policy('p-cooldown', { cooldown: 'soon' }),
    field: 'spec.cooldown',
    message: 'should match',
  },
  {
    title: 'MigrationPolicy with maxConcurrentPerNode 0',
    object: policy('p-concurrency', { maxConcurrentPerNode: 0 }),
    field: 'spec.maxConcurrentPerNode',
    message: 'greater than or equal to 1',
  },
  {
    title: 'MigrationPolicy with maxUnavailablePerOwner above 100',
    object: policy('p-owner-limit', { maxUnavailablePerOwner: 101 }),
    field: 'spec.maxUnavailablePerOwner',
    message: 'less than or equal to 100',
  },
  {
    title: 'MigrationPolicy covering cloud nodes',
    object: policy('p-cloud', { selector: { nodeSelector: { 'continuum.dev/layer': 'cloud' } } }),
    field: 'spec.selector.nodeSelector',
    message: 'must not select cloud nodes',
  },
  {
    title: 'MigrationPolicy podSelector In without values',
    object: policy('p-expr', {
      selector: { podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } },
    }),
    field: 'spec.selector.podSelector.matchExpressions[0].values',
    message: 'values must be non-empty for In and NotIn',
  },
  {
    title: 'MigrationPolicy podSelector with an unknown operator',
    object: policy('p-op', {
      selector: {
        podSelector: { matchExpressions: [{ key: 'app', operator: 'Like', values: ['a'] }] },
      },
    }),
    field: 'spec.selector.podSelector.matchExpressions[0].operator',
    message: 'Unsupported value: "Like"',
  },
  {
    title: 'MigrationPolicy with an unknown restorePolicy',
    object: policy('p-restore', { restorePolicy: 'none' }),
    field: 'spec.restorePolicy',
    message: 'Unsupported value: "none"',
  },
  {
    title: 'MigrationPolicy target with neither nodeName nor nodeSelector',
    object: policy('p-target', { target: {} }),
    field: 'spec.target',
    message: 'set exactly one of nodeName or nodeSelector',
  },
  // EdgeNode
  {
    title: 'EdgeNode without cloudSelector',
    object: edge('e-nocloud', {}, ['cloudSelector']),
    field: 'spec.cloudSelector',
    message: 'Required value',
  },
  {
    title: 'EdgeNode with an empty nodeSelector',
    object: edge('e-empty', { nodeSelector: {} }),
    field: 'spec.nodeSelector',
    message: 'at least 1 properties',
  },
  {
    title: 'EdgeNode whose cloudSelector is its nodeSelector',
    object: edge('e-same', { nodeSelector: { zone: 'a' }, cloudSelector: { zone: 'a' } }),
    field: 'spec.cloudSelector',
    message: 'cloudSelector must differ from nodeSelector',
  },
  {
    title: 'EdgeNode selecting cloud nodes',
    object: edge('e-cloud', {
      nodeSelector: { 'continuum.dev/layer': 'cloud' },
      cloudSelector: { zone: 'b' },
    }),
    field: 'spec.nodeSelector',
    message: 'must not select cloud nodes',
  },
  {
    title: 'EdgeNode moving workloads to edge nodes',
    object: edge('e-to-edge', {
      nodeSelector: { zone: 'a' },
      cloudSelector: { 'continuum.dev/layer': 'edge' },
    }),
    field: 'spec.cloudSelector',
    message: 'must not select edge nodes',
  },
  {
    title: 'EdgeNode sampling faster than 100ms',
    object: edge('e-interval', { monitoring: { interval: '10ms' } }),
    field: 'spec.monitoring.interval',
    message: 'must be between 100ms and 1h',
  },
  {
    title: 'EdgeNode CPU window longer than the interval',
    object: edge('e-window', { monitoring: { interval: '1s', cpuWindow: '5s' } }),
    field: 'spec.monitoring.cpuWindow',
    message: 'cpuWindow must not be longer than interval',
  },
  {
    title: 'EdgeNode with a relative checkpointDirectory',
    object: edge('e-dir', { checkpointDirectory: 'var/lib/checkpoints' }),
    field: 'spec.checkpointDirectory',
    message: 'should match',
  },
  {
    title: 'EdgeNode with a label value too long',
    object: edge('e-value', { nodeSelector: { zone: 'a'.repeat(64) } }),
    field: 'spec.nodeSelector.zone',
    message: 'Too long',
  },
];
