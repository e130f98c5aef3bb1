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
  const url = new URL(params.realm);
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
      const body = JSON.parse(res.body.toString('utf8')) as {
        token?: string;
        access_token?: string;
      };
      const token = body.token ?? body.access_token;
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
