/**
 * Where a node's kubelet listens and which URL path asks it for a checkpoint. Pure functions
 * of the Node object, kept apart from the HTTP client so that they are unit-tested.
 */
import type { V1Node } from '@kubernetes/client-node';

/** The kubelet's address: the node's InternalIP and the port it publishes in its status. */
export interface KubeletEndpoint {
  host: string;
  port: number;
}

/**
 * The kubelet endpoint of a node, from `status.addresses` (InternalIP) and
 * `status.daemonEndpoints.kubeletEndpoint.Port`. Throws when the node publishes neither.
 */
export function kubeletEndpoint(node: V1Node): KubeletEndpoint {
  const name = node.metadata?.name ?? '';
  const host = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (!host) throw new Error(`node "${name}" has no InternalIP address in its status`);
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!port) throw new Error(`node "${name}" publishes no kubelet port in its status`);
  return { host, port };
}

/** `https://host:port`, with IPv6 addresses in brackets. */
export function endpointURL({ host, port }: KubeletEndpoint): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `/checkpoint/{namespace}/{pod}/{container}?timeout={seconds}`, each segment escaped. */
export function checkpointPath(
  namespace: string,
  pod: string,
  container: string,
  timeoutSeconds: number,
): string {
  const segments = [namespace, pod, container].map(encodeURIComponent).join('/');
  return `/checkpoint/${segments}?timeout=${Math.max(1, Math.ceil(timeoutSeconds))}`;
}

/** The archive path out of the kubelet's reply `{"items":["<path>"]}`; throws on any other shape. */
export function archiveFromReply(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`kubelet reply is not JSON: ${body.slice(0, 200)}`);
  }
  const items = (parsed as { items?: unknown }).items;
  if (!Array.isArray(items) || typeof items[0] !== 'string' || items[0] === '') {
    throw new Error(`kubelet reply names no archive: ${body.slice(0, 200)}`);
  }
  return items[0];
}

/**
 * Who refused a checkpoint and why, from a reply other than 200. Through the node proxy, a
 * reply that is a Kubernetes `Status` object comes from the API server itself (403 without
 * `create nodes/proxy`, 503 when it cannot reach the kubelet); any other is the kubelet's own.
 */
export function refusal(status: number, body: string, viaApiServerProxy: boolean): string {
  const detail = body.trim().slice(0, 300);
  if (!viaApiServerProxy) return `kubelet answered ${status}: ${detail}`;
  const message = statusMessage(body);
  return message === undefined
    ? `kubelet answered ${status} through the API server node proxy: ${detail}`
    : `the API server node proxy answered ${status}: ${message.slice(0, 300)}`;
}

/** The message of a Kubernetes `Status` object; undefined when `body` is none. */
function statusMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { kind?: unknown; message?: unknown };
    return parsed.kind === 'Status' && typeof parsed.message === 'string'
      ? parsed.message
      : undefined;
  } catch {
    return undefined;
  }
}
