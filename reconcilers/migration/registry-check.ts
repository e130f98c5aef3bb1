/**
 * The {@link ImageRegistry} the operator uses: before it lets a source pod go, one HEAD of the
 * manifest by digest through the registry client; once a Migration is done with its images,
 * one DELETE each. No retries inside: the reconciler retries the whole pass.
 */
import { deleteImage, imageExists } from '../registry/client.ts';
import type { Credentials } from '../registry/auth.ts';
import type { ImageRegistry } from './observe.ts';

export interface RegistryCheckOptions {
  /** PEM CA bundle for registries served over TLS with a private CA. */
  ca?: string;
  /** Plain HTTP (a registry inside the cluster without TLS). */
  plainHttp?: boolean;
}

export function registryCheck(opts: RegistryCheckOptions): ImageRegistry {
  const options = (credentials?: Credentials) => ({
    ...(credentials ? { credentials } : {}),
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.plainHttp ? { plainHttp: true } : {}),
    retry: { attempts: 1 },
  });
  return {
    hasManifest: (ref, credentials) => imageExists(ref, options(credentials)),
    deleteManifest: (ref, credentials) => deleteImage(ref, options(credentials)),
  };
}
