/**
 * Where the kubelet puts a container's cgroup. The kubelet names pod cgroups by QoS class and
 * pod UID, the runtime names the container's leaf; both depend on the cgroup driver:
 *
 * - systemd: `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/
 *   cri-containerd-<id>.scope` (CRI-O: `crio-<id>.scope`; guaranteed pods sit directly under
 *   `kubepods.slice/kubepods-pod<uid_>.slice`; dashes of the UID become underscores);
 * - cgroupfs: `kubepods/burstable/pod<uid>/<id>` (CRI-O: `crio-<id>`; guaranteed pods sit
 *   directly under `kubepods/pod<uid>`).
 *
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

function systemdPodSlice(qos: QosClass, uid: string): string {
  const u = uid.replaceAll('-', '_');
  if (qos === 'Guaranteed') return `kubepods.slice/kubepods-pod${u}.slice`;
  const q = qos.toLowerCase();
  return `kubepods.slice/kubepods-${q}.slice/kubepods-${q}-pod${u}.slice`;
}

function cgroupfsPodDir(qos: QosClass, uid: string): string {
  if (qos === 'Guaranteed') return `kubepods/pod${uid}`;
  return `kubepods/${qos.toLowerCase()}/pod${uid}`;
}

/**
 * Every relative cgroup path the container may have, most likely first: the pod's QoS class
 * when known (else all three), both drivers, the runtime's leaf names. Pure.
 */
export function containerCgroupCandidates(
  pod: { uid: string; qosClass?: string },
  container: ContainerId,
): string[] {
  const known = QOS_CLASSES.find((q) => q === pod.qosClass);
  const classes = known ? [known] : QOS_CLASSES;
  const paths: string[] = [];
  for (const qos of classes) {
    for (const scope of systemdScopes(container)) {
      paths.push(`${systemdPodSlice(qos, pod.uid)}/${scope}`);
    }
    for (const leaf of cgroupfsLeaves(container)) {
      paths.push(`${cgroupfsPodDir(qos, pod.uid)}/${leaf}`);
    }
  }
  return paths;
}
