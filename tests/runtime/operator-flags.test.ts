/** `continuum operator` flags over environment defaults (pure). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { parseOperatorFlags } from '../../reconcilers/operator/command.ts';

test('defaults: in-cluster, continuum-system, :8080, leader election on', (t) => {
  const { config, graceMs, help } = parseOperatorFlags([], { HOSTNAME: 'x' });
  t.false(help);
  t.is(config.kubeconfig, undefined);
  t.is(config.namespace, 'continuum-system');
  t.is(config.listen, ':8080');
  t.true(config.leaderElect);
  t.false(config.kubeletViaProxy);
  t.is(graceMs, 10_000);
  t.regex(config.identity, /.+-\d+$/);
});

test('environment variables fill what flags leave out; flags win', (t) => {
  const env = {
    CONTINUUM_KUBECONFIG: '/env/kubeconfig',
    POD_NAMESPACE: 'ops',
    POD_NAME: 'continuum-0',
    CONTINUUM_NATS_URL: 'nats://127.0.0.1:4222',
    CONTINUUM_REGISTRY_REPOSITORY: 'registry:5000/ckpt',
    CONTINUUM_KUBELET_CA: '/env/ca.crt',
    CONTINUUM_LEADER_ELECT: 'false',
  };
  const { config } = parseOperatorFlags(
    ['--namespace', 'flag-ns', '--kubelet-via-proxy', '--leader-elect=true', '--grace-period=3'],
    env,
  );
  t.like(config, {
    kubeconfig: '/env/kubeconfig',
    namespace: 'flag-ns',
    identity: 'continuum-0',
    natsUrl: 'nats://127.0.0.1:4222',
    registryRepository: 'registry:5000/ckpt',
    kubeletCA: '/env/ca.crt',
    kubeletViaProxy: true,
    leaderElect: true,
  });
  t.is(parseOperatorFlags([], env).config.leaderElect, false);
  t.is(parseOperatorFlags(['--grace-period=3'], env).graceMs, 3000);
});

test('invalid flags are refused with a clear message', (t) => {
  t.throws(() => parseOperatorFlags(['--leader-elect=maybe'], {}), {
    message: /--leader-elect "maybe"/,
  });
  t.throws(() => parseOperatorFlags(['--grace-period=soon'], {}), {
    message: /--grace-period "soon"/,
  });
  t.throws(() => parseOperatorFlags(['--no-such-flag'], {}));
});

test('--registry-ca: read from the flag or CONTINUUM_REGISTRY_CA; a file without a certificate stops the start', async (t) => {
  t.is(
    parseOperatorFlags([], { CONTINUUM_REGISTRY_CA: '/env/reg.crt' }).config.registryCA,
    '/env/reg.crt',
  );
  t.is(
    parseOperatorFlags(['--registry-ca', '/flag/reg.crt'], {
      CONTINUUM_REGISTRY_CA: '/env/reg.crt',
    }).config.registryCA,
    '/flag/reg.crt',
  );
  const cli = fileURLToPath(new URL('../../bin/continuum.js', import.meta.url));
  const run = (ca: string) =>
    promisify(execFile)(process.execPath, [cli, 'operator', '--registry-ca', ca]).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
  const missing = await run('/nonexistent/ca.crt');
  t.is(missing.code, 2);
  t.regex(missing.stderr, /cannot read --registry-ca "\/nonexistent\/ca\.crt": ENOENT/);
  const notPem = await run(fileURLToPath(import.meta.url));
  t.is(notPem.code, 2);
  t.regex(notPem.stderr, /--registry-ca ".*operator-flags\.test\.ts" holds no PEM certificate/);
});
