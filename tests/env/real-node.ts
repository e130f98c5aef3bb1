/**
 * A real node of the test environment: containerd (2.3 with its opt-in restore of checkpoint
 * images, or 2.4 without any) with Debian's runc and CRIU 4.1 (the `criu` wrapper
 * scripts/provision.sh installs), a second runtime handler for continuum's RuntimeClass (its
 * runc wrapper, which the operator's restore installer puts in /opt/continuum), and kubelet
 * 1.34, registered with the control plane like any node, labelled and tainted
 * `test.continuum.dev/real-node`. Two run on one machine because each pair lives in its own mount
 * namespace, where private bind mounts cover the fixed paths the kubelet and containerd use
 * whatever they are told (/var/lib/kubelet, /var/log/pods, /var/log/containers,
 * /run/containerd, /var/lib/cni). Each has its own cgroup root, CNI bridge and pod subnet,
 * kubelet port and node client certificate. `stop()` kills its containers and shims, and
 * removes its cgroups and bridge.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { killByCommandLine, createCgroupRoot, removeCgroupRoot } from './host-state.ts';
import type { RealNode } from './info.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { CLIENT_EXT, signedCert, type Pki } from './pki.ts';
import { freePort, startService, waitUntil, type Service } from './process.ts';
import {
  cniConfig,
  containerdConfig,
  kubeletConfig,
  registryHosts,
  type NodeConfigInput,
} from './real-node-config.ts';

/** The taint that keeps every pod off the real nodes but those that tolerate it. */
export const REAL_NODE_TAINT = {
  key: 'test.continuum.dev/real-node',
  value: 'true',
  effect: 'NoSchedule',
};

/** The handler of continuum's RuntimeClass, and where the restore installer puts the wrapper. */
export const RESTORE_HANDLER = 'continuum';
export const WRAPPER_DIR = '/opt/continuum';

/** Name the pause image is imported under (never pulled). */
const PAUSE_IMAGE = 'continuum.test/pause:3.10';

/** The fixed paths each node gets a private directory over (they must exist on the host). */
export const PRIVATE_PATHS = [
  '/var/lib/kubelet',
  '/var/log/pods',
  '/var/log/containers',
  '/run/containerd',
  '/var/lib/cni',
  // what the restore installer writes on the node, and the wrapper's state
  WRAPPER_DIR,
  '/run/continuum-runc',
];

/** Binds each private directory over its fixed path, then runs the command (containerd). */
const NAMESPACE_SCRIPT = `
set -e
private=$1; shift
for path in ${PRIVATE_PATHS.join(' ')}; do
  mount --bind "$private$path" "$path"
done
exec "$@"`;

export interface RealNodeOptions {
  name: string;
  layer: 'edge' | 'cloud';
  address: string;
  bridge: string;
  podSubnet: string;
  /** Cgroup root name, `continuum-<pid>-<node>` so that a killed run's can be swept. */
  cgroupRoot: string;
  workDir: string;
  binDir: string;
  /** containerd, its shim and ctr (binDir's are 2.3; real-cloud runs 2.4). */
  containerdDir: string;
  /** containerd 2.3's opt-in restore of checkpoint images. */
  restoreViaCreate: boolean;
  pki: Pki;
  kubeconfig: string;
  apiServer: string;
  /**
   * host:port of the registries the node pulls from (credentials from pods' pull Secrets): over
   * TLS (the environment's CA) or plain HTTP.
   */
  registries: Array<{ host: string; tls: boolean }>;
  /** OCI layout of the pause image (tag 3.10). */
  pauseLayout: string;
}

