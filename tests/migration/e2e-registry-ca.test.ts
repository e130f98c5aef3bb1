/**
 * A registry with a private CA, end to end: the operator started with --registry-ca checks
 * images with that CA and hands it to the imaging Job (CONTINUUM_CA_PEM), whose imager pushes
 * over TLS; Done. Without it, the Migration fails in Imaging naming the certificate, and the
 * source pod stays.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { imageExists } from '../../reconcilers/registry/client.ts';
import { testEnv } from '../env/info.ts';
import { harness, isPhase, type Harness } from './harness.ts';

const TLS_SECRET = 'registry-tls';
let h: Harness;

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-registry-ca');
  const dockerconfig = readFileSync(testEnv().tlsRegistry.dockerConfig).toString('base64');
  await h.core.createNamespacedSecret({
    namespace: h.namespace,
    body: {
      metadata: { name: TLS_SECRET },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': dockerconfig },
    },
  });
});

test.after.always(async () => {
  await h?.cleanup();
});

const image = () => ({
  repository: `${testEnv().tlsRegistry.host}/continuum/${h.namespace}`,
  pushSecretRef: { name: TLS_SECRET },
  pullSecretRef: { name: TLS_SECRET },
  retain: true, // read back after Done
});

test.serial(
  'without the CA the imager cannot push: Failed, the certificate named, source kept',
  async (t) => {
    t.timeout(180_000);
    const operator = h.startOperator();
    try {
      await h.createPod('untrusted', { node: 'edge-1' });
      await h.createMigration('untrusted', {
        podName: 'untrusted',
        restorePolicy: 'checkpoint',
        image: image(),
      });
      const m = await h.waitForMigration('untrusted', isPhase('Failed', 'Done'));
      t.is(m.status?.phase, 'Failed');
      t.is(m.status?.failureReason, 'ImagingFailed');
      t.regex(JSON.stringify(m.status?.conditions), /certificate/i);
      const source = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'untrusted' });
      t.falsy(source.metadata?.deletionTimestamp, 'the source pod is untouched');
    } finally {
      await operator.kill('SIGTERM');
    }
  },
);

test.serial(
  'with --registry-ca the imaging Job pushes over TLS and the operator verifies: Done',
  async (t) => {
    t.timeout(180_000);
    const env = testEnv();
    h.startOperator({ args: ['--registry-ca', env.caFile] });
    await h.createPod('trusted', { node: 'edge-2' });
    await h.createMigration('trusted', {
      podName: 'trusted',
      restorePolicy: 'checkpoint',
      image: image(),
    });
    const m = await h.waitForMigration('trusted', isPhase('Failed', 'Done'));
    t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
    t.true(m.status?.image?.startsWith(`${env.tlsRegistry.host}/`), m.status?.image);
    const credentials = { username: env.tlsRegistry.username, password: env.tlsRegistry.password };
    const ca = readFileSync(env.caFile, 'utf8');
    t.true(await imageExists(m.status!.image!, { credentials, ca }));
  },
);
