/**
 * Errors of the registry client, classified so that callers can decide without parsing
 * messages: retry later (`transient`), fix the credentials (`auth`), or give up (`rejected`).
 */

/**
 * - `auth`: 401 after authenticating, or 403 — wrong or missing credentials, or no permission.
 * - `transient`: 5xx, 429, connection refused/reset, timeouts — still failing after the retries.
 * - `rejected`: the registry refused the request for good: 404 (unknown repository, blob or
 *   manifest), 413 (too large), 400 (invalid manifest, digest mismatch), other 4xx.
 * - `digestMismatch`: the registry stored different bytes than the client sent.
 */
export type RegistryErrorKind = 'auth' | 'transient' | 'rejected' | 'digestMismatch';

export class RegistryError extends Error {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    /** HTTP status, when the registry answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** Network-level error codes worth retrying (the request may not have reached the registry). */
const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN', // DNS, temporary
  'ENOTFOUND', // DNS: a typo in the name, or a resolver that failed; retried, then reported
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
]);

/** True for errors a retry may cure: transient registry errors and network failures. */
export function isTransient(err: unknown): boolean {
  if (err instanceof RegistryError) return err.kind === 'transient';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && transientCodes.has(code);
}

/** Short text of the registry's JSON error body (`{"errors":[{code,message}]}`), if any. */
export function describeErrorBody(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {
      errors?: { code?: string; message?: string; detail?: unknown }[];
    };
    const parts = (parsed.errors ?? []).map((e) =>
      [e.code, e.message].filter((s) => typeof s === 'string' && s).join(': '),
    );
    if (parts.length) return parts.join('; ');
  } catch {
    // not JSON: fall through
  }
  return body.toString('utf8', 0, Math.min(body.length, 200)).trim();
}

/** Builds the error for an unexpected HTTP status of `what` (e.g. `PUT manifest "x:1"`). */
export function statusError(what: string, status: number, body: Buffer): RegistryError {
  const detail = describeErrorBody(body);
  const suffix = detail ? `: ${detail}` : '';
  if (status === 401) {
    return new RegistryError(
      'auth',
      `${what}: unauthorized (401), check the credentials${suffix}`,
      status,
    );
  }
  if (status === 403) {
    return new RegistryError('auth', `${what}: access denied (403)${suffix}`, status);
  }
  if (status === 404)
    return new RegistryError('rejected', `${what}: not found (404)${suffix}`, status);
  if (status === 413) {
    return new RegistryError(
      'rejected',
      `${what}: request too large for the registry or a proxy in front of it (413)${suffix}`,
      status,
    );
  }
  if (status === 429 || status >= 500) {
    return new RegistryError('transient', `${what}: registry error (${status})${suffix}`, status);
  }
  if (/DIGEST_INVALID/.test(detail)) {
    return new RegistryError(
      'digestMismatch',
      `${what}: digest mismatch (${status})${suffix}`,
      status,
    );
  }
  return new RegistryError('rejected', `${what}: unexpected status ${status}${suffix}`, status);
}

const tlsTrustCodes = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;
/** What OpenSSL says when a TLS handshake gets a plain-HTTP answer. */
const plainHttpAnswer = /wrong version number|http request|packet length too long/i;

/**
 * Turns network errors into RegistryErrors with context: connection failures become
 * `transient`; an untrusted TLS certificate, or a registry that answers TLS in plain HTTP,
 * becomes `rejected` with a hint.
 */
export function wrapNetworkError(err: unknown, what: string): unknown {
  if (err instanceof RegistryError) return err;
  const e = err as { code?: string; message?: string };
  if (isTransient(err)) return new RegistryError('transient', `${what}: ${e.message ?? e.code}`);
  if (
    (e.code === 'EPROTO' || e.code?.startsWith('ERR_SSL')) &&
    plainHttpAnswer.test(e.message ?? e.code)
  ) {
    return new RegistryError(
      'rejected',
      `${what}: the registry does not speak TLS (${e.message?.trim()}); if it serves plain HTTP, use --plain-http (the chart's registry.plainHttp)`,
    );
  }
  if (typeof e.code === 'string' && tlsTrustCodes.test(e.code)) {
    return new RegistryError(
      'rejected',
      `${what}: cannot verify the registry's TLS certificate (${e.message}); trust its CA with --ca-file`,
    );
  }
  return err;
}
