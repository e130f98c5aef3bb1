/**
 * Reads a blob source in bounded pieces for an upload: every byte pulled goes into a sha256, so
 * the digest is known once the last byte is sent; a resume re-reads up to the registry's offset.
 */
import { createHash, type Hash } from 'node:crypto';

/** Pulls bytes from a source in bounded pieces, hashing everything it pulls. */
export class HashingReader {
  readonly hash: Hash = createHash('sha256');
  offset = 0;
  private pending: Buffer | undefined;
  private readonly source: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** Up to `max` next bytes; undefined at the end of the source. */
  async read(max: number): Promise<Buffer | undefined> {
    if (!this.pending) {
      const next = await this.source.next();
      if (next.done) return undefined;
      this.hash.update(next.value);
      this.pending = next.value;
    }
    let out = this.pending;
    if (out.length > max) {
      this.pending = out.subarray(max);
      out = out.subarray(0, max);
    } else {
      this.pending = undefined;
    }
    this.offset += out.length;
    return out;
  }

  /** Reads and discards bytes up to `offset` (they still count in the hash). */
  async skipTo(offset: number): Promise<void> {
    while (this.offset < offset) {
      if (!(await this.read(offset - this.offset))) {
        throw new Error(
          `the blob source ended at ${this.offset} bytes, before the resume offset ${offset}`,
        );
      }
    }
  }

  /** The next `length` bytes (or all remaining ones), as a request body. */
  async *stream(length: number): AsyncGenerator<Buffer> {
    const end = this.offset + length;
    while (this.offset < end) {
      const b = await this.read(end - this.offset);
      if (!b) return;
      yield b;
    }
  }

  /** Releases the source (closes its file) when a pass is abandoned. */
  async close(): Promise<void> {
    await this.source.return?.();
  }

  async atEnd(): Promise<boolean> {
    if (this.pending) return false;
    const next = await this.source.next();
    if (next.done) return true;
    this.hash.update(next.value);
    this.pending = next.value;
    return false;
  }
}
