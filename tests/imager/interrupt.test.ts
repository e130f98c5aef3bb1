/**
 * The registry connection breaking in the middle of an upload: a TCP proxy on loopback in
 * front of the real registry cuts the connection once, after some megabytes. The push asks
 * the registry how much it holds and succeeds. docker-registry drops a session whose size no
 * longer matches its `_state` offset (a PATCH broke mid-way), so here the layer restarts from
 * byte 0; the resume from an offset, where the session lives, is in bearer.test.ts.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { testEnv } from '../env/info.ts';
import { archiveIn, runImager, scratchDir, skopeoRaw } from './helpers.ts';

/** Forwards to `target`; cuts the first connection that sends more than `dropAfterBytes`. */
async function flakyProxy(
  target: string,
  dropAfterBytes: number,
): Promise<{ server: Server; host: string; drops: () => number }> {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(targetPort), targetHost);
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (dropped === 0 && sent > dropAfterBytes) {
        dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  return { server, host: `127.0.0.1:${port}`, drops: () => dropped };
}

for (const chunkSize of [0, 4 * 1024 * 1024]) {
  test(`an upload cut mid-way is resumed or restarted and succeeds (${chunkSize ? 'chunked' : 'one stream'})`, async (t) => {
    t.timeout(120_000);
    const { registry } = testEnv();
    const dir = scratchDir(t);
    const archive = await archiveIn(dir, { sizeBytes: 16 * 1024 * 1024 });
    const archiveDigest = `sha256:${createHash('sha256').update(readFileSync(archive)).digest('hex')}`;
    const proxy = await flakyProxy(registry.host, 6 * 1024 * 1024);
    t.teardown(() => new Promise<void>((resolve) => proxy.server.close(() => resolve())));
    const dockerConfig = join(dir, 'config.json');
    writeFileSync(
      dockerConfig,
      JSON.stringify({
        auths: { [proxy.host]: { username: registry.username, password: registry.password } },
      }),
    );
    const name = `imager-test/interrupted-${Math.random().toString(36).slice(2, 8)}`;

    const run = await runImager([
      '--archive',
      archive,
      '--container',
      'app',
      '--repository',
      `${proxy.host}/${name}`,
      '--tag',
      't',
      '--docker-config',
      dockerConfig,
      '--chunk-size',
      String(chunkSize),
      '--keep-archive',
    ]);

    t.is(run.code, 0, run.stderr);
    t.is(proxy.drops(), 1, 'the proxy did cut the upload');
    t.log(
      run.stderr
        .split('\n')
        .filter((l) => /interrupted/.test(l))
        .join(' / '),
    );
    t.regex(
      run.stderr,
      /upload interrupted .*; continuing from byte 0\n/,
      'the session was dropped',
    );
    const index = (await skopeoRaw(registry, `${registry.host}/${name}:t`)) as {
      manifests: { digest: string }[];
    };
    t.is(`${index.manifests.length}`, '1');
    const manifest = (await skopeoRaw(
      registry,
      `${registry.host}/${name}@${index.manifests[0]!.digest}`,
    )) as { layers: { digest: string }[] };
    t.is(manifest.layers[0]!.digest, archiveDigest);
  });
}
