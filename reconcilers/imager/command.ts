/**
 * `continuum imager`: checkpoint archive → OCI image → registry (or an OCI layout directory).
 * Runs as a Job on the node that holds the archive; reports the digest through stdout and
 * the termination message, and distinguishes failures by exit code (see options.ts).
 */
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import type { Command } from '../command.ts';
import { credentialsFromDockerConfig, type Credentials } from '../registry/auth.ts';
import { RegistryClient } from '../registry/client.ts';
import { RegistryError } from '../registry/errors.ts';
import { formatReference } from '../registry/reference.ts';
import { checkpointAnnotations, checkpointedAt, ociArch } from './annotations.ts';
import { ArchiveError, scanCheckpointArchive } from './archive.ts';
import { archiveLayer, type LayerSource } from './layer.ts';
import {
  fileIdentity,
  forgetLayer,
  recalledLayer,
  recordLayer,
  type FileIdentity,
} from './layer-record.ts';
import { writeOciLayout } from './oci-layout.ts';
import { exitCodes, help, parseImagerOptions, type ImagerOptions } from './options.ts';
import { pushCheckpointImage, type LayerMemo } from './push.ts';

/** An input problem detected before anything was pushed (exit code 2). */
class InputError extends Error {}

function log(message: string): void {
  process.stderr.write(`imager: ${message}\n`);
}

async function readInputs(o: ImagerOptions): Promise<{ credentials?: Credentials; ca?: string }> {
  try {
    const credentials =
      o.dockerConfig && o.repository
        ? await credentialsFromDockerConfig(o.dockerConfig, o.repository.registry)
        : undefined;
    if (o.dockerConfig && o.repository && !credentials)
      log(
        `warning: ${o.dockerConfig} has no credentials for ${o.repository.registry}; pushing anonymously`,
      );
    const ca = o.caFile ? await readFile(o.caFile, 'utf8') : o.caPem;
    return { ...(credentials ? { credentials } : {}), ...(ca ? { ca } : {}) };
  } catch (err) {
    throw new InputError((err as Error).message);
  }
}

async function image(o: ImagerOptions): Promise<string> {
  const { credentials, ca } = await readInputs(o);
  const client =
    o.repository &&
    new RegistryClient({
      repository: o.repository,
      ...(credentials ? { credentials } : {}),
      ...(ca ? { ca } : {}),
      plainHttp: o.plainHttp,
      retry: { attempts: o.retries },
    });
  try {
    // The registry's scheme and challenge are settled while the archive is checked.
    const prepared = client?.prepare();
    const archive = await scanCheckpointArchive(o.archive);
    const arch = ociArch(process.arch);
    const created = checkpointedAt(archive.metadata);
    const common = {
      container: o.container,
      arch,
      ...(created ? { created } : {}),
      checkpointAnnotations: checkpointAnnotations(o.container, archive.metadata, {
        arch,
        kernel: release(),
      }),
    };
    const layer = archiveLayer(o.archive, archive.sizeBytes, o.compress);
    const started = Date.now();
    const compression = o.compress ? 'gzip' : 'uncompressed';
    const what = `${o.archive} (${archive.sizeBytes} bytes, ${archive.entries} entries, ${compression})`;
    if (!client) {
      log(`writing ${what} to OCI layout ${o.ociLayout}:${o.tag}`);
      const docs = await writeOciLayout(o.ociLayout!, o.tag, layer, common);
      return docs.index.descriptor.digest;
    }
    const repository = o.repository!;
    const readFrom = await fileIdentity(o.archive); // before the upload reads it
    log(`pushing ${what} to ${formatReference(repository, o.tag)}`);
    await prepared;
    const docs = await pushCheckpointImage({
      ...common,
      client,
      tag: o.tag,
      layer,
      chunkSize: o.chunkSize,
      log,
      memo: layerMemo(o.archive, readFrom, `${repository.registry}/${repository.name}`, layer),
    });
    const seconds = (Date.now() - started) / 1000;
    const digest = docs.index.descriptor.digest;
    log(
      `pushed and verified ${formatReference(repository, digest)} in ${seconds.toFixed(1)} s (${(archive.sizeBytes / 2 ** 20 / seconds).toFixed(0)} MiB/s)`,
    );
    return digest;
  } finally {
    client?.close();
  }
}

/** The layer record next to the archive (layer-record.ts), for pushes to `repository`. */
function layerMemo(
  archive: string,
  readFrom: FileIdentity,
  repository: string,
  layer: LayerSource,
): LayerMemo {
  return {
    recall: () => recalledLayer(archive, repository, layer.mediaType),
    remember: async (uploaded) => {
      const why = await recordLayer(archive, readFrom, repository, uploaded).catch(
        (err: Error) => err.message,
      );
      if (why) log(`the layer is not recorded next to the archive: ${why}`);
    },
  };
}

function exitCodeOf(err: unknown): number {
  if (err instanceof InputError || err instanceof ArchiveError) return exitCodes.badInput;
  if (err instanceof RegistryError) {
    return {
      auth: exitCodes.auth,
      transient: exitCodes.transient,
      rejected: exitCodes.rejected,
      digestMismatch: exitCodes.rejected,
    }[err.kind];
  }
  return exitCodes.internal;
}

/** Writes the termination message; the default path only when it exists (i.e. in a pod). */
async function writeTerminationMessage(
  o: Pick<ImagerOptions, 'terminationMessagePath' | 'terminationMessageExplicit'>,
  message: string,
): Promise<void> {
  try {
    if (!o.terminationMessageExplicit) await access(o.terminationMessagePath);
  } catch {
    return;
  }
  try {
    await writeFile(o.terminationMessagePath, message);
  } catch (err) {
    log(
      `warning: cannot write the termination message to ${o.terminationMessagePath}: ${(err as Error).message}`,
    );
  }
}

export const command: Command = {
  async run(argv) {
    let options: ImagerOptions | 'help';
    try {
      options = parseImagerOptions(argv, process.env);
    } catch (err) {
      process.stderr.write(
        `continuum imager: ${(err as Error).message}\n\nRun "continuum imager --help" for the flags.\n`,
      );
      return exitCodes.badInput;
    }
    if (options === 'help') {
      console.log(help);
      return exitCodes.ok;
    }
    let digest: string;
    try {
      digest = await image(options);
    } catch (err) {
      const code = exitCodeOf(err);
      const message = `cannot image checkpoint archive "${options.archive}" of container "${options.container}": ${(err as Error).message}`;
      log(code === exitCodes.internal ? `${message}\n${(err as Error).stack ?? ''}` : message);
      await writeTerminationMessage(options, message);
      return code;
    }
    await writeTerminationMessage(options, digest);
    if (!options.keepArchive) {
      // The image is safe in the registry: a failed deletion is worth a warning, not a failure.
      await rm(options.archive, { force: true }).then(
        async () => {
          log(`deleted ${options.archive}`);
          await forgetLayer(options.archive);
        },
        (err: Error) => log(`warning: cannot delete ${options.archive}: ${err.message}`),
      );
    }
    console.log(digest);
    return exitCodes.ok;
  },
};
