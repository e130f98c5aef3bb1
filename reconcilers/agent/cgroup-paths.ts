/**
 * Where the kubelet puts a container's cgroup. The kubelet names pod cgroups by QoS class and
 * pod UID below its `cgroupRoot` (`/` unless configured), the runtime names the container's
 * leaf; both depend on the cgroup driver:
 *
 * - systemd: `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/
 *   cri-containerd-<id>.scope` (CRI-O: `crio-<id>.scope`; guaranteed pods sit directly under
 *   `kubepods.slice/kubepods-pod<uid_>.slice`; dashes of the UID become underscores);
 * - cgroupfs: `kubepods/burstable/pod<uid>/<id>` (CRI-O: `crio-<id>`; guaranteed pods sit
 *   directly under `kubepods/pod<uid>`).
 *
 * A `cgroupRoot` such as `/edge/a` is prepended as the kubelet does it: `edge/a/kubepods/…`
 * (cgroupfs), `edge.slice/edge-a.slice/edge-a-kubepods.slice/…` (systemd).
 * The same relative path is used in every v1 hierarchy and in the v2 unified hierarchy.
 */

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export interface ContainerId {
  runtime: string;
  id: string;
}

/** Parses `containerd://<id>`, `cri-o://<id>`, `docker://<id>` from `containerStatuses[].containerID`. */
export function parseContainerId(containerID: string | undefined): ContainerId | undefined {
  const match = /^([a-z0-9-]+):\/\/([0-9a-zA-Z]+)$/.exec(containerID ?? '');
  if (!match) return undefined;
  return { runtime: match[1]!, id: match[2]! };
}

/**
 * The components of the kubelet's `cgroupRoot` setting (`/` → none), read as the kubelet reads
 * it (a cgroupfs-style path, whatever the driver). Throws on `.` or `..`: the agent must never
 * look outside the cgroup hierarchies it was given.
 */
export function parseKubeletCgroupRoot(root: string): string[] {
  const parts = root.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..')) {
    throw new Error(`invalid kubelet cgroup root "${root}": "." and ".." are not allowed`);
  }
  return parts;
}

const QOS_CLASSES: QosClass[] = ['Burstable', 'BestEffort', 'Guaranteed'];

function systemdScopes(c: ContainerId): string[] {
  switch (c.runtime) {
    case 'containerd':
      return [`cri-containerd-${c.id}.scope`];
    case 'cri-o':
      return [`crio-${c.id}.scope`];
    case 'docker':
      return [`docker-${c.id}.scope`];
    default:
      return [`cri-containerd-${c.id}.scope`, `crio-${c.id}.scope`];
  }
}

function cgroupfsLeaves(c: ContainerId): string[] {
  switch (c.runtime) {
    case 'cri-o':
      return [`crio-${c.id}`];
    case 'containerd':
    case 'docker':
      return [c.id];
    default:
      return [c.id, `crio-${c.id}`];
  }
}

/** The kubelet's driver-neutral name of a pod cgroup: its list of components. */
function podCgroupName(root: string[], qos: QosClass, uid: string): string[] {
  const qosDir = qos === 'Guaranteed' ? [] : [qos.toLowerCase()];
  return [...root, 'kubepods', ...qosDir, `pod${uid}`];
}

/**
 * As the kubelet's `CgroupName.ToSystemd`: dashes escaped to underscores, then expanded as
 * systemd nests slices (`a-b.slice` lives in `a.slice`).
 */
function systemdPath(name: string[]): string {
  const escaped = name.map((part) => part.replaceAll('-', '_'));
  return escaped.map((_, i) => `${escaped.slice(0, i + 1).join('-')}.slice`).join('/');
}

/**
 * Every relative cgroup path the container may have, most likely first: the pod's QoS class
 * when known (else all three), both drivers, the runtime's leaf names; all below the kubelet's
 * cgroup root (components from {@link parseKubeletCgroupRoot}, default none). Pure.
 */
export function containerCgroupCandidates(
  pod: { uid: string; qosClass?: string },
  container: ContainerId,
  kubeletCgroupRoot: string[] = [],
): string[] {
  const known = QOS_CLASSES.find((q) => q === pod.qosClass);
  const classes = known ? [known] : QOS_CLASSES;
  const paths: string[] = [];
  for (const qos of classes) {
    const name = podCgroupName(kubeletCgroupRoot, qos, pod.uid);
    for (const scope of systemdScopes(container)) {
      paths.push(`${systemdPath(name)}/${scope}`);
    }
    for (const leaf of cgroupfsLeaves(container)) {
      paths.push(`${name.join('/')}/${leaf}`);
    }
  }
  return paths;
}
