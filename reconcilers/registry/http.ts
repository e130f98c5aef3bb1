/**
 * A minimal HTTP(S) transport over node:http with keep-alive, a custom CA bundle and streamed
 * request bodies. No retries and no authentication here: the registry client adds both.
 */
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { Readable } from 'node:stream';

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** A buffer, or a stream consumed once (the caller makes a new one to retry). */
  body?: Buffer | Readable;
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
  private readonly idleTimeoutMs: number;

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
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, {
        method: request.method,
        headers:
          body instanceof Readable
            ? { ...request.headers, expect: '100-continue' }
            : request.headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
        timeout: this.idleTimeoutMs,
      });
      let settled = false;
      const fail = (err: Error): void => {
        if (body instanceof Readable) body.destroy();
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
          if (body instanceof Readable && !body.readableEnded) {
            // The registry answered before reading the whole body (e.g. 401, 413): stop sending.
            body.unpipe(req);
            body.destroy();
            req.destroy();
          }
          if (settled) return;
          settled = true;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          });
        });
      });
      if (body instanceof Readable) {
        // The body follows "100 Continue" only, so that a refusal (401, 413) arrives as an
        // answer instead of a connection broken mid-body (EPIPE). A server that ignores
        // Expect gets the body after a second anyway, as curl does.
        let started = false;
        const start = (): void => {
          if (started) return;
          started = true;
          clearTimeout(timer);
          body.pipe(req);
        };
        const timer = setTimeout(start, expectContinueWaitMs);
        req.on('continue', start);
        req.on('response', () => clearTimeout(timer));
        req.on('close', () => clearTimeout(timer));
        body.on('error', (err) => req.destroy(err));
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
