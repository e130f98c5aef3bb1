/**
 * A minimal HTTP(S) transport over node:http with keep-alive, a custom CA bundle and streamed
 * request bodies. No retries and no authentication here: the registry client adds both.
 */
import http from 'node:http';
import https from 'node:https';
import { connect as tlsConnect, rootCertificates } from 'node:tls';

/**
 * A streamed request body, pulled one chunk at a time: the next chunk is asked for only once
 * the previous one has been handed to the kernel, so a source may reuse its buffers (see
 * BlobSource). Consumed once; the caller makes a new one to retry.
 */
export type StreamedBody = AsyncIterable<Buffer>;

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | StreamedBody;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The response body (registry answers are small: JSON errors, manifests). */
  body: Buffer;
}

export interface TransportOptions {
  /** PEM CA certificates trusted in addition to the system roots. */
  ca?: string;
  /** Fails a request after this long without any socket activity (default 120 s). */
  idleTimeoutMs?: number;
}

/** How long a streamed body waits for "100 Continue" before it is sent anyway. */
const expectContinueWaitMs = 1000;

/** Responses larger than this are cut (manifests are limited to 4 MiB by registries). */
const maxResponseBytes = 8 * 1024 * 1024;

export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent;
  readonly idleTimeoutMs: number;

  constructor(options: TransportOptions = {}) {
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}),
    });
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  }

  /** Sends one request; rejects on network errors only (any HTTP status resolves). */
  send(request: HttpRequest): Promise<HttpResponse> {
    const { url, body } = request;
    const streamed = body !== undefined && !Buffer.isBuffer(body);
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, {
        method: request.method,
        headers: streamed ? { ...request.headers, expect: '100-continue' } : request.headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
        timeout: this.idleTimeoutMs,
      });
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      req.on('timeout', () => {
        const err = Object.assign(
          new Error(`no answer from ${url.host} for ${this.idleTimeoutMs} ms`),
          {
            code: 'ETIMEDOUT',
          },
        );
        req.destroy(err);
      });
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= maxResponseBytes) chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          // The registry may answer before reading the whole body (e.g. 401, 413): stop sending.
          if (streamed && !req.writableEnded) req.destroy();
          if (settled) return;
          settled = true;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          });
        });
      });
      if (streamed) {
        // The body follows "100 Continue" only, so that a refusal (401, 413) arrives as an
        // answer instead of a connection broken mid-body (EPIPE). A server that ignores
        // Expect gets the body after a second anyway, as curl does.
        let started = false;
        const start = (): void => {
          if (started) return;
          started = true;
          clearTimeout(timer);
          pump(req, body).catch((err: Error) => req.destroy(err));
        };
        const timer = setTimeout(start, expectContinueWaitMs);
        req.on('continue', start);
        req.on('response', () => clearTimeout(timer));
        req.on('close', () => clearTimeout(timer));
        req.flushHeaders();
      } else {
        req.end(body);
      }
    });
  }

  /** Closes idle keep-alive connections so that the process can exit. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/**
 * Writes `body` into `req` one chunk at a time, asking for the next chunk only when the
 * previous one has been written (its write callback ran); stops, releasing the source, as
 * soon as the request is over (answered early, or broken).
 */
async function pump(req: http.ClientRequest, body: StreamedBody): Promise<void> {
  const closed = new Promise<undefined>((resolve) => req.once('close', () => resolve(undefined)));
  for await (const chunk of body) {
    const written = new Promise<Error | null | undefined>((resolve) => req.write(chunk, resolve));
    const err = await Promise.race([written, closed]);
    if (err) throw err;
    if (req.destroyed) return;
  }
  req.end();
}

/** What a TLS client sees when the server speaks plain HTTP. */
const plainAnswers = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'ECONNRESET',
]);

/**
 * Whether the server at `url` (its host and port) answers a TLS handshake; rejects on other
 * network errors. It only asks whether TLS is spoken, so it trusts and verifies nothing and
 * sends no request: that spares building the default root store, 30 ms of CPU at start-up.
 */
export function speaksTls(url: URL, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 443),
      ca: [],
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () =>
      socket.destroy(
        Object.assign(new Error(`no TLS answer from ${url.host} in ${timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        }),
      ),
    );
    socket.once('error', (err: Error & { code?: string }) => {
      // A plain-HTTP server answers the TLS hello with an HTTP error (not a TLS record), or
      // hangs up; any other TLS error (an alert, a protocol version) comes from a TLS server.
      if (plainAnswers.has(err.code ?? '')) resolve(false);
      else if (err.code?.startsWith('ERR_SSL')) resolve(true);
      else reject(err);
    });
  });
}
