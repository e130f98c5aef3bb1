/**
 * Repository and image references as the OCI distribution API sees them:
 * `host[:port]/path/name`, plus `:tag` or `@sha256:…`.
 */

export interface Repository {
  /** `host[:port]`, as written (also the key looked up in a docker config). */
  registry: string;
  /** Repository path inside the registry, e.g. `continuum/checkpoints`. */
  name: string;
}

const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const namePattern = new RegExp(`^${component}(?:/${component})*$`);
const hostPattern = /^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** Parses `host[:port]/name`; the registry host is mandatory. Throws a readable Error. */
export function parseRepository(text: string): Repository {
  const slash = text.indexOf('/');
  const registry = slash > 0 ? text.slice(0, slash) : '';
  const name = slash > 0 ? text.slice(slash + 1) : '';
  if (
    !registry ||
    !hostPattern.test(registry) ||
    !(registry.includes('.') || registry.includes(':') || registry === 'localhost')
  ) {
    throw new Error(
      `invalid repository "${text}": expected host[:port]/path, e.g. registry.example.com/checkpoints`,
    );
  }
  if (!namePattern.test(name)) {
    throw new Error(
      `invalid repository "${text}": "${name}" is not a valid repository path (lowercase letters, digits, separators)`,
    );
  }
  return { registry, name };
}

export function isValidTag(tag: string): boolean {
  return tagPattern.test(tag);
}

export function isDigest(text: string): boolean {
  return digestPattern.test(text);
}

/** `host/name:tag` or `host/name@digest`. */
export function formatReference(repo: Repository, reference: string): string {
  const sep = isDigest(reference) ? '@' : ':';
  return `${repo.registry}/${repo.name}${sep}${reference}`;
}

/** Parses `host/name:tag` or `host/name@sha256:…` into repository and reference. */
export function parseReference(text: string): { repository: Repository; reference: string } {
  const at = text.indexOf('@');
  if (at > 0) {
    const reference = text.slice(at + 1);
    if (!isDigest(reference)) throw new Error(`invalid digest in "${text}"`);
    return { repository: parseRepository(text.slice(0, at)), reference };
  }
  const colon = text.lastIndexOf(':');
  if (colon > text.lastIndexOf('/')) {
    const reference = text.slice(colon + 1);
    if (!isValidTag(reference)) throw new Error(`invalid tag in "${text}"`);
    return { repository: parseRepository(text.slice(0, colon)), reference };
  }
  return { repository: parseRepository(text), reference: 'latest' };
}

/** True for registries on the loopback interface (127.0.0.0/8, ::1, localhost). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
