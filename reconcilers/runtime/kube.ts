/**
 * Access to the API server: loading the KubeConfig, merge patches of custom resources, reading
 * ApiException codes, and object keys (`namespace/name`, or `name` for cluster-scoped objects).
 */
import { existsSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { statusPatch } from './status-patch.ts';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The KubeConfig to use: the file at `path` when given, else the in-cluster configuration when
 * running in a pod, else the default (KUBECONFIG, ~/.kube/config). "In a pod" is what the
 * kubelet provides there, KUBERNETES_SERVICE_HOST and a ServiceAccount token — the contract
 * loadFromCluster itself reads, not a continuum setting, so it is looked at here and not in a
 * command's configuration.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new ReusingKubeConfig();
  if (path) kc.loadFromFile(path);
  // eslint-disable-next-line no-restricted-properties -- the in-pod contract, see above
  else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
  } else kc.loadFromDefault();
  return kc;
}

/**
 * A KubeConfig whose requests share one keep-alive agent: client-node 1.x makes a new Agent for
 * every request (API clients, watches, and list.ts's pages alike), so every request opened a
 * connection and paid a TLS handshake, on both sides. The agent is made from the first
 * request's TLS options: the server, CA and client certificate of the current context, which
 * this product never changes (a ServiceAccount token travels in a header, re-read as before).
 */
class ReusingKubeConfig extends KubeConfig {
  private agent: HttpAgent | undefined;

  override async applySecurityAuthentication(
    context: Parameters<KubeConfig['applySecurityAuthentication']>[0],
  ): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (made) context.setAgent(this.shared(made));
  }

  override async applyToHTTPSOptions(
    opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0],
  ): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    const made = (opts as RequestOptions).agent;
    if (made instanceof HttpAgent) (opts as RequestOptions).agent = this.shared(made);
  }

  private shared(made: HttpAgent): HttpAgent {
    this.agent ??=
      made instanceof HttpsAgent
        ? new HttpsAgent({ ...made.options, keepAlive: true })
        : new HttpAgent({ keepAlive: true });
    return this.agent;
  }
}

/**
 * Request options that send a body as a JSON merge patch (RFC 7386). Pass as the second
 * argument of any `patch*` call; custom resources refuse the generated default content type.
 */
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Names a custom resource: `namespace` is absent for cluster-scoped kinds. */
export interface CustomResourceRef {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name: string;
}

/**
 * Merge-patches a custom resource (or its status subresource when `status` is set) and returns
 * the object as stored. Throws ApiException (404 gone, 409 conflict when the patch carries
 * metadata.resourceVersion and it is stale).
 */
export async function patchCustomResource<T = unknown>(
  kc: KubeConfig,
  ref: CustomResourceRef,
  patch: object,
  opts: { status?: boolean } = {},
): Promise<T> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const { group, version, plural, name, namespace } = ref;
  if (namespace === undefined) {
    const params = { group, version, plural, name, body: patch };
    return (await (opts.status
      ? api.patchClusterCustomObjectStatus(params, mergePatch)
      : api.patchClusterCustomObject(params, mergePatch))) as T;
  }
  const params = { group, version, plural, name, namespace, body: patch };
  return (await (opts.status
    ? api.patchNamespacedCustomObjectStatus(params, mergePatch)
    : api.patchNamespacedCustomObject(params, mergePatch))) as T;
}

/**
 * Writes `status` to the object `stored` (as read) when it changed, resourceVersion-checked
 * (status-patch.ts). Returns whether it wrote.
 */
export async function writeStatus(
  kc: KubeConfig,
  ref: CustomResourceRef,
  stored: KubernetesObject & { status?: object },
  status: object,
): Promise<boolean> {
  const patch = statusPatch(stored, status);
  if (!patch) return false;
  await patchCustomResource(kc, ref, patch, { status: true });
  return true;
}

/** The HTTP status of an API error (ApiException or a watch error), else undefined. */
export function apiErrorCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; statusCode?: unknown };
    if (typeof e.statusCode === 'number') return e.statusCode;
    if (typeof e.code === 'number') return e.code;
  }
  return undefined;
}

/** `namespace/name`, or `name` for a cluster-scoped object. */
export function keyOf(obj: KubernetesObject): string {
  const { namespace, name } = obj.metadata ?? {};
  return namespace ? `${namespace}/${name}` : (name ?? '');
}

/** The inverse of {@link keyOf}. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
