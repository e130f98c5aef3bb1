/**
 * Simulated nodes: kwok keeps Node objects and their pods' status alive without a kubelet.
 * Each node gets an InternalIP (127.0.0.1 unless given) and its own kubelet port in
 * status.daemonEndpoints; kwok runs with --node-port=0 so that its heartbeats leave that port
 * alone.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
  type V1Taint,
} from '@kubernetes/client-node';
import { writeKwokStages } from '../sim/kwok-stages.ts';
import type { SimulatedNode } from './info.ts';
import { freePort, startService, waitUntil, type Service } from './process.ts';

export const LAYER_LABEL = 'continuum.dev/layer';

/** A node to create: `address` defaults to 127.0.0.1. */
export type NodeSpec = Pick<SimulatedNode, 'name' | 'layer'> & {
  address?: string;
  taints?: V1Taint[];
};

export const DEFAULT_NODES: NodeSpec[] = [
  { name: 'edge-1', layer: 'edge' },
  { name: 'edge-2', layer: 'edge' },
  { name: 'cloud-1', layer: 'cloud' },
];

/**
 * A Node object kwok takes over (it manages the nodes with the annotation
 * `kwok.x-k8s.io/node: fake`): Ready soon after it is created, its pods marked Running by the
 * stages of kwok-stages.ts. Labelled with its layer, its hostname and `type: kwok`.
 */
export function kwokNode(
  name: string,
  layer: NodeSpec['layer'],
  opts: { labels?: Record<string, string>; taints?: V1Taint[] } = {},
): V1Node {
  return {
    metadata: {
      name,
      labels: {
        [LAYER_LABEL]: layer,
        'kubernetes.io/hostname': name,
        type: 'kwok',
        ...opts.labels,
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
    },
    spec: { taints: opts.taints },
  };
}

export async function startKwok(opts: {
  workDir: string;
  binDir: string;
  kubeconfig: string;
  nodes?: NodeSpec[];
}): Promise<{ nodes: SimulatedNode[]; service: Service }> {
  const port = await freePort();
  const service = startService(
    'kwok',
    join(opts.binDir, 'kwok'),
    [
      `--kubeconfig=${opts.kubeconfig}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--node-ip=127.0.0.1',
      '--node-port=0',
      '--cidr=10.0.0.0/16', // pod IPs for thousands of simulated pods (benchmarks)
      // heartbeats as a kubelet sends them (a Lease renewed every 10 s): with kwok's node
      // status heartbeat alone (20–45 s apart) the node lifecycle controller saw every node
      // NotReady now and then, and marked its pods NotReady for good (kwok never re-marks them)
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${port}`,
      // Pods the simulated job runner executes are left to it (tests/sim/kwok-stages.ts).
      `--config=${writeKwokStages(opts.workDir)}`,
    ],
    { logDir: opts.workDir },
  );
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const nodes: SimulatedNode[] = [];
  const publish = (node: SimulatedNode) =>
    core.patchNodeStatus(
      {
        name: node.name,
        body: {
          status: {
            addresses: [
              { type: 'InternalIP', address: node.address },
              { type: 'Hostname', address: node.name },
            ],
            daemonEndpoints: { kubeletEndpoint: { Port: node.kubeletPort } },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  for (const { name, layer, address = '127.0.0.1', taints } of opts.nodes ?? DEFAULT_NODES) {
    const node = {
      name,
      layer,
      address,
      kubeletPort: await freePort(),
      rootDir: join(opts.workDir, 'nodes', name),
    };
    mkdirSync(join(node.rootDir, 'var/lib/kubelet/checkpoints'), { recursive: true });
    await core.createNode({ body: kwokNode(name, layer, { taints }) });
    await publish(node);
    nodes.push(node);
  }
  // kwok initialises a new node's status (Ready, addresses) from the Node it read, which may
  // predate our patch: publish again until the status of a Ready node says what we published.
  await waitUntil(service, 'the simulated nodes to be Ready', async () => {
    const list = await core.listNode({ labelSelector: 'type=kwok' });
    let all = true;
    for (const n of nodes) {
      const status = list.items.find((i) => i.metadata?.name === n.name)?.status;
      const ip = status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      if (ip !== n.address || status?.daemonEndpoints?.kubeletEndpoint?.Port !== n.kubeletPort) {
        await publish(n);
        all = false;
      }
      all &&= status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    }
    return all;
  });
  return { nodes, service };
}