export async function startRealNode(
  opts: RealNodeOptions,
): Promise<{ node: RealNode; stop(): Promise<void> }> {
  const dir = join(opts.workDir, opts.name);
  const privateRoot = join(dir, 'private');
  for (const path of PRIVATE_PATHS) mkdirSync(privateRoot + path, { recursive: true });
  const hostDirs = opts.registries.map((r) => `certs.d/${r.host}`);
  for (const sub of ['cni', 'cni-ipam', ...hostDirs, 'containerd'])
    mkdirSync(join(dir, sub), { recursive: true });

  const config: NodeConfigInput = {
    dir,
    socket: join(dir, 'containerd.sock'),
    runc: execFileSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).trim(),
    wrapper: `${WRAPPER_DIR}/continuum-runc`,
    restoreViaCreate: opts.restoreViaCreate,
    pauseImage: PAUSE_IMAGE,
    address: opts.address,
    kubeletPort: await freePort(),
    healthzPort: await freePort(),
    cgroupRoot: `/${opts.cgroupRoot}`,
    caFile: opts.pki.caCert,
    servingCert: opts.pki.servingCert,
    servingKey: opts.pki.servingKey,
    bridge: opts.bridge,
    podSubnet: opts.podSubnet,
  };
  writeFileSync(join(dir, 'containerd.toml'), containerdConfig(config));
  writeFileSync(join(dir, 'kubelet.yaml'), kubeletConfig(config));
  writeFileSync(join(dir, 'cni', '10-bridge.conflist'), cniConfig(config, opts.name));
  for (const { host, tls } of opts.registries)
    writeFileSync(
      join(dir, 'certs.d', host, 'hosts.toml'),
      registryHosts(host, tls ? opts.pki.caCert : undefined),
    );
  const client = signedCert(
    dir,
    opts.pki,
    'node-client',
    `/O=system:nodes/CN=system:node:${opts.name}`,
    CLIENT_EXT,
  );
  const kubeletKubeconfig = writeKubeconfig(
    join(dir, 'kubelet.kubeconfig'),
    opts.apiServer,
    opts.pki.caCert,
    { clientCert: client.cert, clientKey: client.key },
  );
  createCgroupRoot(opts.cgroupRoot);

  // the shim containerd starts is the first containerd-shim-runc-v2 on the PATH
  const path = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin';
  const env = { PATH: `${opts.containerdDir}:${opts.binDir}:${path}` };
  const services: Service[] = [];
  const stop = async () => {
    for (const service of services.slice(1).reverse()) await service.stop();
    await removeCgroupRoot(opts.cgroupRoot); // the containers' processes
    killByCommandLine(config.socket); // containerd's shims
    for (const service of services.slice(0, 1)) await service.stop();
    await removeCgroupRoot(opts.cgroupRoot);
    try {
      execFileSync('ip', ['link', 'del', opts.bridge], { stdio: 'ignore' });
    } catch {
      // no pod ever ran: the bridge plugin never made it
    }
  };
  try {
    const containerd = startService(
      `${opts.name}-containerd`,
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        NAMESPACE_SCRIPT,
        'sh',
        privateRoot,
        join(opts.containerdDir, 'containerd'),
        '--config',
        join(dir, 'containerd.toml'),
      ],
      { logDir: opts.workDir, env },
    );
    services.push(containerd);
    const ctr = (...args: string[]) =>
      execFileSync(join(opts.containerdDir, 'ctr'), ['--address', config.socket, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
    await waitUntil(containerd, 'its socket', async () => (ctr('version'), true), 30_000);
    importPause(ctr, opts.pauseLayout);

    const kubelet = startService(
      `${opts.name}-kubelet`,
      'nsenter',
      [
        `--mount=/proc/${containerd.child.pid}/ns/mnt`,
        '--',
        join(opts.binDir, 'kubelet'),
        `--config=${join(dir, 'kubelet.yaml')}`,
        `--kubeconfig=${kubeletKubeconfig}`,
        `--hostname-override=${opts.name}`,
        `--node-ip=${opts.address}`,
        `--node-labels=continuum.dev/layer=${opts.layer},${REAL_NODE_TAINT.key}=true`,
        `--register-with-taints=${REAL_NODE_TAINT.key}=${REAL_NODE_TAINT.value}:${REAL_NODE_TAINT.effect}`,
        '--v=1',
      ],
      { logDir: opts.workDir, env },
    );
    services.push(kubelet);
    await waitUntil(
      kubelet,
      `node ${opts.name} Ready`,
      () => isReady(opts.kubeconfig, opts.name),
      60_000,
    );
    return {
      node: {
        name: opts.name,
        layer: opts.layer,
        address: opts.address,
        kubeletPort: config.kubeletPort,
        kubeletDir: join(privateRoot, 'var/lib/kubelet'),
        containerdSocket: config.socket,
        cgroupRoot: opts.cgroupRoot,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Imports the pause image's OCI layout as {@link PAUSE_IMAGE} into the CRI namespace. */
function importPause(ctr: (...args: string[]) => string, layout: string): void {
  const archive = `${layout}.tar`;
  if (!existsSync(archive)) {
    execFileSync('tar', ['-C', layout, '-cf', archive, 'index.json', 'oci-layout', 'blobs']);
  }
  ctr('--namespace', 'k8s.io', 'images', 'import', '--index-name', PAUSE_IMAGE, archive);
}

async function isReady(kubeconfig: string, name: string): Promise<boolean> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const node = await kc.makeApiClient(CoreV1Api).readNode({ name });
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
