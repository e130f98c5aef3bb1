/**
 * A pseudo-file (cgroupfs, procfs) kept open and re-read from offset 0 with one pread: no path
 * walk, no fstat, no buffer per read. cgroup and /proc files regenerate their content on every
 * read at offset 0. A read of a removed cgroup's file fails (ENODEV); callers then close it.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const buffer = Buffer.allocUnsafe(64 * 1024);

export class OpenFile {
  private fd: number | undefined;

  /** Opens `path`; throws (ENOENT) when it does not exist. */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }

  /** The first `max` bytes (at most 64 KiB) of the file as text. */
  text(max = 4096): string {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    const n = readSync(this.fd, buffer, 0, Math.min(max, buffer.length), 0);
    return buffer.toString('latin1', 0, n);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
