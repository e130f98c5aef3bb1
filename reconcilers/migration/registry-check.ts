/**
 * The {@link ImageRegistry} the operator uses before it lets a source pod go: one HEAD of the
 * manifest by digest through the registry client, with the credentials of the Migration's
 * pull (else push) Secret. No retries inside: the reconciler retries the whole pass.
 */
import { imageExists } from '../registry/client.ts';
import type { ImageRegistry } from './observe.ts';

export interface RegistryCheckOptions {
  /** PEM CA bundle for registries served over TLS with a private CA. */
  ca?: string;
  /** Plain HTTP (a registry inside the cluster without TLS). */
  plainHttp?: boolean;
}

export function registryCheck(opts: RegistryCheckOptions): ImageRegistry {
  return {
    async hasManifest(ref, credentials) {
      return imageExists(ref, {
        ...(credentials ? { credentials } : {}),
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.plainHttp ? { plainHttp: true } : {}),
        retry: { attempts: 1 },
      });
    },
  };
}
