/**
 * SIMULATED kubelet: serves the real kubelet checkpoint endpoint for one kwok node, so that the
 * operator's kubelet client is exercised exactly as against a real node.
 *
 *   POST /checkpoint/{namespace}/{pod}/{container}?timeout=<seconds>
 *
 * Like the kubelet: HTTPS with a serving certificate (signed by the test CA); authentication by
 * x509 client certificate (signed by the CA) or bearer token (TokenReview), authorization by
 * SubjectAccessReview (`create nodes/checkpoint`, name = the node) against the API server; 401 without or with an invalid
 * token, 403 when not allowed, 404 for an unknown pod/container or a pod of another node, 500
 * when "the runtime" fails; 200 `{"items":["/var/lib/kubelet/checkpoints/<archive>"]}`.
 * The archive (CRI-O layout) is written under `<rootDir>/var/lib/kubelet/checkpoints/`.
 *
 * Faults, read from the pod's annotations at request time:
 *   sim.continuum.dev/checkpoint-fault: "500" | "delay=<n>s|ms" | "timeout"
 *   sim.continuum.dev/checkpoint-size: archive payload size ("1Mi", "512Ki", "2048"; default 64Ki)
 * "timeout" waits for the request's timeout (default 120 s, like the CRI runtime request
 * timeout) and fails with DeadlineExceeded; so does a delay longer than the timeout.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Pod,
  type V1UserInfo,
} from '@kubernetes/client-node';
import { apiErrorCode } from '../../reconcilers/runtime/kube.ts';
import { silentLogger, type Logger } from '../../reconcilers/runtime/log.ts';
import { writeCheckpointArchive } from './checkpoint-archive.ts';
import { faultOf, sizeOf, type Fault } from './kubelet-faults.ts';

/** Directory of checkpoint archives on a node (relative to the node's root). */
export const CHECKPOINT_DIR = '/var/lib/kubelet/checkpoints';

export interface SimulatedKubeletOptions {
  nodeName: string;
  /** The Node's InternalIP, where the kubelet listens. Default 127.0.0.1. */
  host?: string;
  /** The port in the Node's status.daemonEndpoints.kubeletEndpoint. */
  port: number;
  /** Directory playing the node's filesystem root. */
  rootDir: string;
  /** Serving certificate and key (PEM files) for `host`. */
  certFile: string;
  keyFile: string;
  /** CA whose client certificates authenticate (the API server's node proxy presents one). */
  caFile: string;
  /** Admin access: TokenReview, SubjectAccessReview, reading pods. */
  kc: KubeConfig;
  /** Archive payload size when the pod has no size annotation. Default 64 KiB. */
  defaultSizeBytes?: number;
  log?: Logger;
}

