/**
 * Restores one container in place of its `runc create`: the verified checkpoint layer is
 * unpacked next to it, the rootfs diff applied to the container's prepared rootfs, and
 * `runc restore --detach` started with the create's bundle, pid file and console socket, so
 * that the shim's next calls (start, which the front makes a no-op, state, kill, delete) find a
 * running container. stdio is inherited: runc maps the checkpoint's stdio onto the shim's pipes.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { extractTar, removeUnder } from '../tar/extract.ts';
import { verifyCheckpointImage } from './checkpoint-image.ts';
import { ownNetwork, withoutCheckpointMount, type OciSpec } from './plan.ts';
import type { CreateArgs, RuncCall } from './runc-args.ts';

export class RestoreError extends Error {
  override name = 'RestoreError';
}

export interface RestoreInput {
  runc: string;
  call: RuncCall;
  create: CreateArgs;
  spec: OciSpec;
  container: string;
  digest: string;
  /** The host directory of the pod's checkpoint volume: an OCI layout per container. */
  checkpoints: string;
}

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new RestoreError(`the checkpoint's ${what} is unreadable: ${(err as Error).message}`);
  }
}

/** The last lines of CRIU's restore log: what went wrong, in its words. */
function criuLogTail(work: string): string {
  try {
    const lines = readFileSync(join(work, 'restore.log'), 'utf8').trim().split('\n');
    return lines
      .filter((l) => /Error|error|fail/.test(l))
      .slice(-3)
      .join(' | ');
  } catch {
    return '';
  }
}

export async function restoreContainer(input: RestoreInput): Promise<void> {
  const { create, spec } = input;
  const image = await verifyCheckpointImage(join(input.checkpoints, input.container), input.digest);
  const work = mkdtempSync(join(input.checkpoints, `.restore-${input.container}-`));
  try {
    const files = join(work, 'checkpoint');
    mkdirSync(files, 0o700);
    const source = createReadStream(image.layer, { highWaterMark: 1 << 20 });
    try {
      await extractTar(image.gzip ? source.pipe(createGunzip()) : source, files, {
        links: false,
        preserveOwners: false,
      });
    } catch (err) {
      throw new RestoreError(
        `the checkpoint archive cannot be unpacked: ${(err as Error).message}`,
      );
    }
    if (!existsSync(join(files, 'checkpoint')))
      throw new RestoreError('the checkpoint archive has no checkpoint/ directory (CRIU images)');
    const taken = readJson<OciSpec>(join(files, 'spec.dump'), 'spec.dump');
    if (ownNetwork(taken) !== ownNetwork(spec))
      throw new RestoreError(
        ownNetwork(taken)
          ? 'the checkpoint was taken in a pod network; this pod uses the host network'
          : 'the checkpoint was taken with host networking; this pod has its own network (the process would run in the host network namespace)',
      );
    const root = isAbsolute(spec.root!.path)
      ? spec.root!.path
      : join(create.bundle, spec.root!.path);
    try {
      const deleted = join(files, 'deleted.files');
      if (existsSync(deleted)) removeUnder(root, readJson<string[]>(deleted, 'deleted.files'));
      const diff = join(files, 'rootfs-diff.tar');
      if (existsSync(diff))
        await extractTar(diffStream(diff), root, { links: true, preserveOwners: true });
    } catch (err) {
      throw new RestoreError(`the checkpoint's rootfs diff is refused: ${(err as Error).message}`);
    }
    writeFileSync(join(create.bundle, 'config.json'), JSON.stringify(withoutCheckpointMount(spec)));
    const restored = spawnSync(
      input.runc,
      [
        ...input.call.global,
        'restore',
        '--detach',
        '--image-path',
        join(files, 'checkpoint'),
        '--work-path',
        work,
        '--bundle',
        create.bundle,
        ...(create.pidFile ? ['--pid-file', create.pidFile] : []),
        ...(create.consoleSocket ? ['--console-socket', create.consoleSocket] : []),
        ...(create.noPivot ? ['--no-pivot'] : []),
        create.id,
      ],
      { stdio: 'inherit' },
    );
    if (restored.error)
      throw new RestoreError(`cannot run ${input.runc}: ${restored.error.message}`);
    if (restored.status !== 0)
      throw new RestoreError(
        `runc restore failed (exit ${restored.status})${criuLogTail(work) ? `: ${criuLogTail(work)}` : ''}`,
      );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** rootfs-diff.tar: gzip-compressed from containerd (a layer blob), plain from CRI-O. */
function diffStream(path: string): AsyncIterable<Buffer> {
  const magic = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, magic, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  return magic[0] === 0x1f && magic[1] === 0x8b ? file.pipe(createGunzip()) : file;
}
