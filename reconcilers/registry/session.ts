/**
 * A session with one repository of one registry: picks the scheme, authenticates as the
 * registry's `WWW-Authenticate` challenge asks (Basic, or a Bearer token from its token
 * server), and retries replayable requests with exponential backoff on 5xx, 429 and network
 * errors.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../runtime/backoff.ts';
import { basicAuthorization, parseChallenge, type Credentials } from './auth.ts';
import { RegistryError, isTransient, statusError, wrapNetworkError } from './errors.ts';
import { HttpTransport, speaksTls, type HttpResponse, type StreamedBody } from './http.ts';
import { isLoopbackRegistry, type Repository } from './reference.ts';
import { fetchToken } from './token.ts';

export interface RetryPolicy {
  /** Tries per request, the first included (default 5). */
  attempts: number;
  /** Delay before the first retry, doubled each time up to maxDelayMs (default 250 ms). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface SessionOptions {
  repository: Repository;
  credentials?: Credentials;
  /** PEM CA bundle trusted for the registry's TLS certificate (besides the system roots). */
  ca?: string;
  /**
   * Plain HTTP for any registry. Without it, HTTPS is used, except that a registry on the
   * loopback interface that does not speak TLS is reached over HTTP (as docker does).
   */
  plainHttp?: boolean;
  retry?: Partial<RetryPolicy>;
  /** Token scope actions (default `pull,push`). */
  actions?: string;
}

export interface SessionRequest {
  method: string;
  /** Path under the registry root (`/v2/…`), or an absolute URL (upload locations). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

const defaultRetry: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8000 };

export class RegistrySession {
  readonly repository: Repository;
  readonly retry: RetryPolicy;
  private readonly transport: HttpTransport;
  private base: Promise<URL> | undefined;
  private authorization: string | undefined;

  constructor(private readonly options: SessionOptions) {
    this.repository = options.repository;
    this.retry = { ...defaultRetry, ...options.retry };
    this.transport = new HttpTransport(options.ca ? { ca: options.ca } : {});
  }

  /** Resolves a registry path or a (possibly relative) upload Location to an absolute URL. */
  async url(pathOrLocation: string): Promise<URL> {
    return new URL(pathOrLocation, await this.baseUrl());
  }

  /**
   * Sends a replayable request: authenticates on 401, retries transient failures with backoff.
   * Resolves with any status that is not 401 or transient; the caller judges the rest.
   */
  async request(req: SessionRequest, what: string): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.sendAuthenticated(req, what);
        if (res.status === 429 || res.status >= 500) throw statusError(what, res.status, res.body);
        return res;
      } catch (err) {
        if (!isTransient(err) || attempt >= this.retry.attempts) throw wrapNetworkError(err, what);
        await this.backoff(attempt);
      }
    }
  }

  /** Sends a streamed body once, with the current authorization (no retry, no 401 handling). */
  async sendStream(
    method: string,
    location: string,
    headers: Record<string, string>,
    body: StreamedBody,
  ): Promise<HttpResponse> {
    const url = await this.url(location);
    return this.transport.send({ method, url, headers: await this.withAuth(url, headers), body });
  }

  /** Handles a 401 answer to a streamed request: obtains a fresh authorization or throws. */
  async reauthenticate(res: HttpResponse, what: string): Promise<void> {
    await this.authenticate(res, what, this.authorization);
  }

  /**
   * Picks the scheme and answers the registry's challenge (`GET /v2/`) ahead of the first
   * request, e.g. while local work goes on. Once, without retries; never throws: a failure
   * shows again in the requests that follow.
   */
  async prepare(): Promise<void> {
    try {
      const res = await this.transport.send({ method: 'GET', url: await this.url('/v2/') });
      if (res.status === 401) await this.authenticate(res, 'prepare', undefined);
    } catch {
      // the requests retry and report it
    }
  }

  /** Waits before retry number `attempt` (from 1): exponential, with equal jitter. */
  async backoff(attempt: number): Promise<void> {
    const { baseDelayMs: baseMs, maxDelayMs: maxMs } = this.retry;
    await sleep(backoffDelay(attempt, { baseMs, maxMs, jitter: true }));
  }

  close(): void {
    this.transport.close();
  }

  private async sendAuthenticated(req: SessionRequest, what: string): Promise<HttpResponse> {
    const sent = this.authorization;
    const send = async (): Promise<HttpResponse> => {
      const url = await this.url(req.path);
      const headers = await this.withAuth(url, req.headers ?? {});
      return this.transport.send({ method: req.method, url, headers, body: req.body });
    };
    const res = await send();
    if (res.status !== 401) return res;
    await this.authenticate(res, what, sent);
    const retried = await send();
    if (retried.status !== 401) return retried;
    await this.authenticate(retried, what, this.authorization); // throws for rejected Basic credentials
    throw statusError(what, 401, retried.body);
  }

  /**
   * The headers with the authorization when `url` is on the registry's own origin: an upload
   * Location naming another host or scheme never gets the credentials (nor a token for them).
   */
  private async withAuth(
    url: URL,
    headers: Record<string, string>,
  ): Promise<Record<string, string>> {
    const own = url.origin === (await this.baseUrl()).origin;
    return this.authorization && own ? { ...headers, authorization: this.authorization } : headers;
  }

  /** Answers a 401 challenge; `sent` is the authorization the rejected request carried. */
  private async authenticate(
    res: HttpResponse,
    what: string,
    sent: string | undefined,
  ): Promise<void> {
    if (this.authorization !== sent) return; // another request already refreshed it
    const challenge = parseChallenge(headerValue(res.headers['www-authenticate']));
    const { credentials } = this.options;
    const host = this.repository.registry;
    if (!challenge)
      throw new RegistryError(
        'auth',
        `${what}: unauthorized (401) without a usable WWW-Authenticate challenge`,
        401,
      );
    if (challenge.scheme === 'basic') {
      if (!credentials)
        throw new RegistryError(
          'auth',
          `${what}: registry ${host} requires credentials and none are configured for it`,
          401,
        );
      const basic = basicAuthorization(credentials);
      if (sent === basic)
        throw new RegistryError(
          'auth',
          `${what}: registry ${host} rejected the credentials of user "${credentials.username}" (401)`,
          401,
        );
      this.authorization = basic;
      return;
    }
    const scope = `repository:${this.repository.name}:${this.options.actions ?? 'pull,push'}`;
    this.authorization = `Bearer ${await fetchToken(this.transport, challenge.params, scope, {
      credentials,
      what,
      attempts: this.retry.attempts,
      backoff: (attempt) => this.backoff(attempt),
    })}`;
  }

  private baseUrl(): Promise<URL> {
    this.base ??= this.pickScheme();
    return this.base;
  }

  private async pickScheme(): Promise<URL> {
    const registry =
      this.repository.registry === 'docker.io' ? 'registry-1.docker.io' : this.repository.registry;
    if (this.options.plainHttp) return new URL(`http://${registry}/`);
    const secure = new URL(`https://${registry}/`);
    if (!isLoopbackRegistry(registry)) return secure;
    try {
      // Like docker: a loopback registry that does not speak TLS is reached over HTTP.
      return (await speaksTls(secure, this.transport.idleTimeoutMs))
        ? secure
        : new URL(`http://${registry}/`);
    } catch (err) {
      this.base = undefined; // registry down: probe again on the next (retried) request
      throw err;
    }
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
