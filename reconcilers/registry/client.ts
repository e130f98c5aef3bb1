/**
 * The registry port: what continuum needs from an OCI distribution registry, for one
 * repository. Used by the imager (push) and the operator (verify that an image exists).
 */
import { createHash } from 'node:crypto';
import { describeErrorBody, RegistryError, statusError } from './errors.ts';
import { isDigest, parseReference } from './reference.ts';
import { RegistrySession, type SessionOptions } from './session.ts';
import {
  checkStoredDigest,
  uploadBlob,
  type BlobSource,
  type UploadOptions,
  type UploadedBlob,
} from './upload.ts';

export const mediaTypes = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** Manifest media types asked for when resolving a reference. */
const acceptManifests = [
  mediaTypes.index,
  mediaTypes.manifest,
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Contract, for every method: transient failures (5xx, 429, network errors) are retried with
 * backoff before an error is thrown; errors are {@link RegistryError}s whose `kind` says whether
 * to retry later (`transient`), fix credentials (`auth`) or give up (`rejected`,
 * `digestMismatch`). Authentication follows the registry's `WWW-Authenticate` challenge.
 * Nothing is cached between calls except the authorization.
 */
export class RegistryClient {
  private readonly session: RegistrySession;

  constructor(options: SessionOptions) {
    this.session = new RegistrySession(options);
  }

  /**
   * True when the repository holds the blob `digest` (HEAD; a redirect to the storage counts
   * as found). A blob is named by the sha256 of its bytes, so a hit is for exactly those.
   * Read-only.
   */
  async blobExists(digest: string): Promise<boolean> {
    const { name } = this.session.repository;
    const what = `check blob ${digest}`;
    const res = await this.session.request(
      { method: 'HEAD', path: `/v2/${name}/blobs/${digest}` },
      what,
    );
    if (res.status === 200 || (res.status >= 300 && res.status < 400)) return true;
    if (res.status === 404) return false;
    throw statusError(what, res.status, res.body);
  }

  /**
   * Opens an upload session (POST) for a later {@link pushBlob}, e.g. while another blob
   * uploads; returns its location.
   */
  async openUpload(): Promise<string> {
    const { name } = this.session.repository;
    const what = `open an upload in ${name}`;
    const res = await this.session.request(
      { method: 'POST', path: `/v2/${name}/blobs/uploads/`, headers: { 'content-length': '0' } },
      what,
    );
    if (res.status !== 202 || !res.headers.location) throw statusError(what, res.status, res.body);
    return res.headers.location;
  }

  /**
   * Uploads a small blob in one request (PUT with the bytes) into `opened` (from
   * {@link openUpload}) or, when it is not given or no longer known to the registry, into a
   * new session. Idempotent: uploading a blob the repository already holds stores the same
   * bytes under the same name. No HEAD first: the blobs sent this way (configs) are a few
   * hundred bytes and new on a first push, where asking would only add a round trip.
   */
  async pushBlob(data: Buffer, opened?: string): Promise<UploadedBlob> {
    const digest = sha256Digest(data);
    const what = `upload blob ${digest}`;
    const put = async (location: string) => {
      const url = await this.session.url(location);
      url.searchParams.set('digest', digest);
      const headers = {
        'content-type': 'application/octet-stream',
        'content-length': String(data.length),
      };
      return this.session.request({ method: 'PUT', path: url.href, headers, body: data }, what);
    };
    let res = opened ? await put(opened) : undefined;
    if (!res || res.status === 404 || res.status === 400) res = await put(await this.openUpload());
    if (res.status !== 201) throw statusError(what, res.status, res.body);
    checkStoredDigest(res, digest, what);
    return { digest, size: data.length };
  }

  /**
   * Uploads a large blob from a stream, hashing it on the way (its digest is not needed in
   * advance), resuming or restarting after broken transfers. Returns the digest and size.
   * Never holds the blob in memory.
   */
  uploadBlob(source: BlobSource, options?: UploadOptions): Promise<UploadedBlob> {
    return uploadBlob(this.session, source, options);
  }

  /**
   * Stores a manifest (or index) under `reference` (a tag or its digest); returns its digest.
   * Idempotent. Throws `digestMismatch` when the registry reports another digest than the
   * bytes sent.
   */
  async putManifest(reference: string, mediaType: string, body: Buffer): Promise<string> {
    const { name } = this.session.repository;
    const what = `store manifest ${name}:${reference}`;
    const digest = sha256Digest(body);
    const headers = { 'content-type': mediaType, 'content-length': String(body.length) };
    const res = await this.session.request(
      { method: 'PUT', path: `/v2/${name}/manifests/${reference}`, headers, body },
      what,
    );
    if (res.status !== 201) throw statusError(what, res.status, res.body);
    const stored = res.headers['docker-content-digest'];
    if (typeof stored === 'string' && stored !== digest) {
      throw new RegistryError(
        'digestMismatch',
        `${what}: registry reports ${stored}, sent ${digest}`,
      );
    }
    return digest;
  }

  /**
   * The digest of the manifest or index that `reference` (a tag or a digest) names, or
   * undefined when the repository has no such manifest. Read-only.
   */
  async resolveDigest(reference: string): Promise<string | undefined> {
    const { name } = this.session.repository;
    const what = `resolve ${name}:${reference}`;
    const path = `/v2/${name}/manifests/${reference}`;
    const head = await this.session.request(
      { method: 'HEAD', path, headers: { accept: acceptManifests } },
      what,
    );
    if (head.status === 404) return undefined;
    if (head.status !== 200) throw statusError(what, head.status, head.body);
    const digest = head.headers['docker-content-digest'];
    if (typeof digest === 'string') return digest;
    const get = await this.session.request(
      { method: 'GET', path, headers: { accept: acceptManifests } },
      what,
    );
    if (get.status !== 200) throw statusError(what, get.status, get.body);
    return sha256Digest(get.body);
  }

  /**
   * Deletes the manifest (or index) `digest`, and with it the tags naming it; the blobs stay
   * until the registry's garbage collection. Resolves false when it was not there (404). Throws
   * `rejected` when the registry does not delete (405 UNSUPPORTED: deletes disabled).
   */
  async deleteManifest(digest: string): Promise<boolean> {
    const { name } = this.session.repository;
    const what = `delete ${name}@${digest}`;
    const res = await this.session.request(
      { method: 'DELETE', path: `/v2/${name}/manifests/${digest}` },
      what,
    );
    if (res.status === 202 || res.status === 200) return true;
    if (res.status === 404) return false;
    if (res.status === 405) {
      const detail = describeErrorBody(res.body);
      throw new RegistryError(
        'rejected',
        `${what}: the registry does not delete images (405${detail ? ` ${detail}` : ''})`,
        405,
      );
    }
    throw statusError(what, res.status, res.body);
  }

  /** True when the repository holds the manifest with this digest. Read-only. */
  async manifestExists(digest: string): Promise<boolean> {
    return (await this.resolveDigest(digest)) === digest;
  }

  /**
   * Reads the manifest (or index) `digest` back, as a node pulling `repo@digest` does, and
   * checks that the registry serves exactly those bytes: the sha256 of the body, and the
   * Docker-Content-Digest header when sent, must be `digest`. Throws `rejected` when it is
   * missing, `digestMismatch` when other bytes come back. Read-only.
   */
  async verifyManifest(digest: string): Promise<void> {
    await this.getManifest(digest, 'verify');
  }

  /** The verified bytes of the manifest (or index) `digest` (see {@link verifyManifest}). */
  async getManifest(digest: string, verb = 'read'): Promise<Buffer> {
    const { name } = this.session.repository;
    const what = `${verb} ${name}@${digest}`;
    const res = await this.session.request(
      {
        method: 'GET',
        path: `/v2/${name}/manifests/${digest}`,
        headers: { accept: acceptManifests },
      },
      what,
    );
    if (res.status !== 200) throw statusError(what, res.status, res.body);
    const served = sha256Digest(res.body);
    const header = res.headers['docker-content-digest'];
    if (served !== digest || (typeof header === 'string' && header !== digest)) {
      throw new RegistryError(
        'digestMismatch',
        `${what}: the registry serves ${served}${typeof header === 'string' ? ` (Docker-Content-Digest ${header})` : ''}`,
      );
    }
    return res.body;
  }

  /**
   * Bytes `start` to `end` (exclusive) of the blob `digest`, by a Range request: a blob of any
   * size is read in pieces that each fit the transport's response limit. The caller verifies
   * the digest of the whole. Read-only.
   */
  async readBlob(digest: string, start: number, end: number): Promise<Buffer> {
    const { name } = this.session.repository;
    const what = `read blob ${digest} bytes ${start}-${end - 1}`;
    const res = await this.session.request(
      {
        method: 'GET',
        path: `/v2/${name}/blobs/${digest}`,
        headers: { range: `bytes=${start}-${end - 1}` },
      },
      what,
    );
    if (res.status === 200 && start === 0 && res.body.length === end) return res.body;
    if (res.status === 200)
      throw new RegistryError('rejected', `${what}: the registry does not serve byte ranges`);
    if (res.status !== 206) throw statusError(what, res.status, res.body);
    if (res.body.length !== end - start)
      throw new RegistryError('transient', `${what}: ${res.body.length} bytes came back`);
    return res.body;
  }

  /** Prepares the session ahead of the first request (see RegistrySession.prepare). */
  prepare(): Promise<void> {
    return this.session.prepare();
  }

  /** Releases the connections. */
  close(): void {
    this.session.close();
  }
}

/**
 * Checks that `image` (`host/name@sha256:…`) exists in its registry; for callers that hold
 * only a reference (the operator, before it deletes a source pod).
 */
export function imageExists(
  image: string,
  options: Omit<SessionOptions, 'repository'> = {},
): Promise<boolean> {
  return withDigestClient(image, 'pull', options, (client, digest) =>
    client.manifestExists(digest),
  );
}

/**
 * Deletes the manifest `image` (`host/name@sha256:…`) names; false when it was not there (see
 * {@link RegistryClient.deleteManifest}).
 */
export function deleteImage(
  image: string,
  options: Omit<SessionOptions, 'repository'> = {},
): Promise<boolean> {
  return withDigestClient(image, 'delete', options, (client, digest) =>
    client.deleteManifest(digest),
  );
}

async function withDigestClient<T>(
  image: string,
  actions: string,
  options: Omit<SessionOptions, 'repository'>,
  use: (client: RegistryClient, digest: string) => Promise<T>,
): Promise<T> {
  const { repository, reference } = parseReference(image);
  if (!isDigest(reference))
    throw new Error(`"${image}" does not name a digest (host/name@sha256:…)`);
  const client = new RegistryClient({ actions, ...options, repository });
  try {
    return await use(client, reference);
  } finally {
    client.close();
  }
}
