/**
 * The three real nodes of the test environment, started side by side (see real-node.ts):
 * `real-edge` on containerd 2.3 with its opt-in restore of checkpoint images turned on,
 * `real-cloud` on containerd 2.4 (which has none), and `real-cloud-23` on containerd 2.3 with
 * that opt-in left off, as containerd 2.3 installs by default. Around them, what they change on
 * the machine: the sysctls the kubelet and the CNI bridge plugin set are saved first and put back
 * at stop, and the fixed-path directories the nodes bind over are created only where missing,
 * and removed afterwards. The RuntimeClass `continuum` names the handler the nodes have for
 * continuum's runc wrapper.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { anotherEnvAlive, saveSysctls } from './host-state.ts';
import type { RealNode } from './info.ts';
import { KubeConfig, NodeV1Api } from '@kubernetes/client-node';
import {
  PRIVATE_PATHS,
  RESTORE_HANDLER,
  startRealNode,
  type RealNodeOptions,
} from './real-node.ts';
import { ignoreConflict } from './service-account.ts';

type Shared = Omit<
  RealNodeOptions,
  | 'name'
  | 'layer'
  | 'address'
  | 'bridge'
  | 'podSubnet'
  | 'cgroupRoot'
  | 'containerdDir'
  | 'restoreViaCreate'
>;

/** Whether this run starts real nodes: always in CI; CONTINUUM_REAL_NODES=0 skips them locally. */
export function realNodesWanted(): boolean {
  return process.env.CI === 'true' || process.env.CONTINUUM_REAL_NODES !== '0';
}

export async function startRealNodes(
  shared: Shared & {
    pid: number;
    addresses: [string, string];
    /** containerd 2.4's binaries (scripts/provision-real-node.sh), for real-cloud. */
    containerd24Dir: string;
  },
): Promise<{ nodes: RealNode[]; stop(): Promise<void> }> {
  const restoreSysctls = saveSysctls(shared.pid);
  const createdOnHost = PRIVATE_PATHS.filter((path) => !existsSync(path));
  for (const path of createdOnHost) mkdirSync(path, { recursive: true });
  const subnet = shared.pid % 250;
  const { containerd24Dir, ...common } = shared;
  const specs = [
    {
      name: 'real-edge',
      layer: 'edge' as const,
      address: shared.addresses[0],
      containerdDir: shared.binDir,
      restoreViaCreate: true,
    },
    {
      name: 'real-cloud',
      layer: 'cloud' as const,
      address: shared.addresses[1],
      containerdDir: containerd24Dir,
      restoreViaCreate: false,
    },
    {
      // the kubelet on real-cloud's address (another port): a /30 has no third address
      name: 'real-cloud-23',
      layer: 'cloud' as const,
      address: shared.addresses[1],
      containerdDir: shared.binDir,
      restoreViaCreate: false,
    },
  ].map((spec, i) => ({
    ...common,
    ...spec,
    bridge: `cnb-${shared.pid}-${'ecd'[i]}`,
    podSubnet: `10.${220 + i}.${subnet}.0/24`,
    cgroupRoot: `continuum-${shared.pid}-${spec.name}`,
  }));
  const started = await Promise.allSettled(specs.map((spec) => startRealNode(spec)));
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    // one after the other: a directory is removed only once no namespace binds over it, and
    // never while another run's nodes may (removing it would detach their bind mounts)
    for (const node of running) await node.stop();
    for (const path of anotherEnvAlive() ? [] : createdOnHost.reverse()) {
      try {
        if (readdirSync(path).length === 0) rmdirSync(path);
      } catch {
        // not empty, or gone
      }
    }
    restoreSysctls();
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  await createRuntimeClass(shared.kubeconfig);
  return { nodes: running.map((r) => r.node), stop };
}

/**
 * The RuntimeClass of the nodes' continuum handler, as a cluster admin installs it beside the
 * operator (the chart ships its own, under the name its values give).
 */
async function createRuntimeClass(kubeconfig: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  await ignoreConflict(
    kc.makeApiClient(NodeV1Api).createRuntimeClass({
      body: { metadata: { name: RESTORE_HANDLER }, handler: RESTORE_HANDLER },
    }),
  );
}
