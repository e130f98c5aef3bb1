/**
 * Installs the continuum CRDs (crds/*.yaml) into a cluster for tests: server-side apply with
 * force, then waits until every CRD is Established. Idempotent and safe to call from several test
 * files at once (same field manager, forced); each process installs once per kubeconfig.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectl } from './kubectl.ts';

const CRDS_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));
const installed = new Map<string, Promise<void>>();

export function installCrds(kubeconfig: string): Promise<void> {
  let done = installed.get(kubeconfig);
  if (!done) {
    done = install(kubeconfig);
    installed.set(kubeconfig, done);
    done.catch(() => installed.delete(kubeconfig));
  }
  return done;
}

async function install(kubeconfig: string): Promise<void> {
  const apply = await kubectl(
    [
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=continuum-tests',
      '-f',
      CRDS_DIR,
    ],
    { kubeconfig },
  );
  if (apply.code !== 0)
    throw new Error(`cannot install the CRDs from ${CRDS_DIR}: ${apply.stderr}`);
  const wait = await kubectl(
    ['wait', '--for=condition=Established', '--timeout=60s', '-f', join(CRDS_DIR)],
    { kubeconfig },
  );
  if (wait.code !== 0) throw new Error(`the CRDs did not become Established: ${wait.stderr}`);
}
