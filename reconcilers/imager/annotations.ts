/**
 * The restore markers and checkpoint metadata of a checkpoint image, derived from the
 * archive's config.dump and spec.dump the way checkpointctl does (`org.criu.checkpoint.*`).
 * CRI-O restores an image whose manifest carries {@link crioCheckpointAnnotation}; containerd
 * (≥ 2.1) one whose index carries `org.criu.checkpoint.container.name`.
 */

export const crioCheckpointAnnotation = 'io.kubernetes.cri-o.annotations.checkpoint.name';
export const criuPrefix = 'org.criu.checkpoint.';

/** config.dump as CRI-O and containerd write it (fields continuum reads). */
interface ConfigDump {
  name?: string;
  rootfsImage?: string;
  rootfsImageRef?: string;
  rootfsImageName?: string;
  runtime?: string;
  checkpointedTime?: string;
  checkpointedAt?: string;
}

interface SpecDump {
  annotations?: Record<string, string>;
}

export interface HostFacts {
  /** OCI architecture (amd64, arm64…). */
  arch: string;
  /** Kernel release of the node that made the checkpoint. */
  kernel: string;
}

/** The engine, pod and namespace recorded in spec.dump, per engine (as checkpointctl reads them). */
function engineFacts(spec: SpecDump): {
  engine: string;
  pod?: string;
  namespace?: string;
  podId?: string;
} {
  const a = spec.annotations ?? {};
  switch (a['io.container.manager']) {
    case 'cri-o':
      return {
        engine: 'CRI-O',
        pod: a['io.kubernetes.pod.name'],
        namespace: a['io.kubernetes.pod.namespace'],
        podId: a['io.kubernetes.cri-o.SandboxID'],
      };
    case 'libpod':
      return { engine: 'Podman' };
    default:
      return {
        engine: 'containerd',
        pod: a['io.kubernetes.cri.sandbox-name'],
        namespace: a['io.kubernetes.cri.sandbox-namespace'],
        podId: a['io.kubernetes.cri.sandbox-id'],
      };
  }
}

/**
 * The `org.criu.checkpoint.*` annotations for a checkpoint of `container`; keys whose value
 * the archive does not record are left out.
 */
export function checkpointAnnotations(
  container: string,
  metadata: Record<string, unknown>,
  host: HostFacts,
): Record<string, string> {
  const config = (metadata['config.dump'] ?? {}) as ConfigDump;
  const facts = engineFacts((metadata['spec.dump'] ?? {}) as SpecDump);
  const values: Record<string, string | undefined> = {
    'container.name': container,
    'engine.name': facts.engine,
    'pod.name': facts.pod,
    'pod.namespace': facts.namespace,
    'pod.id': facts.podId,
    rootfsImageUserRequested: config.rootfsImage,
    rootfsImageName: config.rootfsImageName,
    rootfsImageID: config.rootfsImageRef,
    'runtime.name': config.runtime,
    'host.arch': host.arch,
    'host.kernel': host.kernel,
  };
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'string' && value !== '') annotations[criuPrefix + key] = value;
  }
  return annotations;
}

/** When the checkpoint was taken (config.dump), as RFC 3339; undefined if not recorded. */
export function checkpointedAt(metadata: Record<string, unknown>): string | undefined {
  const config = (metadata['config.dump'] ?? {}) as ConfigDump;
  const value = config.checkpointedTime ?? config.checkpointedAt;
  if (typeof value !== 'string' || value.startsWith('0001-')) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** OCI architecture name of a Node.js `process.arch`. */
export function ociArch(nodeArch: string): string {
  return (
    (
      {
        x64: 'amd64',
        ia32: '386',
        arm: 'arm',
        arm64: 'arm64',
        ppc64: 'ppc64le',
        s390x: 's390x',
        riscv64: 'riscv64',
      } as Record<string, string>
    )[nodeArch] ?? nodeArch
  );
}
