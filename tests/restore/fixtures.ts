/**
 * What the runc wrapper's tests build: tar archives entry by entry (hostile ones too), checkpoint
 * images as OCI layouts, busybox bundles for runc, and a wrapper installation (bin/continuum-runc
 * next to a `continuum` launcher and a restore key) in a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import {
  signTicket,
  TICKET_ANNOTATION,
  CHECKPOINT_MOUNT,
} from '../../reconcilers/restore/ticket.ts';
import type { OciSpec } from '../../reconcilers/restore/plan.ts';
import { tarHeader } from '../sim/checkpoint-archive.ts';

const repo = resolve(import.meta.dirname, '../..');

export interface Entry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo';
  data?: string | Buffer;
  linkName?: string;
}

/** A ustar archive of `entries`, in order. */
export function tarOf(entries: Entry[]): Buffer {
  const flags = { file: '0', hardlink: '1', symlink: '2', dir: '5', fifo: '6' } as const;
  const blocks = entries.flatMap((e) => {
    const data = Buffer.from(e.data ?? '');
    const header = tarHeader(e.name, data.length, flags[e.type ?? 'file'], new Date(), e.linkName);
    return [header, data, Buffer.alloc((512 - (data.length % 512)) % 512)];
  });
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

function digestOf(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** An OCI layout in `dir` holding one image of `layer`; returns the index's digest. */
export function writeLayout(dir: string, layer: Buffer, architecture = 'amd64'): string {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (data: Buffer) => {
    const digest = digestOf(data);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), data);
    return { digest, size: data.length };
  };
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [digestOf(layer)] },
      }),
    ),
  );
  const layerDesc = put(layer);
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layerDesc }],
      }),
    ),
  );
  const index = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }],
      }),
    ),
  );
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return index.digest;
}

/** A root filesystem with Debian's static busybox and its applets. */
export function busyboxRootfs(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const tool of ['sh', 'sleep', 'cat', 'echo']) symlinkSync('busybox', join(dir, 'bin', tool));
  mkdirSync(join(dir, 'tmp'), { mode: 0o1777 });
}

/**
 * A runc bundle in `dir` running `script` in busybox's sh, in the host's network namespace
 * unless `ownNetwork`, in the cgroup `cgroup` (a child of the machine's roots, removed with the
 * container).
 */
export function bundle(
  dir: string,
  script: string,
  opts: { ownNetwork?: boolean; cgroup: string },
): OciSpec {
  mkdirSync(dir, { recursive: true });
  busyboxRootfs(join(dir, 'rootfs'));
  execFileSync('runc', ['spec', '--bundle', dir]);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/sh', '-c', script];
  spec.root = { path: 'rootfs', readonly: false };
  spec.linux.cgroupsPath = `/${opts.cgroup}`;
  if (!opts.ownNetwork)
    spec.linux.namespaces = spec.linux.namespaces.filter(
      (n: { type: string }) => n.type !== 'network',
    );
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return spec as OciSpec;
}

export const POD = { namespace: 'default', pod: 'counter-restored' };
/** The operator namespace the tests' tickets name. */
export const ISSUER = 'continuum-system';

/** `spec` as containerd writes it for container `container` of {@link POD}, with a ticket. */
export function markedSpec(
  spec: OciSpec,
  opts: {
    container: string;
    restartCount?: string;
    checkpoints: string;
    ticket?: { key: Buffer; digest: string; expires?: number };
    podUid?: string;
  },
): OciSpec {
  const ticket = opts.ticket;
  return {
    ...spec,
    annotations: {
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.container-name': opts.container,
      'io.kubernetes.cri.sandbox-name': POD.pod,
      'io.kubernetes.cri.sandbox-namespace': POD.namespace,
      'io.kubernetes.cri.sandbox-uid': opts.podUid ?? 'uid-1',
      ...(opts.restartCount === undefined
        ? {}
        : { 'io.kubernetes.container.restartCount': opts.restartCount }),
      ...(ticket
        ? {
            [TICKET_ANNOTATION]: signTicket(
              { issuer: ISSUER, key: ticket.key },
              POD,
              { [opts.container]: ticket.digest },
              ticket.expires ?? Math.floor(Date.now() / 1000) + 600,
            ),
          }
        : {}),
    },
    mounts: [
      ...(spec.mounts ?? []),
      {
        destination: CHECKPOINT_MOUNT,
        source: opts.checkpoints,
        type: 'bind',
        options: ['rbind', 'ro'],
      },
    ],
  };
}

/**
 * The wrapper as the installer lays it out: continuum-runc, a `continuum` launcher of this
 * checkout, and the restore key. Returns the path of continuum-runc.
 */
export function installWrapper(dir: string, key: Buffer): string {
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(repo, 'bin', 'continuum-runc'), join(dir, 'continuum-runc'));
  chmodSync(join(dir, 'continuum-runc'), 0o755);
  writeFileSync(
    join(dir, 'continuum'),
    `#!/bin/sh\nexec ${process.execPath} ${join(repo, 'bin', 'continuum.js')} "$@"\n`,
    { mode: 0o755 },
  );
  mkdirSync(join(dir, 'keys'));
  writeFileSync(join(dir, 'keys', `${ISSUER}.key`), key, { mode: 0o600 });
  return join(dir, 'continuum-runc');
}
