/**
 * The operator's admission webhook server (every replica serves it, leader or not): HTTPS with
 * the certificate of tls.ts (checked every minute, the caBundle re-published if a `helm
 * upgrade` reset it), and `POST /evict` answering
 * AdmissionReviews of `pods/eviction` (eviction.ts). What it reads it reads fresh from the API
 * server — evictions are rare — within the few seconds the API server waits.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  CustomObjectsApi,
  type KubeConfig,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  EDGE_NODE_PLURAL,
  GROUP,
  MIGRATION_PLURAL,
  VERSION,
  type EdgeNode,
  type Migration,
} from '../api/types.ts';
import { apiErrorCode } from '../runtime/kube.ts';
import { getJson } from '../runtime/list.ts';
import type { Logger } from '../runtime/log.ts';
import { parseListen } from '../runtime/server.ts';
import { answerEviction, type EvictionFacts } from './eviction.ts';
import { ensureWebhookTls, publishCaBundle, type WebhookTlsOptions } from './tls.ts';

/** How often the certificate is checked and the caBundle re-published (a helm upgrade resets it). */
const REFRESH_EVERY_MS = 60_000;

interface AdmissionRequest {
  uid: string;
  name?: string;
  namespace?: string;
  dryRun?: boolean;
}

export interface WebhookServer {
  port: number;
  close(): Promise<void>;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (apiErrorCode(err) === 404 || (err as { statusCode?: number }).statusCode === 404) {
      return undefined;
    }
    throw err;
  }
}

/** What the eviction answer needs about pod `namespace/name`. */
async function facts(kc: KubeConfig, r: AdmissionRequest): Promise<EvictionFacts> {
  const ns = encodeURIComponent(r.namespace ?? '');
  const pod = await orUndefined(
    getJson<V1Pod>(kc, `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(r.name ?? '')}`),
  );
  const nodeName = pod?.spec?.nodeName;
  const [node, edgeNodes, migrations] = await Promise.all([
    nodeName
      ? orUndefined(getJson<V1Node>(kc, `/api/v1/nodes/${encodeURIComponent(nodeName)}`))
      : undefined,
    getJson<{ items: EdgeNode[] }>(kc, `/apis/${API_VERSION}/${EDGE_NODE_PLURAL}`),
    getJson<{ items: Migration[] }>(
      kc,
      `/apis/${API_VERSION}/namespaces/${ns}/${MIGRATION_PLURAL}`,
    ),
  ]);
  return {
    ...(pod ? { pod } : {}),
    ...(node ? { node } : {}),
    edgeNodes: edgeNodes.items,
    migrations: migrations.items,
    dryRun: r.dryRun ?? false,
  };
}

async function review(kc: KubeConfig, r: AdmissionRequest, log: Logger): Promise<object> {
  // an operator acting on one namespace leaves the others' evictions alone
  const watched = process.env.CONTINUUM_WATCH_NAMESPACE;
  if (watched && r.namespace !== watched) return { uid: r.uid, allowed: true };
  const answer = answerEviction(await facts(kc, r));
  if (answer.allowed) {
    log.debug({ pod: `${r.namespace}/${r.name}`, why: answer.why }, 'eviction allowed');
    return { uid: r.uid, allowed: true };
  }
  if (answer.create) {
    const m = answer.create;
    await kc
      .makeApiClient(CustomObjectsApi)
      .createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: m.metadata.namespace!,
        plural: MIGRATION_PLURAL,
        body: m,
      })
      .catch((err: unknown) => {
        if (apiErrorCode(err) !== 409) throw err;
      });
    log.info({ migration: `${m.metadata.namespace}/${m.metadata.name}` }, 'eviction → Migration');
  }
  return {
    uid: r.uid,
    allowed: false,
    status: { code: 429, reason: 'TooManyRequests', message: answer.message },
  };
}

export async function startWebhookServer(opts: {
  kc: KubeConfig;
  listen: string;
  tls: WebhookTlsOptions;
  log: Logger;
}): Promise<WebhookServer> {
  const { kc, log } = opts;
  const refresh = async () => {
    const { ca, server } = await ensureWebhookTls(kc, opts.tls, log);
    if (opts.tls.configuration) await publishCaBundle(kc, opts.tls.configuration, ca);
    return server;
  };
  const first = await refresh();
  let served = first.cert;
  const server: Server = createServer({ cert: first.cert, key: first.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (code: number, body: object) =>
        res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      let request: AdmissionRequest | undefined;
      try {
        request = (JSON.parse(Buffer.concat(chunks).toString()) as { request?: AdmissionRequest })
          .request;
      } catch {
        // answered below
      }
      if (req.method !== 'POST' || req.url?.split('?')[0] !== '/evict' || !request?.uid) {
        return reply(400, { message: 'expected a POST of an AdmissionReview to /evict' });
      }
      const respond = (response: object) =>
        reply(200, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
      review(kc, request, log).then(respond, (err: unknown) => {
        // cannot tell: let the eviction happen, as failurePolicy Ignore would
        log.warn(
          { err: String(err), pod: `${request.namespace}/${request.name}` },
          'eviction review failed',
        );
        respond({ uid: request.uid, allowed: true, warnings: [`continuum: ${String(err)}`] });
      });
    });
  });
  const { host, port } = parseListen(opts.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const timer = setInterval(() => {
    refresh().then(
      (s) => {
        if (s.cert === served) return;
        served = s.cert;
        server.setSecureContext({ cert: s.cert, key: s.key });
      },
      (err: unknown) => log.warn({ err: String(err) }, 'cannot renew the webhook certificate'),
    );
  }, REFRESH_EVERY_MS);
  timer.unref();
  log.info({ port: (server.address() as AddressInfo).port }, 'webhook serving');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
