/**
 * The before/after hooks a test file on the real nodes starts with (ava runs each file in a
 * process of its own): a namespace with the real registry's pull Secret, or a Migration harness
 * with the operator of the real nodes. Nothing is set up when the run skipped the real nodes.
 */
import test from 'ava';
import { CoreV1Api } from '@kubernetes/client-node';
import { adminKubeConfig } from '../env/service-account.ts';
import { harness, type Harness } from '../migration/harness.ts';
import { createPullSecret, realNodeAvailable, startRealOperator } from './helpers.ts';

/** A namespace with the pull Secret for this file; returns the admin's CoreV1Api. */
export function realNamespace(namespace: string): CoreV1Api {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  test.before(async () => {
    if (!realNodeAvailable()) return;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await createPullSecret(core, namespace);
  });
  test.after.always(async () => {
    if (realNodeAvailable()) await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });
  return core;
}

/**
 * A harness in `namespace` whose operator is the real nodes' (startRealOperator, with `env`
 * added to its environment), handed to `use` once it is up (in the file's before hook).
 */
export function realHarness(
  namespace: string,
  use: (h: Harness) => void,
  env: NodeJS.ProcessEnv = {},
): void {
  let h: Harness | undefined;
  test.before(async (t) => {
    if (!realNodeAvailable()) return;
    t.timeout(120_000);
    h = await harness(namespace);
    await startRealOperator(h, { env });
    use(h);
  });
  test.after.always(async () => {
    await h?.cleanup();
  });
}
