/**
 * The configuration files of a real node: containerd's (config version 3), the kubelet's and
 * the CNI bridge network's. The settings are the ones ../shared/real-node.md measured to work on
 * these machines; each line that is not a default says why.
 */
import { stringify } from 'yaml';

export interface NodeConfigInput {
  /** The node's directory: containerd's root, state and socket, CNI and registry configuration. */
  dir: string;
  socket: string;
  runc: string;
  /** continuum's runc wrapper, the runtime binary of the `continuum` handler. */
  wrapper: string;
  /** containerd 2.3's opt-in restore of checkpoint images (containerd 2.4 has none). */
  restoreViaCreate: boolean;
  pauseImage: string;
  address: string;
  kubeletPort: number;
  healthzPort: number;
  cgroupRoot: string;
  caFile: string;
  servingCert: string;
  servingKey: string;
  bridge: string;
  podSubnet: string;
}

export function containerdConfig(c: NodeConfigInput): string {
  return `version = 3
root = "${c.dir}/containerd/root"
state = "${c.dir}/containerd/state"
# no NRI socket in /var/run/nri and no snapshotters this machine lacks
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.blockfile"]

[grpc]
  address = "${c.socket}"

[ttrpc]
  address = "${c.socket}.ttrpc"

[plugins.'io.containerd.internal.v1.opt']
  path = "${c.dir}/containerd/opt"

[plugins.'io.containerd.cri.v1.runtime']
${
  c.restoreViaCreate
    ? `  # containerd 2.3.4+ restores checkpoint images only when asked to (2.4 no longer does)
  enable_experimental_restore_via_create = true
`
    : ''
}  # root here cannot lower oom_score_adj: without this every sandbox fails
  restrict_oom_score_adj = true
  # network namespaces under the node's own state directory, not /var/run/netns
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "${c.runc}"
        SystemdCgroup = false
    # continuum's RuntimeClass: the README's snippet (continuum.dev/* pod annotations carry the
    # restore ticket, the restart count tells a restart from the first start)
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.continuum]
      runtime_type = "io.containerd.runc.v2"
      pod_annotations = ["continuum.dev/*"]
      container_annotations = ["io.kubernetes.container.restartCount"]
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.continuum.options]
        BinaryName = "${c.wrapper}"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "${c.dir}/cni"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    # imported at start (never pulled: the registry wants credentials the sandbox pull lacks)
    sandbox = "${c.pauseImage}"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "${c.dir}/certs.d"

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`;
}

/**
 * hosts.toml of a registry: over TLS with a certificate `caFile` signed, or over plain HTTP
 * without one. Credentials come from pods' pull Secrets.
 */
export function registryHosts(host: string, caFile?: string): string {
  const server = `${caFile ? 'https' : 'http'}://${host}`;
  return `server = "${server}"

[host."${server}"]
  capabilities = ["pull", "resolve"]
${caFile ? `  ca = "${caFile}"\n` : ''}`;
}

export function kubeletConfig(c: NodeConfigInput): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: c.address,
    port: c.kubeletPort,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: c.healthzPort,
    tlsCertFile: c.servingCert,
    tlsPrivateKeyFile: c.servingKey,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: c.caFile },
    },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${c.socket}`,
    cgroupDriver: 'cgroupfs',
    cgroupsPerQOS: true,
    cgroupRoot: c.cgroupRoot,
    enforceNodeAllocatable: ['pods'],
    failSwapOn: false,
    failCgroupV1: false,
    protectKernelDefaults: false,
    featureGates: { ContainerCheckpoint: true },
    // a shared disk and memory: never evict the tests' pods for what other processes use
    evictionHard: {
      'nodefs.available': '1%',
      'imagefs.available': '1%',
      'memory.available': '100Mi',
    },
    imageGCHighThresholdPercent: 99,
    imageGCLowThresholdPercent: 98,
    serializeImagePulls: true,
    resolvConf: '/etc/resolv.conf',
  });
}

/** A bridge network with host-local addresses of `podSubnet`; no masquerading (no iptables rules). */
export function cniConfig(c: NodeConfigInput, name: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: `continuum-${name}`,
    plugins: [
      {
        type: 'bridge',
        bridge: c.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: c.podSubnet }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: `${c.dir}/cni-ipam`,
        },
      },
    ],
  });
}
