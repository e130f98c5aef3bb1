/**
 * Blob upload (OCI distribution "push"): POST to open an upload session, PATCH the bytes as one
 * streamed request or as chunks, PUT `?digest=` to commit. The digest is computed while the
 * bytes are sent, so a blob is read once. When a transfer breaks, the upload is resumed from
 * the offset the registry reports (GET on the session), or restarted when the registry has
 * dropped the session; the source is re-read from the start to rebuild the hash, sending only
 * the bytes the registry lacks. The retry budget applies per stall: a resume that made
 * progress starts it again. (docker-registry 2.x drops a session whose last PATCH broke
 * mid-way, so with it a broken transfer restarts; a PATCH refused before any byte was
 * stored, e.g. for an expired token, resumes.)
 */
import { RegistryError, isTransient, statusError, wrapNetworkError } from './errors.ts';
import { HashingReader } from './hashing-reader.ts';
import type { HttpResponse } from './http.ts';
import type { RegistrySession } from './session.ts';

/** The bytes of a blob, readable again from the start for every attempt. */
export interface BlobSource {
  /** Size in bytes when known in advance (sent as Content-Length / Content-Range). */
  size?: number;
  /**
   * Yields the blob's bytes from the first one; each call starts over. A yielded buffer is
   * only valid until the next one is asked for (the source may reuse its memory): consumers
   * hash and send it before they pull again.
   */
  open(): AsyncIterable<Buffer>;
}

export interface UploadOptions {
  /** Bytes per PATCH request; 0 (default) sends the whole blob in one streamed request. */
  chunkSize?: number;
  /** Called after a broken transfer, with the offset the upload continues from. */
  onResume?: (offset: number, cause: unknown) => void;
  /**
   * Started once the digest is known (for a source of known size, when its last byte is read,
   * before the registry has taken all bytes), to run alongside the end of the upload and the
   * commit (e.g. uploading what names the blob); once, even if the upload is resumed or
   * retried. The upload settles when both have; an error of this task is thrown as it is.
   */
  whileCommitting?: (blob: UploadedBlob) => Promise<void>;
}

export interface UploadedBlob {
  digest: string;
  size: number;
}

/** Uploads a blob from a stream; see the module comment. Returns its digest and size. */
export async function uploadBlob(
  session: RegistrySession,
  source: BlobSource,
  options: UploadOptions = {},
): Promise<UploadedBlob> {
  const what = `upload blob to ${session.repository.registry}/${session.repository.name}`;
  /** The upload session as of the last answer of the registry (each PATCH renews it). */
  const upload = { location: await startUpload(session, what) };
  let alongside: Promise<void> | undefined;
  const blob = await sendAndCommit(session, source, options, upload, what, (sent) => {
    alongside ??= options.whileCommitting?.(sent);
    alongside?.catch(() => {}); // awaited below, once the commit is settled
  });
  await alongside;
  return blob;
}

/** The retry loop of {@link uploadBlob}: sends, resuming or restarting, and commits. */
async function sendAndCommit(
  session: RegistrySession,
  source: BlobSource,
  options: UploadOptions,
  upload: { location: string },
  what: string,
  committing: (blob: UploadedBlob) => void,
): Promise<UploadedBlob> {
  let confirmed = 0;
  for (let attempt = 1; ; attempt++) {
    // With the size known, what names the blob starts as soon as its last byte is read, while
    // the registry still takes the bytes in flight.
    const reader = new HashingReader(source.open(), source.size, (digest) =>
      committing({ digest, size: source.size! }),
    );
    try {
      await reader.skipTo(confirmed);
      await sendChunks(session, reader, upload, source.size, options.chunkSize ?? 0, what);
      const digest = reader.digest();
      if (source.size !== undefined && reader.offset !== source.size) {
        throw new Error(
          `the blob source yielded ${reader.offset} bytes, expected ${source.size} (did the file change?)`,
        );
      }
      const blob = { digest, size: reader.offset };
      committing(blob);
      await commitUpload(session, upload.location, digest, what);
      return blob;
    } catch (err) {
      if (!isTransient(err) || attempt >= session.retry.attempts) throw wrapNetworkError(err, what);
      await session.backoff(attempt);
      const before = confirmed;
      ({ location: upload.location, confirmed } = await resumeOrRestart(
        session,
        upload.location,
        what,
      ));
      if (confirmed > before) attempt = 0; // progress: the retry budget is per stall
      options.onResume?.(confirmed, err);
    } finally {
      await reader.close();
    }
  }
}

