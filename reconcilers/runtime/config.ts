/**
 * The operator's configuration, from flags with environment fallbacks (operator/command.ts
 * parses them). Handed to every controller factory.
 */
import { hostname } from 'node:os';

export interface OperatorConfig {
  /** Kubeconfig file; undefined → in-cluster, else the default (KUBECONFIG, ~/.kube/config). */
  kubeconfig?: string;
  /** The operator's namespace: where its Lease lives (and its Jobs run). */
  namespace: string;
  /** NATS server URL(s) of the metrics path, comma-separated; undefined → no trigger. */
  natsUrl?: string;
  /** Default image repository for checkpoint images, e.g. `registry:5000/continuum/checkpoints`. */
  registryRepository?: string;
  /** CA bundle (PEM file) of a registry with a private CA: image checks and imaging Jobs. */
  registryCA?: string;
  /** CA bundle (PEM file) that verifies kubelet serving certificates. */
  kubeletCA?: string;
  /** Reach kubelets through the API server node proxy (needs `nodes/proxy`) instead of directly. */
  kubeletViaProxy: boolean;
  /** Probe and metrics server address, `host:port` or `:port`. */
  listen: string;
  leaderElect: boolean;
  /** This replica's identity in the Lease. */
  identity: string;
  /** Name of the leader Lease. */
  leaseName: string;
  /**
   * Label selector of the EdgeNodes this operator manages (all if undefined): two installs in
   * one cluster split the EdgeNodes by it.
   */
  edgeNodeSelector?: string;
  /** The eviction webhook (webhook/server.ts), served by every replica; undefined: none. */
  webhook?: {
    /** `host:port` or `:port` of the HTTPS server. */
    listen: string;
    /** DNS names and IP addresses its certificate names (the webhook Service's DNS name). */
    hosts: string[];
    /** The eviction (validating) and restore (mutating) configurations that get its CA. */
    configurations: { validating?: string; mutating?: string };
  };
}

type Env = Record<string, string | undefined>;

/** Defaults taken from the environment (flags override them). */
export function configFromEnv(env: Env = process.env): OperatorConfig {
  return {
    kubeconfig: env.CONTINUUM_KUBECONFIG || undefined,
    namespace: env.POD_NAMESPACE || 'continuum-system',
    natsUrl: env.CONTINUUM_NATS_URL || undefined,
    registryRepository: env.CONTINUUM_REGISTRY_REPOSITORY || undefined,
    registryCA: env.CONTINUUM_REGISTRY_CA || undefined,
    kubeletCA: env.CONTINUUM_KUBELET_CA || undefined,
    kubeletViaProxy: env.CONTINUUM_KUBELET_VIA_PROXY === 'true',
    listen: env.CONTINUUM_LISTEN || ':8080',
    leaderElect: env.CONTINUUM_LEADER_ELECT !== 'false',
    identity: env.POD_NAME || `${hostname()}-${process.pid}`,
    leaseName: 'continuum-operator',
    edgeNodeSelector: env.CONTINUUM_EDGENODE_SELECTOR || undefined,
    ...(env.CONTINUUM_WEBHOOK_LISTEN
      ? {
          webhook: {
            listen: env.CONTINUUM_WEBHOOK_LISTEN,
            hosts: (env.CONTINUUM_WEBHOOK_HOSTS ?? '').split(',').filter(Boolean),
            configurations: {
              ...(env.CONTINUUM_WEBHOOK_CONFIGURATION
                ? { validating: env.CONTINUUM_WEBHOOK_CONFIGURATION }
                : {}),
              ...(env.CONTINUUM_WEBHOOK_RESTORE_CONFIGURATION
                ? { mutating: env.CONTINUUM_WEBHOOK_RESTORE_CONFIGURATION }
                : {}),
            },
          },
        }
      : {}),
  };
}
