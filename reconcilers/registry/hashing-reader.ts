/**
 * Reads a blob source in bounded pieces for an upload: every byte pulled goes into a sha256, so
 * the digest is known once the last byte is sent; a resume re-reads up to the registry's offset.
 */
import { createHash, type Hash } from 'node:crypto';

/**
 * Pulls bytes from a source in bounded pieces, hashing everything it pulls. With the source's
 * size known, the digest is settled (and `onDigest` called) as soon as the last byte is pulled,
 * before it is sent.
 */
export class HashingReader {
  offset = 0;
  private readonly hash: Hash = createHash('sha256');
  private pulled = 0;
  private settled: string | undefined;
  private pending: Buffer | undefined;
  private readonly source: AsyncIterator<Buffer>;

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly size?: number,
    private readonly onDigest?: (digest: string) => void,
  ) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** `sha256:<hex>` of every byte pulled; no byte may be pulled after it is asked for. */
  digest(): string {
    this.settled ??= `sha256:${this.hash.digest('hex')}`;
    return this.settled;
  }

  private take(bytes: Buffer): void {
    if (this.settled) throw new Error(`the blob source yielded more than its ${this.size} bytes`);
    this.hash.update(bytes);
    this.pulled += bytes.length;
    if (this.pulled === this.size) this.onDigest?.(this.digest());
  }

  /** Up to `max` next bytes; undefined at the end of the source. */
  async read(max: number): Promise<Buffer | undefined> {
    if (!this.pending) {
      const next = await this.source.next();
      if (next.done) return undefined;
      this.take(next.value);
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
    this.take(next.value);
    this.pending = next.value;
    return false;
  }
}
