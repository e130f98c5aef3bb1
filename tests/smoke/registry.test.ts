/**
 * Proves the registry of the test environment is real: htpasswd authentication, and a blob
 * and a manifest pushed and pulled back through the OCI distribution API.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { testEnv } from '../env/info.ts';

const repository = 'smoke/registry';

function authHeader(): Record<string, string> {
  const { username, password } = testEnv().registry;
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

test('401 without credentials', async (t) => {
  const res = await fetch(`${testEnv().registry.url}/v2/`);
  t.is(res.status, 401);
  t.regex(res.headers.get('www-authenticate') ?? '', /^Basic realm=/);
});

const sha256 = (data: Buffer | string) =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** POST to open an upload, PUT the bytes to its Location; resolves to the final status. */
async function pushBlob(base: string, blob: Buffer): Promise<number> {
  const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers: authHeader() });
  if (start.status !== 202) return start.status;
  const location = new URL(start.headers.get('location')!, testEnv().registry.url);
  location.searchParams.set('digest', sha256(blob));
  const put = await fetch(location, {
    method: 'PUT',
    headers: { ...authHeader(), 'content-type': 'application/octet-stream' },
    body: blob,
  });
  return put.status;
}

test('push then pull a blob and a manifest with credentials', async (t) => {
  const base = `${testEnv().registry.url}/v2/${repository}`;
  const blob = Buffer.from('continuum smoke layer');
  const digest = sha256(blob);
  t.is(await pushBlob(base, blob), 201);
  const config = Buffer.from('{}');
  const configDigest = sha256(config);
  t.is(await pushBlob(base, config), 201);

  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: configDigest,
      size: config.length,
    },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: blob.length }],
  });
  const pushed = await fetch(`${base}/manifests/v1`, {
    method: 'PUT',
    headers: { ...authHeader(), 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  t.is(pushed.status, 201);

  const pulledBlob = await fetch(`${base}/blobs/${digest}`, { headers: authHeader() });
  t.deepEqual(Buffer.from(await pulledBlob.arrayBuffer()), blob);
  const pulledManifest = await fetch(`${base}/manifests/v1`, {
    headers: { ...authHeader(), accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  t.is(await pulledManifest.text(), manifest);
  t.is(pulledManifest.headers.get('docker-content-digest'), sha256(manifest));
});
