/**
 * The scheme of a loopback registry: the TLS probe against the environment's plain-HTTP and TLS
 * registries (docker-registry), and a port where nothing listens.
 */
import test from 'ava';
import { createServer } from 'node:net';
import { speaksTls } from '../../reconcilers/registry/http.ts';
import { testEnv } from '../env/info.ts';

test('speaksTls tells the TLS registry from the plain-HTTP one', async (t) => {
  const { registry, tlsRegistry } = testEnv();
  t.false(await speaksTls(new URL(registry.url), 5000));
  t.true(await speaksTls(new URL(tlsRegistry.url), 5000));
});

test('speaksTls rejects when nothing listens', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  await t.throwsAsync(speaksTls(new URL(`https://127.0.0.1:${port}/`), 5000), {
    code: 'ECONNREFUSED',
  });
});

test('speaksTls gives up on a server that never answers', async (t) => {
  const server = createServer(() => {}); // accepts, then says nothing
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  await t.throwsAsync(speaksTls(new URL(`https://127.0.0.1:${port}/`), 300), {
    code: 'ETIMEDOUT',
  });
});
