/**
 * `continuum fetch-checkpoint`: the init container of a pod restored through the runc wrapper.
 * It pulls each checkpoint image by digest, with the pod's pull Secret (mounted) and the
 * registry settings the operator passes, into the pod's checkpoint volume as an OCI layout per
 * container (`<dir>/<container>/blobs/sha256/…`) — where the wrapper verifies it again, from the
 * digest its signed ticket names, before it restores. Every blob is checked against its digest
 * here too, so a bad pull fails this init container (the pod's events say why) rather than the
 * restore.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { credentialsFromDockerConfig } from '../registry/auth.ts';
import { RegistryClient } from '../registry/client.ts';
import { isDigest, parseReference } from '../registry/reference.ts';

const help = `Usage: continuum fetch-checkpoint --image HOST/PATH@sha256:… --container NAME --dir DIR [flags]

Pulls a checkpoint image by digest into DIR/NAME as an OCI image layout, verifying every blob.

Flags (environment variable in brackets):
  --image REF           the checkpoint image, by digest
  --container NAME      the container it restores (repeat --image and --container in pairs)
  --dir DIR             the pod's checkpoint volume
  --docker-config FILE  dockerconfigjson with the registry credentials [CONTINUUM_DOCKER_CONFIG]
  --plain-http          the registry speaks plain HTTP [CONTINUUM_PLAIN_HTTP=true]
                        (a CA bundle for its TLS certificate: CONTINUUM_CA_PEM)
  -h, --help            this help

Exit codes: 0 fetched, 1 the registry failed or served other bytes, 2 bad flags.`;

/** Bytes per Range request: well under the transport's response limit. */
const pieceBytes = 4 * 1024 * 1024;
/**
 * Range requests in flight at once: one at a time spent most of its time waiting for the next
 * answer (1 GiB in 8 s from the test environment's registry).
 */
const piecesInFlight = 4;

interface Descriptor {
  digest: string;
  size: number;
}

async function fetchImage(client: RegistryClient, digest: string, layout: string): Promise<void> {
  const blobs = join(layout, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = (d: string, data: Buffer) => writeFile(join(blobs, d.slice('sha256:'.length)), data);
  const top = await client.getManifest(digest);
  await put(digest, top);
  let manifest = JSON.parse(top.toString('utf8')) as {
    manifests?: Descriptor[];
    config?: Descriptor;
    layers?: Descriptor[];
  };
  if (manifest.manifests?.[0]) {
    const inner = manifest.manifests[0].digest;
    const body = await client.getManifest(inner);
    await put(inner, body);
    manifest = JSON.parse(body.toString('utf8')) as typeof manifest;
  }
  for (const blob of [manifest.config, ...(manifest.layers ?? [])]) {
    if (!blob || !isDigest(blob.digest) || !Number.isSafeInteger(blob.size) || blob.size < 0)
      throw new Error(`the image ${digest} names a blob without a digest or size`);
    await fetchBlob(client, blob, blobs);
  }
  await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
}

async function fetchBlob(client: RegistryClient, blob: Descriptor, blobs: string): Promise<void> {
  const partial = join(blobs, `.partial-${blob.digest.slice(7, 19)}`);
  const hash = createHash('sha256');
  const file = await open(partial, 'w');
  const inFlight: Array<Promise<Buffer>> = [];
  let next = 0;
  const request = () => {
    if (next >= blob.size) return;
    const piece = client.readBlob(blob.digest, next, Math.min(blob.size, next + pieceBytes));
    piece.catch(() => undefined); // awaited in order below; not unhandled if an earlier one fails
    inFlight.push(piece);
    next += pieceBytes;
  };
  try {
    for (let i = 0; i < piecesInFlight; i++) request();
    // written and hashed in order, each piece as soon as those before it are
    while (inFlight.length) {
      const piece = await inFlight.shift()!;
      request();
      hash.update(piece);
      await file.write(piece);
    }
  } finally {
    await file.close();
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== blob.digest) {
    await rm(partial, { force: true });
    throw new Error(`blob ${blob.digest} came back as ${got}`);
  }
  await rename(partial, join(blobs, blob.digest.slice(7)));
}

export const command: Command = {
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          image: { type: 'string', multiple: true },
          container: { type: 'string', multiple: true },
          dir: { type: 'string' },
          'docker-config': { type: 'string' },
          'plain-http': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (err) {
      console.error(`continuum fetch-checkpoint: ${(err as Error).message}\n\n${help}`);
      return 2;
    }
    if (values.help) {
      console.log(help);
      return 0;
    }
    const images = values.image ?? [];
    const containers = values.container ?? [];
    let refs;
    try {
      refs = images.map((image) => parseReference(image));
    } catch (err) {
      console.error(`continuum fetch-checkpoint: ${(err as Error).message}`);
      return 2;
    }
    if (
      !values.dir ||
      !images.length ||
      images.length !== containers.length ||
      refs.some((r) => !isDigest(r.reference))
    ) {
      console.error(
        `continuum fetch-checkpoint: --dir and pairs of --image (by digest) and --container are required\n\n${help}`,
      );
      return 2;
    }
    const dockerConfig = values['docker-config'] ?? process.env.CONTINUUM_DOCKER_CONFIG;
    const plainHttp = values['plain-http'] ?? process.env.CONTINUUM_PLAIN_HTTP === 'true';
    const ca = process.env.CONTINUUM_CA_PEM || undefined;
    for (const [i, { repository, reference }] of refs.entries()) {
      const started = Date.now();
      const client = new RegistryClient({
        repository,
        actions: 'pull',
        ...(plainHttp ? { plainHttp } : {}),
        ...(ca ? { ca } : {}),
        ...(dockerConfig
          ? { credentials: await credentialsFromDockerConfig(dockerConfig, repository.registry) }
          : {}),
      });
      try {
        await fetchImage(client, reference, join(values.dir, containers[i]!));
      } catch (err) {
        console.error(`continuum fetch-checkpoint: ${images[i]}: ${(err as Error).message}`);
        return 1;
      } finally {
        client.close();
      }
      console.log(`fetched ${images[i]} for ${containers[i]} in ${Date.now() - started} ms`);
    }
    return 0;
  },
};
