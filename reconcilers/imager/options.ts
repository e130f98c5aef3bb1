/**
 * Flags of `continuum imager`, each also readable from a CONTINUUM_* environment variable
 * (a flag wins over its variable), and the help text that documents them.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { isValidTag, parseRepository, type Repository } from '../registry/reference.ts';

export const exitCodes = {
  ok: 0,
  internal: 1,
  badInput: 2,
  auth: 3,
  transient: 4,
  rejected: 5,
} as const;

export const help = `Usage: continuum imager --archive FILE --container NAME (--repository HOST/PATH | --oci-layout DIR) [flags]

Turns a container checkpoint archive (the tar the kubelet checkpoint API writes) into an OCI
image that CRI-O and containerd restore from, pushes it, verifies it by digest, prints the
digest of its index, writes it to the termination-message file, and deletes the archive.

Flags (environment variable in brackets):
  --archive FILE          checkpoint archive to image [CONTINUUM_ARCHIVE]
  --container NAME        name of the checkpointed container [CONTINUUM_CONTAINER]
  --repository HOST/PATH  repository to push to, e.g. registry.example.com/checkpoints [CONTINUUM_REPOSITORY]
  --tag TAG               tag of the image (default: from the archive file name) [CONTINUUM_TAG]
  --docker-config FILE    dockerconfigjson with the registry credentials (a mounted Secret) [CONTINUUM_DOCKER_CONFIG]
  --ca-file FILE          PEM CA bundle trusted for the registry, besides the system roots [CONTINUUM_CA_FILE]
                          (or the bundle itself in CONTINUUM_CA_PEM, as the operator's imaging Jobs pass it)
  --plain-http            use plain HTTP (default: HTTPS; a loopback registry without TLS gets HTTP, as with docker) [CONTINUUM_PLAIN_HTTP]
  --compress              gzip the layer while streaming it [CONTINUUM_COMPRESS=true]
  --no-compress           push the archive uncompressed (default: the checkpointed node is loaded; gzip costs it CPU) [CONTINUUM_COMPRESS=false]
  --chunk-size BYTES      upload in PATCH requests of this size (default 0: one streamed request) [CONTINUUM_CHUNK_SIZE]
  --retries N             attempts per registry request, with exponential backoff (default 5) [CONTINUUM_RETRIES]
  --oci-layout DIR        write an OCI image layout directory instead of pushing [CONTINUUM_OCI_LAYOUT]
  --keep-archive          do not delete the archive after success [CONTINUUM_KEEP_ARCHIVE]
  --termination-message-path FILE
                          where the digest (or the error) is written (default /dev/termination-log,
                          written only if it exists) [CONTINUUM_TERMINATION_MESSAGE_PATH]
  -h, --help              this help

Exit codes:
  0  pushed and verified (or layout written); the digest is on stdout
  1  internal error
  2  bad input: flags, archive missing or not a checkpoint tar, unreadable docker config or CA file
  3  authentication or authorisation failed (401/403): fix the credentials
  4  transient registry failure (5xx, 429, unreachable, timeouts) after retries: try again later
  5  the registry refused the image (404, 413, invalid manifest, digest mismatch, untrusted TLS)
The archive is deleted only on success.`;

export interface ImagerOptions {
  archive: string;
  container: string;
  repository?: Repository;
  tag: string;
  dockerConfig?: string;
  caFile?: string;
  /** The CA bundle itself (CONTINUUM_CA_PEM), when no file is named. */
  caPem?: string;
  plainHttp: boolean;
  compress: boolean;
  chunkSize: number;
  retries: number;
  ociLayout?: string;
  keepArchive: boolean;
  terminationMessagePath: string;
  /** True when the path was chosen explicitly (then the file is created if missing). */
  terminationMessageExplicit: boolean;
}

export const defaultTerminationMessagePath = '/dev/termination-log';

function envBool(name: string, env: NodeJS.ProcessEnv): boolean | undefined {
  const value = env[name]?.toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new Error(`${name}="${env[name]}" is not a boolean (true/false)`);
}

function nonNegativeInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) throw new Error(`${name} must be a non-negative integer, got "${text}"`);
  return Number(text);
}

/** A valid tag from an archive file name (`checkpoint-pod_ns-app-2024-…Z.tar`). */
export function tagFromArchive(path: string): string {
  const tag = basename(path)
    .replace(/\.tar$/, '')
    .replace(/[^\w.-]/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
  return tag || 'checkpoint';
}

/** Parses argv and the environment; throws an Error with a readable message on bad input. */
export function parseImagerOptions(argv: string[], env: NodeJS.ProcessEnv): ImagerOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      archive: { type: 'string' },
      container: { type: 'string' },
      repository: { type: 'string' },
      tag: { type: 'string' },
      'docker-config': { type: 'string' },
      'ca-file': { type: 'string' },
      'plain-http': { type: 'boolean' },
      compress: { type: 'boolean' },
      'no-compress': { type: 'boolean' },
      'chunk-size': { type: 'string' },
      retries: { type: 'string' },
      'oci-layout': { type: 'string' },
      'keep-archive': { type: 'boolean' },
      'termination-message-path': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const archive = values.archive ?? env.CONTINUUM_ARCHIVE;
  const container = values.container ?? env.CONTINUUM_CONTAINER;
  const repository = values.repository ?? env.CONTINUUM_REPOSITORY;
  const ociLayout = values['oci-layout'] ?? env.CONTINUUM_OCI_LAYOUT;
  if (!archive) throw new Error('--archive is required');
  if (!container) throw new Error('--container is required');
  if (!repository && !ociLayout) throw new Error('--repository (or --oci-layout) is required');
  if (repository && ociLayout) throw new Error('--repository and --oci-layout exclude each other');
  if (values.compress && values['no-compress'])
    throw new Error('--compress and --no-compress exclude each other');
  const tag = values.tag ?? env.CONTINUUM_TAG ?? tagFromArchive(archive);
  if (!isValidTag(tag)) throw new Error(`invalid tag "${tag}"`);
  const retries = nonNegativeInt('--retries', values.retries ?? env.CONTINUUM_RETRIES, 5);
  if (retries < 1) throw new Error('--retries must be at least 1');
  const explicitPath = values['termination-message-path'] ?? env.CONTINUUM_TERMINATION_MESSAGE_PATH;
  return {
    archive,
    container,
    ...(repository ? { repository: parseRepository(repository) } : {}),
    tag,
    dockerConfig: values['docker-config'] ?? env.CONTINUUM_DOCKER_CONFIG,
    caFile: values['ca-file'] ?? env.CONTINUUM_CA_FILE,
    caPem: env.CONTINUUM_CA_PEM || undefined,
    plainHttp: values['plain-http'] ?? envBool('CONTINUUM_PLAIN_HTTP', env) ?? false,
    compress: values.compress
      ? true
      : values['no-compress']
        ? false
        : (envBool('CONTINUUM_COMPRESS', env) ?? false),
    chunkSize: nonNegativeInt('--chunk-size', values['chunk-size'] ?? env.CONTINUUM_CHUNK_SIZE, 0),
    retries,
    ociLayout,
    keepArchive: values['keep-archive'] ?? envBool('CONTINUUM_KEEP_ARCHIVE', env) ?? false,
    terminationMessagePath: explicitPath ?? defaultTerminationMessagePath,
    terminationMessageExplicit: explicitPath !== undefined,
  };
}
