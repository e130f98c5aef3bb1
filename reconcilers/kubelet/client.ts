/**
 * The kubelet checkpoint client: `POST /checkpoint/{ns}/{pod}/{container}?timeout=` on the
 * source node's kubelet, authenticated with the operator's ServiceAccount token (which needs
 * only `create nodes/checkpoint`), TLS verified against the kubelet CA bundle. Reaching the
 * kubelet through the API server's node proxy (needs `nodes/proxy`) is an opt-in fallback.
 */
import { request, type RequestOptions } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import {
  archiveFromReply,
  checkpointPath,
  endpointURL,
  kubeletEndpoint,
  refusal,
} from './endpoint.ts';

/** A checkpoint that did not happen. `transient` says whether asking again may succeed. */
export class KubeletError extends Error {
  constructor(
    message: string,
    /** HTTP status of the kubelet's answer; undefined when there was none (network, timeout). */
    readonly status: number | undefined,
    readonly transient: boolean,
    /**
     * The kubelet no longer has the pod (404 "pod does not exist": deleted since it was read).
     * Its other 404s mean no checkpoint API.
     */
    readonly podGone = false,
  ) {
    super(message);
    this.name = 'KubeletError';
  }
}

/** The checkpoint API of a node's kubelet. */
export interface KubeletClient {
  /**
   * Checkpoints one container of a pod running on `node` and resolves to the archive's path on
   * that node. NOT idempotent: every call writes a new archive, so callers record the result.
   * Bounded by `timeoutSeconds` (passed to the kubelet) plus a margin; never blocks longer.
   * Rejects with a {@link KubeletError}: 401/403/404 and an unverifiable certificate are
   * permanent; 5xx, network errors and timeouts are transient.
   */
  checkpoint(
    node: V1Node,
    namespace: string,
    pod: string,
    container: string,
    timeoutSeconds: number,
  ): Promise<string>;
}

export interface KubeletClientOptions {
  /** The operator's credentials: its bearer token (direct) or the API server (proxy). */
  kubeConfig: KubeConfig;
  /** PEM bundle of the CA that signed the kubelets' serving certificates (direct mode). */
  caFile?: string;
  /** Go through `/api/v1/nodes/{node}/proxy/…` on the API server instead of the kubelet. */
  viaApiServerProxy?: boolean;
  /** Added to the checkpoint timeout to bound the whole request; default 5000 ms. */
  marginMs?: number;
}

/** A {@link KubeletClient} over HTTPS. Throws at construction when TLS cannot be verified. */
export function createKubeletClient(options: KubeletClientOptions): KubeletClient {
  const { kubeConfig, viaApiServerProxy = false, marginMs = 5000 } = options;
  if (!viaApiServerProxy && !options.caFile) {
    throw new Error(
      'cannot talk to kubelets: no kubelet CA bundle configured (TLS is always verified)',
    );
  }
  const ca = options.caFile ? readFile(options.caFile) : undefined;
  ca?.catch(() => undefined); // reported on first use

  async function target(node: V1Node, path: string): Promise<{ url: URL; opts: RequestOptions }> {
    const opts: RequestOptions = { headers: {} };
    await kubeConfig.applyToHTTPSOptions(opts);
    if (viaApiServerProxy) {
      const server = kubeConfig.getCurrentCluster()?.server;
      if (!server) throw new Error('the kubeconfig names no API server');
      const name = encodeURIComponent(node.metadata?.name ?? '');
      return {
        url: new URL(`${server.replace(/\/$/, '')}/api/v1/nodes/${name}/proxy${path}`),
        opts,
      };
    }
    const auth = (opts.headers as Record<string, string | undefined>)['Authorization'];
    if (!auth) throw new Error('the operator credentials carry no bearer token');
    const direct: RequestOptions = {
      headers: { Authorization: auth },
      ca: await ca,
      rejectUnauthorized: true,
      agent: false,
    };
    return { url: new URL(`${endpointURL(kubeletEndpoint(node))}${path}`), opts: direct };
  }

  return {
    async checkpoint(node, namespace, pod, container, timeoutSeconds) {
      const what = `container "${container}" of pod "${namespace}/${pod}" on node "${node.metadata?.name}"`;
      let dest: { url: URL; opts: RequestOptions };
      try {
        dest = await target(node, checkpointPath(namespace, pod, container, timeoutSeconds));
      } catch (err) {
        throw new KubeletError(
          `cannot checkpoint ${what}: ${(err as Error).message}`,
          undefined,
          false,
        );
      }
      const reply = await post(dest.url, dest.opts, timeoutSeconds * 1000 + marginMs).catch(
        (err: Error & { code?: string }) => {
          // a certificate that does not verify stays so: asking again will not help
          const tls = TLS_ERRORS.has(err.code ?? '');
          throw new KubeletError(`cannot checkpoint ${what}: ${err.message}`, undefined, !tls);
        },
      );
      if (reply.status !== 200) {
        const transient = reply.status >= 500 || reply.status === 429;
        throw new KubeletError(
          `cannot checkpoint ${what}: ${refusal(reply.status, reply.body, viaApiServerProxy)}`,
          reply.status,
          transient,
          reply.status === 404 && reply.body.includes('pod does not exist'),
        );
      }
      try {
        return archiveFromReply(reply.body);
      } catch (err) {
        throw new KubeletError(`cannot checkpoint ${what}: ${(err as Error).message}`, 200, true);
      }
    },
  };
}

/** Node's codes for a kubelet serving certificate that fails verification. */
const TLS_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** One POST with a hard deadline; resolves to status and body, rejects on network errors. */
function post(
  url: URL,
  opts: RequestOptions,
  deadlineMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ...opts, method: 'POST', signal: AbortSignal.timeout(deadlineMs) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (err) =>
      reject(err.name === 'AbortError' ? new Error(`no answer within ${deadlineMs} ms`) : err),
    );
    req.end();
  });
}
