/**
 * The {@link ImageRegistry} the operator uses before it lets a source pod go: one HEAD of the
 * manifest by digest through the registry client, with the operator's own credentials (a
 * docker config file) and CA bundle. No retries inside: the reconciler retries the whole pass.
 */
import { readFile } from 'node:fs/promises';
import { credentialsFromDockerConfig } from '../registry/auth.ts';
import { imageExists } from '../registry/client.ts';
import { parseReference } from '../registry/reference.ts';
import type { ImageRegistry } from './observe.ts';

export interface RegistryCheckOptions {
  /** dockerconfigjson file with pull credentials for the checkpoint repositories. */
  dockerConfig?: string;
  /** PEM CA bundle for registries served over TLS with a private CA. */
  caFile?: string;
}

export function registryCheck(opts: RegistryCheckOptions): ImageRegistry {
  return {
    async hasManifest(ref) {
      const { repository } = parseReference(ref);
      const credentials = opts.dockerConfig
        ? await credentialsFromDockerConfig(opts.dockerConfig, repository.registry)
        : undefined;
      const ca = opts.caFile ? await readFile(opts.caFile, 'utf8') : undefined;
      return imageExists(ref, {
        ...(credentials ? { credentials } : {}),
        ...(ca ? { ca } : {}),
        retry: { attempts: 1 },
      });
    },
  };
}