export interface SimulatedKubelet {
  port: number;
  stop(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the simulated kubelet of one node on its address. */
export async function startSimulatedKubelet(
  opts: SimulatedKubeletOptions,
): Promise<SimulatedKubelet> {
  const log = (opts.log ?? silentLogger()).child({ kubelet: opts.nodeName });
  const core = opts.kc.makeApiClient(CoreV1Api);
  const authn = opts.kc.makeApiClient(AuthenticationV1Api);
  const authz = opts.kc.makeApiClient(AuthorizationV1Api);

  /** x509 client certificate signed by the CA (as the API server's proxy sends), else token. */
  async function authenticate(req: IncomingMessage): Promise<V1UserInfo> {
    const socket = req.socket as TLSSocket;
    const cert = socket.authorized ? socket.getPeerCertificate() : undefined;
    const cn = cert?.subject?.CN;
    if (cn) {
      const o = cert.subject.O;
      return { username: [cn].flat()[0], groups: o === undefined ? [] : [o].flat() };
    }
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (!token) throw new HttpError(401, 'Unauthorized');
    const review = await authn.createTokenReview({ body: { spec: { token } } });
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) throw new HttpError(401, 'Unauthorized');
    return user;
  }

  /** Resolves to the user allowed to checkpoint on this node. */
  async function authorize(req: IncomingMessage): Promise<V1UserInfo> {
    const user = await authenticate(req);
    const sar = await authz.createSubjectAccessReview({
      body: {
        spec: {
          user: user.username,
          groups: user.groups,
          uid: user.uid,
          extra: user.extra,
          resourceAttributes: {
            verb: 'create',
            resource: 'nodes',
            subresource: 'checkpoint',
            name: opts.nodeName,
          },
        },
      },
    });
    if (!sar.status?.allowed) {
      const who = `user=${user.username}, verb=create, resource=nodes, subresource=checkpoint`;
      throw new HttpError(403, `Forbidden (${who})`);
    }
    return user;
  }

  async function readPod(namespace: string, name: string): Promise<V1Pod> {
    try {
      const pod = await core.readNamespacedPod({ namespace, name });
      if (pod.spec?.nodeName === opts.nodeName) return pod;
    } catch (err) {
      if (apiErrorCode(err) !== 404) throw err;
    }
    throw new HttpError(404, 'pod does not exist');
  }

  async function checkpoint(req: IncomingMessage, url: URL, parts: string[]): Promise<string> {
    const [namespace, podName, container] = parts as [string, string, string];
    const pod = await readPod(namespace, podName);
    const spec = pod.spec?.containers.find((c) => c.name === container);
    if (!spec) throw new HttpError(404, `container ${container} does not exist`);
    const timeoutParam = url.searchParams.get('timeout');
    const timeoutS = timeoutParam === null ? 120 : Number(timeoutParam);
    if (!Number.isInteger(timeoutS) || timeoutS < 0) {
      throw new HttpError(500, 'cannot parse value of timeout parameter');
    }
    const failed = (cause: string) =>
      new HttpError(500, `checkpointing of ${namespace}/${podName}/${container} failed (${cause})`);
    // the kubelet names the archive after the time the request arrived, before the runtime works
    const now = new Date();
    const fault: Fault = faultOf(pod);
    if (fault.kind === 'error') throw failed('simulated runtime failure');
    const waitMs = fault.kind === 'timeout' ? Infinity : fault.kind === 'delay' ? fault.ms : 0;
    const deadlineMs = timeoutS === 0 ? Infinity : timeoutS * 1000;
    if (waitMs > 0) await waitOrClose(req, Math.min(waitMs, deadlineMs));
    if (waitMs >= deadlineMs) {
      throw failed('rpc error: code = DeadlineExceeded desc = context deadline exceeded');
    }
    const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const file = `checkpoint-${podName}_${namespace}-${container}-${stamp}.tar`;
    mkdirSync(join(opts.rootDir, CHECKPOINT_DIR), { recursive: true, mode: 0o700 });
    await writeCheckpointArchive({
      path: join(opts.rootDir, CHECKPOINT_DIR, file),
      container,
      pod: podName,
      namespace,
      image: spec.image,
      sizeBytes: sizeOf(pod) ?? opts.defaultSizeBytes ?? 64 * 1024,
      contentKind: 'random',
      checkpointedAt: now,
    });
    return `${CHECKPOINT_DIR}/${file}`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    try {
      const user = await authorize(req);
      const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
      if (parts[0] !== 'checkpoint' || parts.length !== 4 || parts.some((p) => !p)) {
        throw new HttpError(404, '404 page not found');
      }
      if (req.method !== 'POST') throw new HttpError(405, 'Method Not Allowed');
      const path = await checkpoint(req, url, parts.slice(1));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ items: [path] }));
      log.info({ path: url.pathname, archive: path, user: user.username }, 'checkpoint written');
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      log.info({ path: url.pathname, status, err: (err as Error).message }, 'checkpoint refused');
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`${(err as Error).message}\n`);
      }
    }
  }

  const server: Server = createServer(
    {
      cert: readFileSync(opts.certFile),
      key: readFileSync(opts.keyFile),
      // Client certificates are optional (bearer tokens are the other way in), verified by hand.
      ca: readFileSync(opts.caFile),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => void handle(req, res),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: opts.port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits `ms`, or less when the client goes away (no timer left behind). */
function waitOrClose(req: IncomingMessage, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      req.socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    req.socket.once('close', done);
  });
}
