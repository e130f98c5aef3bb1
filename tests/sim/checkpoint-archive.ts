/**
 * SIMULATED checkpoint archives, laid out as CRI-O writes them for the kubelet checkpoint API:
 * an uncompressed tar with config.dump, spec.dump, status.dump, bind.mounts, dump.log,
 * stats-dump, rootfs-diff.tar and a checkpoint/ directory whose pages-1.img holds `sizeBytes`
 * of "memory". Written as a stream (one 1 MiB buffer at a time), so multi-GiB archives cost
 * no memory. Used by the imager tests, the benchmark and the simulated kubelet.
 */
import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';

export interface CheckpointArchiveOptions {
  path: string;
  container: string;
  /** Size of checkpoint/pages-1.img, the bulk of the archive. */
  sizeBytes: number;
  contentKind: 'random' | 'zero';
  pod?: string;
  namespace?: string;
  /** Image the container ran (config.dump rootfsImageName). */
  image?: string;
  checkpointedAt?: Date;
}

const block = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar header for a regular file ('0'), a directory ('5') or pax records ('x'). */
export function tarHeader(
  name: string,
  size: number,
  type: '0' | '1' | '2' | '5' | '6' | 'x',
  mtime: Date,
  linkName = '',
): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  const h = Buffer.alloc(block);
  h.write(name, 0, 'utf8');
  h.write(octal(type === '5' ? 0o700 : 0o600, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 'latin1');
  h.write(type, 156, 'latin1');
  h.write(linkName, 157, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.write('root', 265, 'latin1');
  h.write('root', 297, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 'latin1');
  return h;
}

function padding(size: number): Buffer {
  return Buffer.alloc((block - (size % block)) % block);
}

/** A small in-memory tar (for rootfs-diff.tar). */
function smallTar(files: Record<string, string>, mtime: Date): Buffer {
  const parts: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    parts.push(tarHeader(name, data.length, '0', mtime), data, padding(data.length));
  }
  parts.push(Buffer.alloc(2 * block));
  return Buffer.concat(parts);
}

function metadataFiles(o: CheckpointArchiveOptions, when: Date): Record<string, Buffer> {
  const pod = o.pod ?? 'workload';
  const namespace = o.namespace ?? 'default';
  const image = o.image ?? 'registry.example.com/app:1.0';
  const id = 'c0ffee'.padEnd(64, '0');
  const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2));
  return {
    'bind.mounts': json([]),
    'config.dump': json({
      id,
      name: `k8s_${o.container}_${pod}_${namespace}_0_0`,
      rootfsImage: image,
      rootfsImageRef: 'sha256:'.padEnd(71, '1'),
      rootfsImageName: image,
      runtime: 'runc',
      createdTime: when.toISOString(),
      checkpointedTime: when.toISOString(),
    }),
    'spec.dump': json({
      ociVersion: '1.0.2',
      annotations: {
        'io.container.manager': 'cri-o',
        'io.kubernetes.container.name': o.container,
        'io.kubernetes.cri-o.Metadata': JSON.stringify({ name: o.container }),
        'io.kubernetes.cri-o.SandboxID': 'sandbox'.padEnd(64, '0'),
        'io.kubernetes.pod.name': pod,
        'io.kubernetes.pod.namespace': namespace,
      },
    }),
    'status.dump': json({ id, metadata: { name: o.container }, image: { image }, imageRef: image }),
    'dump.log': Buffer.from('(00.000000) Dumping finished successfully (simulated)\n'),
    'stats-dump': Buffer.alloc(64),
  };
}

/** Writes the archive; resolves with its size in bytes. */
export async function writeCheckpointArchive(
  o: CheckpointArchiveOptions,
): Promise<{ path: string; archiveBytes: number }> {
  const when = o.checkpointedAt ?? new Date();
  const file = await open(o.path, 'w', 0o600);
  let written = 0;
  const write = async (b: Buffer) => {
    await file.write(b);
    written += b.length;
  };
  const writeFile = async (name: string, data: Buffer) => {
    await write(tarHeader(name, data.length, '0', when));
    await write(data);
    await write(padding(data.length));
  };
  try {
    for (const [name, data] of Object.entries(metadataFiles(o, when))) await writeFile(name, data);
    await writeFile(
      'rootfs-diff.tar',
      smallTar({ 'tmp/state.txt': `state of ${o.container}\n` }, when),
    );
    await write(tarHeader('checkpoint/', 0, '5', when));
    await writeFile('checkpoint/inventory.img', Buffer.from('simulated CRIU inventory\n'));
    await writeFile('checkpoint/pstree.img', Buffer.from('simulated CRIU process tree\n'));
    await write(tarHeader('checkpoint/pages-1.img', o.sizeBytes, '0', when));
    const chunk = Buffer.alloc(1024 * 1024);
    for (let left = o.sizeBytes; left > 0; left -= chunk.length) {
      const piece = left < chunk.length ? chunk.subarray(0, left) : chunk;
      if (o.contentKind === 'random') randomFillSync(piece);
      await write(piece);
    }
    await write(padding(o.sizeBytes));
    await write(Buffer.alloc(2 * block));
  } finally {
    await file.close();
  }
  return { path: o.path, archiveBytes: written };
}
