/**
 * Installs the continuum CRDs (crds/*.yaml) into a cluster for tests: server-side apply with
 * force, then waits until every CRD is Established. Idempotent and safe to call from several test
 * files at once (same field manager, forced); each process installs once per kubeconfig.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FORCED_APPLY, kubectl, oncePerKubeconfig } from './kubectl.ts';

const CRDS_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));

export const installCrds = oncePerKubeconfig(install);

async function install(kubeconfig: string): Promise<void> {
  const apply = await kubectl([...FORCED_APPLY, '-f', CRDS_DIR], { kubeconfig });
  if (apply.code !== 0)
    throw new Error(`cannot install the CRDs from ${CRDS_DIR}: ${apply.stderr}`);
  const wait = await kubectl(
    ['wait', '--for=condition=Established', '--timeout=60s', '-f', join(CRDS_DIR)],
    { kubeconfig },
  );
  if (wait.code !== 0) throw new Error(`the CRDs did not become Established: ${wait.stderr}`);
}
