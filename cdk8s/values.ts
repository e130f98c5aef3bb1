/**
 * The chart's values.yaml: its defaults and the comment above each key. Templates refer to these
 * paths through the placeholders of helm.ts; the drift test keeps values.yaml and templates in step.
 */
import { OPERATOR_NAMESPACE } from '../reconcilers/api/types.ts';

export const CHART_VERSION = '0.1.0';
export const APP_VERSION = '0.1.0';

export const defaultValues = {
  image: {
    repository: 'ghcr.io/continuum-dev/continuum',
    tag: '',
    pullPolicy: 'IfNotPresent',
    pullSecret: '',
  },
  replicas: 2,
  namespace: OPERATOR_NAMESPACE,
  createNamespace: true,
  watchNamespace: '',
  edgeNodeSelector: '',
  natsUrl: 'nats://nats.nats.svc:4222',
  registry: {
    repository: '',
    pushSecret: '',
    pullSecret: '',
    caConfigMap: '',
    plainHttp: false,
  },
  jobTtlSeconds: 600,
  migrations: { ttlSecondsAfterDone: 3600, ttlSecondsAfterFailed: 604800 },
  webhook: {
    enabled: true,
    certManager: {
      enabled: false,
      issuerRef: { name: '', kind: 'Issuer', group: 'cert-manager.io' },
    },
  },
  restore: {
    installer: true,
    nodeSelector: 'continuum.dev/layer=cloud',
    hostDir: '/opt/continuum',
    runtimeClass: { create: true, name: 'continuum', handler: 'continuum' },
  },
  kubelet: { caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', viaProxy: false },
  logLevel: 'info',
  nodeOptions: '--max-old-space-size=96 --max-semi-space-size=4',
  resources: {
    requests: { cpu: '100m', memory: '128Mi' },
    limits: { cpu: '1', memory: '512Mi' },
  },
  nodeSelector: {} as Record<string, string>,
  tolerations: [] as object[],
};

/** Comments written above keys of values.yaml, by dotted path. */
export const valueComments: Record<string, string> = {
  image: 'The product image: `continuum operator`, `agent` and `imager` in one.',
  'image.tag': "Empty: the chart's appVersion.",
  'image.pullSecret':
    'Name of a kubernetes.io/dockerconfigjson Secret that pulls the image from a private registry.\n' +
    'The operator and agent pods use it in the operator namespace; the imaging Jobs and cleanup\n' +
    "pods run in each Migration's namespace, so it must exist there too. Empty: none.",
  replicas:
    'Operator replicas. Two by default: one leader acts, the other waits on the Lease and takes\n' +
    'over within 15 s if the leader or its node dies, so migrations in flight are not stranded.',
  namespace: 'Namespace of the operator, its Lease, the agent DaemonSets and the ServiceAccounts.',
  createNamespace:
    'Create the namespace (labelled for privileged pods: the agent reads host cgroups and the\n' +
    'imaging Jobs mount the checkpoint directory). false when Argo CD or you create it.',
  watchNamespace:
    'Act on the Migrations and MigrationPolicies of this namespace only. Empty: all namespaces.\n' +
    'An operator watching one namespace manages EdgeNodes only with edgeNodeSelector.',
  edgeNodeSelector:
    'Label selector of the EdgeNodes this install manages (e.g. `continuum.dev/install=canary`),\n' +
    'for two installs in one cluster. Empty: all EdgeNodes (unless watchNamespace is set).',
  natsUrl: 'NATS server(s) of the metrics path, comma-separated.',
  'migrations.ttlSecondsAfterDone':
    'Seconds a Done Migration stays before the operator deletes it, unless its\n' +
    'spec.ttlSecondsAfterFinished (or its policy) says otherwise. -1: kept.',
  'migrations.ttlSecondsAfterFailed':
    'The same for a Failed Migration: kept longer, to find out why. -1: kept.',
  'registry.repository':
    "Default repository for checkpoint images (a Migration's spec.image.repository wins).",
  'registry.pushSecret':
    'Name of a kubernetes.io/dockerconfigjson Secret the imaging Jobs push with. It must exist\n' +
    'in the namespace of each Migration: the imaging Job runs there (a Migration may name its own).',
  'registry.pullSecret':
    'Name of a kubernetes.io/dockerconfigjson Secret restored pods pull with, in the namespace\n' +
    'of each Migration (a Migration may name its own).',
  'registry.caConfigMap':
    'Name of a ConfigMap in the operator namespace whose key `ca.crt` is the PEM CA bundle of a\n' +
    'registry with a private CA. The operator checks images with it and hands it to the\n' +
    "imaging Jobs. The nodes' container runtime must trust the same CA to pull restored images.",
  'registry.plainHttp':
    'The registry speaks plain HTTP (one inside the cluster, without TLS): the operator and the\n' +
    "imaging Jobs use http://. The nodes' container runtime must be told too (containerd:\n" +
    'hosts.toml with an http:// server; CRI-O: an insecure registry).',
  jobTtlSeconds:
    'Seconds a finished imaging or cleanup Job stays, with its pods and their logs, before\n' +
    'Kubernetes removes it (ttlSecondsAfterFinished).',
  'kubelet.caFile':
    'CA bundle (in the operator container) that verifies kubelet serving certificates.',
  'kubelet.viaProxy':
    'Reach kubelets through the API server node proxy instead of directly; grants `nodes/proxy`.\n' +
    "The kubelets then authorise the API server's kubelet client identity: it needs\n" +
    '`create nodes/checkpoint` (system:kubelet-api-admin does not grant it).',
  'webhook.enabled':
    'Serve the eviction webhook (every operator replica, port 9443, Service continuum-webhook):\n' +
    'evictions of pods on EdgeNodes with evictionPolicy Migrate become Migrations. Its\n' +
    'failurePolicy is Ignore: a webhook that is down never blocks an eviction. The operator makes\n' +
    'its certificate (Secret continuum-webhook-tls) and keeps the caBundle set (Argo CD: ignore\n' +
    'differences on webhooks[].clientConfig.caBundle), unless webhook.certManager.enabled.',
  'webhook.certManager.enabled':
    'Have cert-manager (installed separately, v1 API) make the webhook certificate instead: a\n' +
    'Certificate writes Secret continuum-webhook-tls for continuum-webhook.<namespace>.svc and\n' +
    "cert-manager's cainjector sets the caBundle (annotation cert-manager.io/inject-ca-from on\n" +
    'both webhook configurations). The operator then only reads the Secret, picks up renewals\n' +
    'within a minute, and has no right to write it or the configurations.',
  'webhook.certManager.issuerRef':
    'Issuer of that Certificate. Empty name: the chart makes its own, a self-signed Issuer\n' +
    'that signs a ten-year CA (Certificate and Secret continuum-webhook-ca) and the Issuer\n' +
    'continuum-webhook-ca that signs with it. kind: Issuer (in the operator namespace) or\n' +
    'ClusterIssuer; group: cert-manager.io, or that of an external issuer.',
  'restore.installer':
    'Run the restore installer DaemonSet (continuum-restore) on the nodes restore.nodeSelector\n' +
    "selects: it puts continuum's runc wrapper in restore.hostDir, where the runtime handler of\n" +
    'the RuntimeClass must name it (README: containerd and CRI-O snippets). Nodes where its pod\n' +
    'is Ready take restores through the RuntimeClass (restoreMode Auto or RuntimeClass). Its pods\n' +
    'run as root with that host directory mounted.',
  'restore.nodeSelector': 'Nodes of the restore installer, as `key=value,…`.',
  'restore.hostDir':
    "Host directory of the wrapper: the handler's runtime binary is\n`<hostDir>/continuum-runc`.",
  'restore.runtimeClass.create':
    'Create the RuntimeClass. false when your cluster already has one for the handler.',
  'restore.runtimeClass.name': 'RuntimeClass of pods restored through the wrapper.',
  'restore.runtimeClass.handler':
    "The container runtime's handler that runs `<hostDir>/continuum-runc` (containerd:\n" +
    '`runtimes.<handler>`; CRI-O: `runtimes.<handler>`).',
  logLevel: 'Log level: debug, info, warn or error.',
  nodeOptions:
    "NODE_OPTIONS of the operator: V8's heap limits. The defaults keep 1000 Migrations and\n" +
    'their pods within about 150 MiB (README "Performance"); raise --max-old-space-size with\n' +
    'resources.limits.memory for a larger fleet (a heap at its limit makes the process exit).',
  resources: 'Requests and limits of the operator container.',
  nodeSelector: 'nodeSelector of the operator pods.',
  tolerations: 'Tolerations of the operator pods (e.g. to run on tainted control-plane nodes).',
};
