/**
 * The product image for the real nodes: built from this checkout by scripts/build-image.sh (umoci,
 * no Docker engine) and pushed to the environment's TLS registry, where the imaging Jobs of the
 * real nodes pull it with a pull Secret.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RegistryInfo } from './info.ts';
import { pushLayout } from './registry.ts';

const BUILD = fileURLToPath(new URL('../../scripts/build-image.sh', import.meta.url));

/** Builds the image into `<workDir>/product-image` and pushes it; resolves to its reference. */
export async function buildProductImage(
  workDir: string,
  registry: RegistryInfo,
  caFile: string,
): Promise<string> {
  const layout = join(workDir, 'product-image');
  await promisify(execFile)('bash', [BUILD, layout, 'test'], { maxBuffer: 16 << 20 }).catch(
    (err: Error & { stderr?: string }) => {
      throw new Error(`cannot build the product image: ${err.stderr?.trim() || err.message}`);
    },
  );
  return pushLayout(registry, caFile, layout, 'continuum', 'test');
}
