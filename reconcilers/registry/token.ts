/**
 * The Bearer token exchange of the OCI distribution auth flow: GET the challenge's realm with
 * its service and the repository scope, as the user of the credentials (else anonymously);
 * transient failures are retried with the session's backoff.
 */
import type { Credentials } from './auth.ts';
import { basicAuthorization } from './auth.ts';
import { RegistryError, isTransient, statusError, wrapNetworkError } from './errors.ts';
import type { HttpTransport } from './http.ts';

export interface TokenRequest {
  credentials?: Credentials;
  /** What the token is for, leading every error message. */
  what: string;
  attempts: number;
  backoff(attempt: number): Promise<void>;
}

/** A token for `scope` (e.g. `repository:team/app:pull,push`) from the challenge's realm. */
export async function fetchToken(
  transport: HttpTransport,
  params: Record<string, string>,
  scope: string,
  req: TokenRequest,
): Promise<string> {
  const { credentials, what } = req;
  if (!params.realm)
    throw new RegistryError('auth', `${what}: Bearer challenge without a realm`, 401);
  let url: URL;
  try {
    url = new URL(params.realm);
  } catch {
    throw new RegistryError(
      'auth',
      `${what}: Bearer challenge with a realm that is not a URL`,
      401,
    );
  }
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.append('scope', scope);
  const headers: Record<string, string> = credentials
    ? { authorization: basicAuthorization(credentials) }
    : {};
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await transport.send({ method: 'GET', url, headers });
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError(
          'auth',
          `${what}: token server ${url.host} refused ${credentials ? `user "${credentials.username}"` : 'anonymous access'} (${res.status})`,
          res.status,
        );
      }
      if (res.status !== 200) throw statusError(`${what}: token request`, res.status, res.body);
      const token = tokenOf(res.body);
      if (!token)
        throw new RegistryError('auth', `${what}: token server ${url.host} returned no token`);
      return token;
    } catch (err) {
      if (!isTransient(err) || attempt >= req.attempts)
        throw wrapNetworkError(err, `${what}: token request`);
      await req.backoff(attempt);
    }
  }
}

/** The token of a token server's JSON answer (`token`, or OAuth2's `access_token`), if any. */
function tokenOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown };
    const token = parsed?.token ?? parsed?.access_token;
    return typeof token === 'string' && token ? token : undefined;
  } catch {
    return undefined;
  }
}
