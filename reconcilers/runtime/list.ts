/**
 * Lists a collection path as raw JSON (as the watch delivers it, so cache entries look alike),
 * page by page. Errors carry `statusCode` (410 when a continue token expired).
 */
import { request, type RequestOptions } from 'node:https';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { apiErrorCode } from './kube.ts';

interface ListPage<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/**
 * Every object at `path` matching the selectors, each as `keep` makes it page by page (so that
 * a large list is never held whole), and the list's resourceVersion.
 */
export async function listAll<T extends KubernetesObject>(
  kc: KubeConfig,
  opts: { path: string; labelSelector?: string; fieldSelector?: string },
  signal?: AbortSignal,
  keep: (obj: T) => T = (obj) => obj,
): Promise<{ items: T[]; resourceVersion: string }> {
  const items: T[] = [];
  let token: string | undefined;
  let resourceVersion = '';
  do {
    const query = new URLSearchParams({ limit: '500' });
    if (opts.labelSelector) query.set('labelSelector', opts.labelSelector);
    if (opts.fieldSelector) query.set('fieldSelector', opts.fieldSelector);
    if (token) query.set('continue', token);
    const page = await getJson<ListPage<T>>(kc, `${opts.path}?${query}`, signal);
    for (const item of page.items ?? []) items.push(keep(item));
    resourceVersion = page.metadata?.resourceVersion ?? '';
    token = page.metadata?.continue || undefined;
  } while (token);
  return { items, resourceVersion };
}

/**
 * GETs a path of the API server and parses the JSON body; non-2xx rejects with statusCode.
 * Times out after 60 s; `signal` aborts it.
 */
export async function getJson<T>(kc: KubeConfig, path: string, signal?: AbortSignal): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const url = new URL(cluster.server + path);
  const opts: RequestOptions = { method: 'GET', timeout: 60_000, ...(signal ? { signal } : {}) };
  await kc.applyToHTTPSOptions(opts);
  return new Promise<T>((resolve, reject) => {
    const req = request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          const err = new Error(`GET ${url.pathname}: HTTP ${status}: ${body.slice(0, 300)}`);
          return reject(Object.assign(err, { statusCode: status }));
        }
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url.pathname}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** {@link getJson}, undefined when the object does not exist (404). */
export async function getJsonOrUndefined<T>(kc: KubeConfig, path: string): Promise<T | undefined> {
  try {
    return await getJson<T>(kc, path);
  } catch (err) {
    if (apiErrorCode(err) === 404) return undefined;
    throw err;
  }
}
