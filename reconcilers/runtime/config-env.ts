/**
 * Every environment variable `continuum operator` reads, with its meaning, its default and the
 * flag that overrides it. configFromEnv (config.ts) reads through this table only, and the
 * operator's --help is printed from it ({@link environmentHelp}), so the two cannot drift. The
 * chart's ConfigMap (cdk8s/operator.ts) sets these names.
 */
import { AGENT_SERVICE_ACCOUNT, IMAGER_SERVICE_ACCOUNT } from '../api/install.ts';

export interface EnvVar {
  /** The flag that overrides it, with its argument (`--namespace NS`); absent: environment only. */
  flag?: string;
  /** What it does, for --help. */
  meaning: string;
  /** The value taken when it is unset or empty, parsed as a given one is; absent: none. */
  default?: string;
  /** How --help shows a default that is computed rather than {@link default} (`hostname-pid`). */
  shownDefault?: string;
}

export const OPERATOR_ENV = {
  CONTINUUM_KUBECONFIG: {
    flag: '--kubeconfig PATH',
    meaning: 'kubeconfig file; unset: in-cluster, else KUBECONFIG / ~/.kube/config',
  },
  POD_NAMESPACE: {
    flag: '--namespace NS',
    meaning: 'the operator namespace: the leader Lease, agents, restore installer',
    default: 'continuum-system',
  },
  CONTINUUM_NATS_URL: {
    flag: '--nats-url URL',
    meaning: 'NATS server(s) of the metrics path, comma-separated; unset: no trigger',
  },
  CONTINUUM_REGISTRY_REPOSITORY: {
    flag: '--registry-repository REPO',
    meaning: 'repository for checkpoint images when a Migration names none',
  },
  CONTINUUM_REGISTRY_CA: {
    flag: '--registry-ca PATH',
    meaning:
      'CA bundle of a registry with a private CA: the operator checks images with it and ' +
      'passes it to imaging Jobs',
  },
  CONTINUUM_KUBELET_CA: {
    flag: '--kubelet-ca PATH',
    meaning: 'CA bundle verifying kubelet serving certificates',
  },
  CONTINUUM_KUBELET_VIA_PROXY: {
    flag: '--kubelet-via-proxy',
    meaning: 'true: reach kubelets through the API server node proxy (needs nodes/proxy)',
    default: 'false',
  },
  CONTINUUM_LISTEN: {
    flag: '--listen ADDR',
    meaning: 'probes and metrics: /healthz /readyz /metrics',
    default: ':8080',
  },
  CONTINUUM_LEADER_ELECT: {
    flag: '--leader-elect BOOL',
    meaning: 'true|false: only the replica holding the Lease acts',
    default: 'true',
  },
  POD_NAME: {
    flag: '--identity NAME',
    meaning: 'this replica in the Lease and in the Events it records',
    shownDefault: 'hostname-pid',
  },
  CONTINUUM_IMAGE: {
    meaning: "continuum's own image: imaging Jobs, cleanup pods, agents, restore installer",
    default: 'ghcr.io/continuum-dev/continuum:0.1.0',
  },
  CONTINUUM_IMAGE_PULL_SECRET: {
    meaning: 'Secret that pulls it (imaging Jobs, cleanup pods, agents)',
  },
  CONTINUUM_IMAGER_SERVICE_ACCOUNT: {
    meaning: 'ServiceAccount of the imaging Jobs',
    default: IMAGER_SERVICE_ACCOUNT,
  },
  CONTINUUM_AGENT_SERVICE_ACCOUNT: {
    meaning: 'ServiceAccount of the agent DaemonSets',
    default: AGENT_SERVICE_ACCOUNT,
  },
  CONTINUUM_REGISTRY_PUSH_SECRET: { meaning: 'push Secret when a Migration names none' },
  CONTINUUM_REGISTRY_PULL_SECRET: { meaning: 'pull Secret when a Migration names none' },
  CONTINUUM_REGISTRY_PLAIN_HTTP: {
    meaning: 'true: the registry speaks plain HTTP',
    default: 'false',
  },
  CONTINUUM_CHECKPOINT_TIMEOUT: {
    meaning: 'seconds the kubelet may take per checkpoint',
    default: '60',
  },
  CONTINUUM_PULL_GRACE: {
    meaning: 'seconds an imaging or restored pod may fail to pull an image',
    default: '60',
  },
  CONTINUUM_JOB_TTL: {
    meaning: 'seconds a finished imaging or cleanup Job stays',
    default: '600',
  },
  CONTINUUM_MIGRATION_TTL_DONE: {
    meaning: 'seconds a Done Migration stays when its spec names no TTL; negative: kept',
    default: '3600',
  },
  CONTINUUM_MIGRATION_TTL_FAILED: {
    meaning: 'seconds a Failed Migration stays when its spec names no TTL; negative: kept',
    default: '604800',
  },
  CONTINUUM_WATCH_NAMESPACE: {
    meaning:
      'act on the Migrations and pods of this namespace only (no policy status; EdgeNodes ' +
      'only with an EdgeNode selector)',
  },
  CONTINUUM_EDGENODE_SELECTOR: {
    meaning: 'manage only the EdgeNodes this label selector matches',
  },
  CONTINUUM_WEBHOOK_LISTEN: {
    meaning: 'serve the eviction and restore webhook (HTTPS) there, e.g. :9443; unset: none',
  },
  CONTINUUM_WEBHOOK_HOSTS: {
    meaning: 'names in its certificate (comma-separated DNS names, IPs)',
  },
  CONTINUUM_WEBHOOK_CONFIGURATION: {
    meaning: 'its eviction ValidatingWebhookConfiguration (gets its CA)',
  },
  CONTINUUM_WEBHOOK_RESTORE_CONFIGURATION: {
    meaning: 'its restore MutatingWebhookConfiguration (gets its CA)',
  },
  CONTINUUM_WEBHOOK_TLS: {
    meaning:
      'who makes its certificate: operator (its own CA in Secret continuum-webhook-tls, put into ' +
      'the configurations) or cert-manager (the operator only reads that Secret; cert-manager ' +
      'issues it and its cainjector sets the caBundle)',
    default: 'operator',
  },
  CONTINUUM_RESTORE_RUNTIME_CLASS: {
    meaning: "RuntimeClass of continuum's runc wrapper, for pods restored through it",
    default: 'continuum',
  },
  CONTINUUM_RESTORE_INSTALLER: {
    meaning: 'true: run the DaemonSet that installs the runc wrapper on cloud nodes',
    default: 'false',
  },
  CONTINUUM_RESTORE_NODE_SELECTOR: {
    meaning: 'nodes the installer runs on, key=value,…',
    default: 'continuum.dev/layer=cloud',
  },
  CONTINUUM_RESTORE_HOST_DIR: {
    meaning: 'where the installer puts the wrapper on those nodes',
    default: '/opt/continuum',
  },
  CONTINUUM_LOG_LEVEL: {
    meaning: 'trace, debug, info, warn, error, fatal or silent',
    default: 'info',
  },
} as const satisfies Record<string, EnvVar>;

