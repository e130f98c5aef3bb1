/**
 * The operator's configuration, from flags with environment fallbacks (operator/command.ts
 * parses them). Handed to every controller factory; nothing else in the operator reads the
 * environment. The variables, their defaults and meanings are the table in config-env.ts.
 */
import { hostname } from 'node:os';
import { envReader, type Env } from './env-values.ts';

/**
 * Who makes the webhook's certificate, the values of CONTINUUM_WEBHOOK_TLS: the operator (its
 * own CA, webhook/tls.ts) or cert-manager (webhook/tls-cert-manager.ts reads what it issued).
 */
export const WEBHOOK_TLS_MODES = ['operator', 'cert-manager'] as const;
export type WebhookTlsMode = (typeof WEBHOOK_TLS_MODES)[number];

/** pino's levels, the values of CONTINUUM_LOG_LEVEL. */
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

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
  /** The registry speaks plain HTTP (one inside the cluster, without TLS). */
  registryPlainHttp: boolean;
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
  /**
   * Act on the Migrations (and pods) of this namespace only, all if undefined (tests sharing
   * a cluster): no MigrationPolicy status then, and EdgeNodes only with an EdgeNode selector.
   */
  watchNamespace?: string;
  /** pino level of the operator's log. */
  logLevel: string;
  /**
   * The project's own image (`continuum`), run by imaging Jobs, cleanup pods, agent DaemonSets
   * and the restore installer, and the dockerconfigjson Secret that pulls it, if private.
   */
  image: { name: string; pullSecret?: string };
  /** ServiceAccounts the imaging Jobs and the agent DaemonSets run as. */
  serviceAccounts: { imager: string; agent: string };
  /** How Migrations run, where their spec says nothing. */
  migration: {
    /** Push and pull Secrets used when spec.image names none. */
    pushSecret?: string;
    pullSecret?: string;
    /** Timeout the kubelet is given for one checkpoint. */
    checkpointTimeoutSeconds: number;
    /** How long an imaging or restored pod may fail to pull an image. */
    pullGraceSeconds: number;
    /** How long a finished imaging or cleanup Job stays. */
    jobTtlSeconds: number;
    /** How long a Done / Failed Migration stays; undefined: kept. */
    ttl: { doneSeconds?: number; failedSeconds?: number };
  };
  /** continuum's runc wrapper (restore/): its RuntimeClass, and its installer if wanted. */
  restore: {
    runtimeClassName: string;
    /** The DaemonSet that installs the wrapper: its nodes and their directory; undefined: none. */
    installer?: { nodeSelector: Record<string, string>; hostDir: string };
  };
  /** The eviction webhook (webhook/server.ts), served by every replica; undefined: none. */
  webhook?: {
    /** `host:port` or `:port` of the HTTPS server. */
    listen: string;
    /** DNS names and IP addresses its certificate names (the webhook Service's DNS name). */
    hosts: string[];
    /** The eviction (validating) and restore (mutating) configurations that get its CA. */
    configurations: { validating?: string; mutating?: string };
    /** Who makes its certificate; with cert-manager the operator writes neither it nor caBundle. */
    tls: WebhookTlsMode;
  };
}

/**
 * Defaults taken from the environment (flags override them); throws on a bad value, naming the
 * variable. Reads only the variables of OPERATOR_ENV, whose defaults it applies.
 */
export function configFromEnv(env: Env = process.env): OperatorConfig {
  const read = envReader(env);
  const webhookListen = read.string('CONTINUUM_WEBHOOK_LISTEN');
  const validating = read.string('CONTINUUM_WEBHOOK_CONFIGURATION');
  const mutating = read.string('CONTINUUM_WEBHOOK_RESTORE_CONFIGURATION');
  return {
    kubeconfig: read.string('CONTINUUM_KUBECONFIG'),
    namespace: read.string('POD_NAMESPACE')!,
    natsUrl: read.string('CONTINUUM_NATS_URL'),
    registryRepository: read.string('CONTINUUM_REGISTRY_REPOSITORY'),
    registryCA: read.string('CONTINUUM_REGISTRY_CA'),
    registryPlainHttp: read.boolean('CONTINUUM_REGISTRY_PLAIN_HTTP'),
    kubeletCA: read.string('CONTINUUM_KUBELET_CA'),
    kubeletViaProxy: read.boolean('CONTINUUM_KUBELET_VIA_PROXY'),
    listen: read.string('CONTINUUM_LISTEN')!,
    leaderElect: read.boolean('CONTINUUM_LEADER_ELECT'),
    identity: read.string('POD_NAME') ?? `${hostname()}-${process.pid}`,
    leaseName: 'continuum-operator',
    edgeNodeSelector: read.string('CONTINUUM_EDGENODE_SELECTOR'),
    ...(webhookListen
      ? {
          webhook: {
            listen: webhookListen,
            hosts: read.list('CONTINUUM_WEBHOOK_HOSTS'),
            configurations: {
              ...(validating ? { validating } : {}),
              ...(mutating ? { mutating } : {}),
            },
            tls: read.oneOf('CONTINUUM_WEBHOOK_TLS', WEBHOOK_TLS_MODES),
          },
        }
      : {}),
    watchNamespace: read.string('CONTINUUM_WATCH_NAMESPACE'),
    logLevel: read.oneOf('CONTINUUM_LOG_LEVEL', LOG_LEVELS),
    image: {
      name: read.string('CONTINUUM_IMAGE')!,
      pullSecret: read.string('CONTINUUM_IMAGE_PULL_SECRET'),
    },
    serviceAccounts: {
      imager: read.string('CONTINUUM_IMAGER_SERVICE_ACCOUNT')!,
      agent: read.string('CONTINUUM_AGENT_SERVICE_ACCOUNT')!,
    },
    migration: {
      pushSecret: read.string('CONTINUUM_REGISTRY_PUSH_SECRET'),
      pullSecret: read.string('CONTINUUM_REGISTRY_PULL_SECRET'),
      checkpointTimeoutSeconds: read.seconds('CONTINUUM_CHECKPOINT_TIMEOUT'),
      pullGraceSeconds: read.seconds('CONTINUUM_PULL_GRACE'),
      jobTtlSeconds: read.seconds('CONTINUUM_JOB_TTL'),
      ttl: {
        doneSeconds: read.ttlSeconds('CONTINUUM_MIGRATION_TTL_DONE'),
        failedSeconds: read.ttlSeconds('CONTINUUM_MIGRATION_TTL_FAILED'),
      },
    },
    restore: {
      runtimeClassName: read.string('CONTINUUM_RESTORE_RUNTIME_CLASS')!,
      ...(read.boolean('CONTINUUM_RESTORE_INSTALLER')
        ? {
            installer: {
              nodeSelector: read.labels('CONTINUUM_RESTORE_NODE_SELECTOR'),
              hostDir: read.string('CONTINUUM_RESTORE_HOST_DIR')!,
            },
          }
        : {}),
    },
  };
}
