/**
 * The operator's admission webhook server (every replica serves it, leader or not): HTTPS with
 * the certificate of tls.ts (checked every minute, the caBundle re-published if a `helm
 * upgrade` reset it), or the one cert-manager issued (read every minute, every 5 s while it has
 * not been issued: TLS handshakes fail until then); `POST /evict` answers AdmissionReviews of
 * `pods/eviction` (eviction.ts), `POST /restore` those of pods a StatefulSet creates
 * (restore.ts). What it reads it reads fresh from the API server — evictions are rare — within
 * the few seconds the API server waits.
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
import { getJson, getJsonOrUndefined, listAll } from '../runtime/list.ts';
import type { Logger } from '../runtime/log.ts';
import { parseListen } from '../runtime/server.ts';
import { migrationConfig } from '../migration/controller.ts';
import type { MigrationConfig } from '../migration/model.ts';
import type { OperatorConfig } from '../runtime/config.ts';
import { answerEviction, type EvictionFacts } from './eviction.ts';
import { restorePatch, restoringMigration } from './restore.ts';
import { ensureRestoreKey, INSTALLER_SELECTOR, wrapperNodes } from '../restore/installer.ts';
import { servingTls, type WebhookTlsOptions } from './tls.ts';

/** How often the certificate is checked and the caBundle re-published (a helm upgrade resets it). */
const REFRESH_EVERY_MS = 60_000;
/** How often, while there is no certificate yet (cert-manager has not issued it), it is looked for. */
const WAIT_EVERY_MS = 5_000;

interface AdmissionRequest {
  uid: string;
  name?: string;
  namespace?: string;
  dryRun?: boolean;
  /** The object being admitted: an Eviction, or the pod being created. */
  object?: unknown;
}

export interface WebhookServer {
  port: number;
  close(): Promise<void>;
}

/** What the eviction answer needs about pod `namespace/name`. */
async function facts(kc: KubeConfig, r: AdmissionRequest): Promise<EvictionFacts> {
  const ns = encodeURIComponent(r.namespace ?? '');
  const pod = await getJsonOrUndefined<V1Pod>(
    kc,
    `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(r.name ?? '')}`,
  );
  const nodeName = pod?.spec?.nodeName;
  const [node, edgeNodes, migrations] = await Promise.all([
    nodeName
      ? getJsonOrUndefined<V1Node>(kc, `/api/v1/nodes/${encodeURIComponent(nodeName)}`)
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

/** A StatefulSet's pod being created: restored if its Migration is Restoring (restore.ts). */
async function reviewPod(
  kc: KubeConfig,
  r: AdmissionRequest,
  cfg: MigrationConfig,
  operatorNamespace: string,
  log: Logger,
): Promise<object> {
  const pod = r.object as V1Pod;
  pod.metadata = { ...pod.metadata, namespace: r.namespace };
  if (pod.metadata.ownerReferences?.find((o) => o.controller)?.kind !== 'StatefulSet') {
    return { uid: r.uid, allowed: true };
  }
  const ns = encodeURIComponent(r.namespace ?? '');
  const migrations = await getJson<{ items: Migration[] }>(
    kc,
    `/apis/${API_VERSION}/namespaces/${ns}/${MIGRATION_PLURAL}`,
  );
  const m = restoringMigration(pod, migrations.items);
  if (!m) return { uid: r.uid, allowed: true };
  const source = m.status?.sourceNode;
  const [sourceNode, edgeNodes, nodes, installerPods] = await Promise.all([
    source
      ? getJsonOrUndefined<V1Node>(kc, `/api/v1/nodes/${encodeURIComponent(source)}`)
      : undefined,
    getJson<{ items: EdgeNode[] }>(kc, `/apis/${API_VERSION}/${EDGE_NODE_PLURAL}`),
    listAll<V1Node>(kc, { path: '/api/v1/nodes' }),
    listAll<V1Pod>(kc, {
      path: `/api/v1/namespaces/${encodeURIComponent(operatorNamespace)}/pods`,
      labelSelector: INSTALLER_SELECTOR,
    }),
  ]);
  const patch = restorePatch({
    pod,
    migrations: [m],
    edgeNodes: edgeNodes.items,
    restoreNodes: { nodes: nodes.items, wrapper: wrapperNodes(installerPods.items) },
    cfg,
    ...(sourceNode ? { sourceNode } : {}),
  });
  if (!patch) return { uid: r.uid, allowed: true };
  log.info(
    { pod: `${r.namespace}/${r.name}`, migration: m.metadata.name },
    'pod restored in place',
  );
  return {
    uid: r.uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
  };
}

async function reviewEviction(kc: KubeConfig, r: AdmissionRequest, log: Logger): Promise<object> {
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
  /** The operator's settings: the restored pods' image, Secrets and registry. */
  config: OperatorConfig;
  listen: string;
  tls: WebhookTlsOptions;
  log: Logger;
  /** How often the certificate is refreshed; default a minute (tests make it shorter). */
  refreshMs?: number;
}): Promise<WebhookServer> {
  const { kc, log } = opts;
  const refresh = servingTls(kc, opts.tls, log);
  const refreshMs = opts.refreshMs ?? REFRESH_EVERY_MS;
  const cfg = migrationConfig(opts.config);
  await ensureRestoreKey(kc, opts.config.namespace).then(
    (key) => (cfg.restore.signer = { issuer: opts.config.namespace, key }),
    (err: unknown) =>
      log.warn(
        { err: String(err) },
        'no restore key: restores in place through the runc wrapper are off',
      ),
  );
  const review = (path: string, r: AdmissionRequest): Promise<object> => {
    // an operator acting on one namespace leaves the others' pods alone
    const watched = opts.config.watchNamespace;
    if (watched && r.namespace !== watched) return Promise.resolve({ uid: r.uid, allowed: true });
    return path === '/evict'
      ? reviewEviction(kc, r, log)
      : reviewPod(kc, r, cfg, opts.config.namespace, log);
  };
  const first = await refresh();
  let served = first?.cert;
  // without a certificate yet it listens all the same: handshakes fail until the first one
  const server: Server = createServer(first ?? {}, (req, res) => {
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
      const path = req.url?.split('?')[0] ?? '';
      if (req.method !== 'POST' || !['/evict', '/restore'].includes(path) || !request?.uid) {
        return reply(400, {
          message: 'expected a POST of an AdmissionReview to /evict or /restore',
        });
      }
      const respond = (response: object) =>
        reply(200, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
      review(path, request).then(respond, (err: unknown) => {
        // cannot tell: let it happen unchanged, as failurePolicy Ignore would
        log.warn(
          { err: String(err), pod: `${request.namespace}/${request.name}`, path },
          'admission review failed',
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
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(
      () => {
        refresh()
          .then((s) => {
            if (!s || s.cert === served) return;
            server.setSecureContext({ cert: s.cert, key: s.key });
            served = s.cert;
          })
          .catch((err: unknown) =>
            log.warn({ err: String(err) }, 'cannot renew the webhook certificate'),
          )
          .finally(schedule);
      },
      served ? refreshMs : Math.min(refreshMs, WAIT_EVERY_MS),
    );
    timer.unref();
  };
  schedule();
  log.info({ port: (server.address() as AddressInfo).port }, 'webhook serving');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