export type OperatorEnvName = keyof typeof OPERATOR_ENV;

/** Column of the descriptions in --help. */
const INDENT = 30;
const WIDTH = 96;

/**
 * The --help lines of the table: first the variables a flag overrides (`--flag ARG  meaning
 * [NAME] (default)`), then the environment-only ones (`NAME  meaning (default)`).
 */
export function environmentHelp(): { flags: string[]; environmentOnly: string[] } {
  const entries = Object.entries(OPERATOR_ENV) as Array<[OperatorEnvName, EnvVar]>;
  const line = (head: string, text: string) => wrap(`  ${head}`, text);
  const shown = (v: EnvVar) => {
    const value = v.shownDefault ?? v.default;
    return value === undefined ? '' : ` (${value})`;
  };
  return {
    flags: entries
      .filter(([, v]) => v.flag)
      .flatMap(([name, v]) => line(v.flag!, `${v.meaning} [${name}]${shown(v)}`)),
    environmentOnly: entries
      .filter(([, v]) => !v.flag)
      .flatMap(([name, v]) => line(name, `${v.meaning}${shown(v)}`)),
  };
}

/** `head` padded to the description column (or alone on its line), `text` wrapped below it. */
function wrap(head: string, text: string): string[] {
  const lines: string[] = [];
  const indent = ' '.repeat(INDENT);
  let current = head.padEnd(INDENT);
  if (head.length >= INDENT) {
    lines.push(head);
    current = indent;
  }
  for (const word of text.split(' ')) {
    if (current.length > INDENT && current.length + 1 + word.length > WIDTH) {
      lines.push(current);
      current = indent;
    }
    current += current.length === INDENT ? word : ` ${word}`;
  }
  lines.push(current);
  return lines;
}
