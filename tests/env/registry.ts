/**
 * docker-registry (the CNCF distribution registry, from Debian) with htpasswd authentication,
 * over plain HTTP or over TLS with the environment's CA.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RegistryInfo } from './info.ts';
import { freePort, startService, waitUntil, type Service } from './process.ts';

export async function startRegistry(opts: {
  name: string;
  workDir: string;
  username: string;
  password: string;
  tls?: { cert: string; key: string; caFile: string };
  /** Where it listens (default 127.0.0.1). */
  address?: string;
  /** false: manifest DELETEs are refused (405), as in the registry's default configuration. */
  deletes?: boolean;
}): Promise<{ info: RegistryInfo; service: Service }> {
  const dir = join(opts.workDir, opts.name);
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const htpasswd = join(dir, 'htpasswd');
  writeFileSync(htpasswd, execFileSync('htpasswd', ['-Bbn', opts.username, opts.password]));
  const port = await freePort();
  const host = `${opts.address ?? '127.0.0.1'}:${port}`;
  const config = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'storage') },
      delete: { enabled: opts.deletes ?? true },
    },
    http: {
      addr: host,
      ...(opts.tls ? { tls: { certificate: opts.tls.cert, key: opts.tls.key } } : {}),
    },
    auth: { htpasswd: { realm: 'continuum-test', path: htpasswd } },
  };
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, stringify(config));
  const service = startService(opts.name, 'docker-registry', ['serve', configFile], {
    logDir: opts.workDir,
    env: { REGISTRY_HTTP_SECRET: 'continuum-test' },
  });
  const url = `${opts.tls ? 'https' : 'http'}://${host}`;
  // Ready when the API root answers 401: authentication is required.
  await waitUntil(
    service,
    `${opts.name} to answer /v2/`,
    async () => (await statusOf(`${url}/v2/`, opts.tls?.caFile)) === 401,
  );
  const dockerConfig = join(dir, 'dockerconfig.json');
  const auth = Buffer.from(`${opts.username}:${opts.password}`).toString('base64');
  writeFileSync(dockerConfig, JSON.stringify({ auths: { [host]: { auth } } }));
  return {
    info: { url, host, username: opts.username, password: opts.password, dockerConfig },
    service,
  };
}

/** Status code of a GET, trusting `caFile` for https. */
function statusOf(url: string, caFile: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const ca = caFile ? readFileSync(caFile) : undefined;
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs `fn` with a directory holding `caFile` as `ca.crt` (skopeo's --*-cert-dir); removes it after. */
export async function withCertDir<T>(caFile: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-certs-'));
  copyFileSync(caFile, join(dir, 'ca.crt'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Pushes tag `tag` of the OCI layout `layout` to `registry` as `<name>:<tag>` (skopeo, with the
 * registry's credentials and, over TLS, `caFile`); resolves to the image reference.
 */
export function pushLayout(
  registry: RegistryInfo,
  caFile: string,
  layout: string,
  name: string,
  tag: string,
): Promise<string> {
  const reference = `${registry.host}/${name}:${tag}`;
  return withCertDir(caFile, (certDir) =>
    promisify(execFile)('skopeo', [
      'copy',
      '--quiet',
      `--dest-creds=${registry.username}:${registry.password}`,
      `--dest-cert-dir=${certDir}`,
      `oci:${layout}:${tag}`,
      `docker://${reference}`,
    ]).then(
      () => reference,
      (err: Error & { stderr?: string }) => {
        throw new Error(
          `cannot push ${layout}:${tag} to ${reference}: ${err.stderr?.trim() ?? err.message}`,
        );
      },
    ),
  );
}