async function startUpload(session: RegistrySession, what: string): Promise<string> {
  const { name } = session.repository;
  const res = await session.request(
    { method: 'POST', path: `/v2/${name}/blobs/uploads/`, headers: { 'content-length': '0' } },
    what,
  );
  if (res.status !== 202) throw statusError(what, res.status, res.body);
  return locationOf(res, what);
}

/** Sends the reader's remaining bytes as PATCH requests, keeping `upload.location` current. */
async function sendChunks(
  session: RegistrySession,
  reader: HashingReader,
  upload: { location: string },
  size: number | undefined,
  chunkSize: number,
  what: string,
): Promise<void> {
  while (!(await reader.atEnd())) {
    const start = reader.offset;
    const remaining = size === undefined ? Infinity : size - start;
    const length = chunkSize > 0 ? Math.min(chunkSize, remaining) : remaining;
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (Number.isFinite(length)) {
      headers['content-length'] = String(length);
      headers['content-range'] = `${start}-${start + length - 1}`;
    }
    const res = await session.sendStream('PATCH', upload.location, headers, reader.stream(length));
    if (res.status === 401) {
      await session.reauthenticate(res, what); // e.g. a token that expired during a long upload
      throw new RegistryError('transient', `${what}: authorization expired during the upload`, 401);
    }
    if (res.status !== 202) throw statusError(what, res.status, res.body);
    upload.location = locationOf(res, what);
    const held = rangeEnd(res);
    if (held !== undefined && held !== reader.offset) {
      throw new RegistryError(
        'transient',
        `${what}: registry holds ${held} bytes, ${reader.offset} were sent`,
      );
    }
  }
}

async function commitUpload(
  session: RegistrySession,
  location: string,
  digest: string,
  what: string,
): Promise<void> {
  const url = await session.url(location);
  url.searchParams.set('digest', digest);
  const res = await session.request(
    { method: 'PUT', path: url.href, headers: { 'content-length': '0' } },
    what,
  );
  if (res.status !== 201) throw statusError(what, res.status, res.body);
  checkStoredDigest(res, digest, what);
}

/** Throws when the registry says it stored another digest than the one sent. */
export function checkStoredDigest(res: HttpResponse, digest: string, what: string): void {
  const stored = res.headers['docker-content-digest'];
  if (typeof stored === 'string' && stored !== digest) {
    throw new RegistryError(
      'digestMismatch',
      `${what}: registry stored ${stored}, client sent ${digest}`,
    );
  }
}

/** Asks the registry how much of the upload it holds; opens a new upload when it lost it. */
async function resumeOrRestart(
  session: RegistrySession,
  location: string,
  what: string,
): Promise<{ location: string; confirmed: number }> {
  const res = await session.request({ method: 'GET', path: location }, what);
  if (res.status === 204)
    return { location: locationOf(res, what, location), confirmed: rangeEnd(res) ?? 0 };
  if (res.status === 404 || res.status === 400)
    return { location: await startUpload(session, what), confirmed: 0 };
  throw statusError(what, res.status, res.body);
}

function locationOf(res: HttpResponse, what: string, fallback?: string): string {
  const location = res.headers.location ?? fallback;
  if (!location)
    throw new RegistryError(
      'rejected',
      `${what}: registry answered ${res.status} without a Location`,
    );
  return location;
}

/** Bytes held according to a `Range: 0-<last>` header ("0-0" is read as empty). */
function rangeEnd(res: HttpResponse): number | undefined {
  const match = /^0-(\d+)$/.exec(String(res.headers.range ?? ''));
  if (!match) return undefined;
  const last = Number(match[1]);
  return last === 0 ? 0 : last + 1;
}
