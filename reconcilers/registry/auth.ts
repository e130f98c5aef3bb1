/**
 * Registry credentials: reading a dockerconfigjson file (what a mounted
 * `kubernetes.io/dockerconfigjson` Secret provides) and parsing `WWW-Authenticate` challenges.
 */
import { readFile } from 'node:fs/promises';

export interface Credentials {
  username: string;
  password: string;
}

/** `auths` of a docker config: keys are registries, possibly written as URLs. */
interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
}

/** Docker Hub is written `docker.io` in image references and `index.docker.io` in configs. */
const aliases: Record<string, string> = {
  'index.docker.io': 'docker.io',
  'registry-1.docker.io': 'docker.io',
};

/** Normalises a docker config key (`https://host:5000/v1/`, `host:5000`) to `host:5000`. */
function registryKey(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase(); // host names are case-insensitive
  return aliases[host] ?? host;
}

/**
 * The credentials for `registry` in the JSON of a docker config (the `.dockerconfigjson` of a
 * Secret); undefined when it has none for it. Throws a readable Error when it is malformed.
 */
export function credentialsFromDockerConfigJson(
  json: string,
  registry: string,
): Credentials | undefined {
  let config: DockerConfig;
  try {
    config = JSON.parse(json) as DockerConfig;
  } catch {
    // JSON.parse quotes the text around the error: it would put a password in the logs
    throw new Error('not JSON');
  }
  if (typeof config !== 'object' || config === null || typeof config.auths !== 'object') {
    throw new Error('no "auths" object');
  }
  const wanted = registryKey(registry);
  const entry = Object.entries(config.auths ?? {}).find(
    ([key]) => registryKey(key) === wanted,
  )?.[1];
  if (!entry) return undefined;
  if (entry.username !== undefined && entry.password !== undefined) {
    return { username: entry.username, password: entry.password };
  }
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  throw new Error(`the entry for "${registry}" has no username and password`);
}

/** {@link credentialsFromDockerConfigJson} of a file (a mounted Secret). */
export async function credentialsFromDockerConfig(
  file: string,
  registry: string,
): Promise<Credentials | undefined> {
  try {
    return credentialsFromDockerConfigJson(await readFile(file, 'utf8'), registry);
  } catch (err) {
    throw new Error(`cannot read docker config "${file}": ${(err as Error).message}`);
  }
}

export interface Challenge {
  scheme: 'basic' | 'bearer';
  /** Lower-cased parameter names: realm, service, scope, error… */
  params: Record<string, string>;
}

/** Parses a `WWW-Authenticate` header (`Bearer realm="…",service="…",scope="…"`). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  const match = header ? /^\s*(basic|bearer)\b(.*)$/i.exec(header) : null;
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const paramPattern = /([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const m of (match[2] ?? '').matchAll(paramPattern)) {
    params[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: match[1]!.toLowerCase() as Challenge['scheme'], params };
}

export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
