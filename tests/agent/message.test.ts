import test from 'ava';
import { parseMetricsMessage, type MetricsMessage } from '../../reconcilers/agent/message.ts';

const valid: MetricsMessage = {
  schemaVersion: 1,
  node: 'edge-1',
  time: '2026-11-28T08:00:00.000Z',
  intervalMs: 1000,
  nodeMetrics: { cpuPercent: 12.5, memoryPercent: 40 },
  pods: [
    {
      namespace: 'default',
      name: 'web',
      uid: 'u1',
      containers: [{ name: 'app', cpuPercent: 99, memoryPercent: 10, memoryBytes: 1024 }],
    },
  ],
};

test('a valid message parses, from text or bytes', (t) => {
  t.deepEqual(parseMetricsMessage(JSON.stringify(valid), 'edge-1'), { ok: true, message: valid });
  t.true(parseMetricsMessage(new TextEncoder().encode(JSON.stringify(valid))).ok);
});

const broken: [string, unknown][] = [
  ['not JSON', '{'],
  ['an array', []],
  ['another schema version', { ...valid, schemaVersion: 2 }],
  ['a bad node name', { ...valid, node: 'Edge 1' }],
  ['a bad time', { ...valid, time: 'yesterday' }],
  ['no interval', { ...valid, intervalMs: 0 }],
  ['node CPU out of range', { ...valid, nodeMetrics: { cpuPercent: -1, memoryPercent: 1 } }],
  ['node memory missing', { ...valid, nodeMetrics: {} }],
  ['pods not a list', { ...valid, pods: {} }],
  ['a pod without uid', { ...valid, pods: [{ namespace: 'a', name: 'b', containers: [] }] }],
  [
    'container CPU NaN-like',
    {
      ...valid,
      pods: [
        {
          ...valid.pods[0],
          containers: [{ name: 'a', cpuPercent: 'x', memoryPercent: 1, memoryBytes: 1 }],
        },
      ],
    },
  ],
  [
    'negative bytes',
    {
      ...valid,
      pods: [{ ...valid.pods[0], containers: [{ name: 'a', memoryPercent: 1, memoryBytes: -5 }] }],
    },
  ],
];

for (const [title, value] of broken) {
  test(`dropped: ${title}`, (t) => {
    const r = parseMetricsMessage(typeof value === 'string' ? value : JSON.stringify(value));
    t.false(r.ok);
  });
}

test("dropped: published on another node's subject", (t) => {
  const r = parseMetricsMessage(JSON.stringify(valid), 'edge-2');
  t.deepEqual(r, { ok: false, reason: 'node "edge-1" published on the subject of "edge-2"' });
});
