/**
 * The operator's namespace, settings ConfigMap, Deployment and metrics Service. Every value a
 * user may change is a chart value (values.ts); the rest is fixed here.
 */
import { Chart } from 'cdk8s';
import {
  IntOrString,
  KubeConfigMap,
  KubeDeployment,
  KubeNamespace,
  KubeService,
  KubeMutatingWebhookConfiguration,
  KubeRuntimeClass,
  KubeValidatingWebhookConfiguration,
  Quantity,
} from 'cdk8s-plus-27/lib/imports/k8s.js';
import type { Construct } from 'constructs';
import {
  AGENT_SERVICE_ACCOUNT,
  IMAGER_SERVICE_ACCOUNT,
  OPERATOR_NAME,
  PART_OF_LABELS,
  WEBHOOK_SERVICE,
} from '../reconcilers/api/install.ts';
import { WEBHOOK_CERTIFICATE, WEBHOOK_HOST } from './cert-manager.ts';
import { raw, str, tpl } from './helm.ts';

const namespace = str('namespace');
const selector = {
  'app.kubernetes.io/name': 'continuum',
  'app.kubernetes.io/component': 'operator',
};
const labels = { ...selector, ...PART_OF_LABELS };
const PORT = 8080;
const WEBHOOK_PORT = 9443;
/** The webhook configurations, named after the release (they are cluster-wide). */
export const WEBHOOK_CONFIGURATION = tpl('printf "%s-eviction" .Release.Name | quote');
export const RESTORE_CONFIGURATION = tpl('printf "%s-restore" .Release.Name | quote');
/** Where the registry CA ConfigMap (registry.caConfigMap) is mounted in the operator. */
const REGISTRY_CA_DIR = '/etc/continuum/registry-ca';
/** `repository:tag`, the tag defaulting to the chart's appVersion. */
const image = `${tpl('.Values.image.repository')}:${tpl('.Values.image.tag | default .Chart.AppVersion')}`;

/** The namespace, allowed privileged pods (agents read host cgroups; imaging Jobs hostPath). */
export function namespaceChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'namespace');
  new KubeNamespace(chart, 'namespace', {
    metadata: {
      name: namespace,
      labels: { ...PART_OF_LABELS, 'pod-security.kubernetes.io/enforce': 'privileged' },
    },
  });
  return chart;
}

/** Settings the operator reads from its environment (configFromEnv in reconcilers/runtime). */
export function configMapChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'configmap');
  new KubeConfigMap(chart, 'config', {
    metadata: { name: OPERATOR_NAME, namespace, labels },
    data: {
      CONTINUUM_NATS_URL: str('natsUrl'),
      CONTINUUM_REGISTRY_REPOSITORY: str('registry.repository'),
      CONTINUUM_REGISTRY_PUSH_SECRET: str('registry.pushSecret'),
      CONTINUUM_REGISTRY_PULL_SECRET: str('registry.pullSecret'),
      CONTINUUM_REGISTRY_PLAIN_HTTP: tpl('.Values.registry.plainHttp | toString | quote'),
      CONTINUUM_JOB_TTL: tpl('.Values.jobTtlSeconds | toString | quote'),
      CONTINUUM_MIGRATION_TTL_DONE: tpl(
        '.Values.migrations.ttlSecondsAfterDone | toString | quote',
      ),
      CONTINUUM_MIGRATION_TTL_FAILED: tpl(
        '.Values.migrations.ttlSecondsAfterFailed | toString | quote',
      ),
      CONTINUUM_WATCH_NAMESPACE: str('watchNamespace'),
      CONTINUUM_EDGENODE_SELECTOR: str('edgeNodeSelector'),
      CONTINUUM_WEBHOOK_LISTEN: tpl(
        `.Values.webhook.enabled | ternary ":${WEBHOOK_PORT}" "" | quote`,
      ),
      CONTINUUM_WEBHOOK_HOSTS: WEBHOOK_HOST,
      CONTINUUM_WEBHOOK_CONFIGURATION: WEBHOOK_CONFIGURATION,
      CONTINUUM_WEBHOOK_RESTORE_CONFIGURATION: RESTORE_CONFIGURATION,
      CONTINUUM_WEBHOOK_TLS: tpl(
        '.Values.webhook.certManager.enabled | ternary "cert-manager" "operator" | quote',
      ),
      CONTINUUM_REGISTRY_CA: tpl(
        `empty .Values.registry.caConfigMap | ternary "" "${REGISTRY_CA_DIR}/ca.crt" | quote`,
      ),
      CONTINUUM_KUBELET_CA: str('kubelet.caFile'),
      CONTINUUM_KUBELET_VIA_PROXY: tpl('.Values.kubelet.viaProxy | toString | quote'),
      CONTINUUM_IMAGE: image,
      CONTINUUM_IMAGE_PULL_SECRET: str('image.pullSecret'),
      CONTINUUM_AGENT_SERVICE_ACCOUNT: AGENT_SERVICE_ACCOUNT,
      CONTINUUM_IMAGER_SERVICE_ACCOUNT: IMAGER_SERVICE_ACCOUNT,
      CONTINUUM_LISTEN: `:${PORT}`,
      CONTINUUM_LOG_LEVEL: str('logLevel'),
      NODE_OPTIONS: str('nodeOptions'),
      CONTINUUM_RESTORE_INSTALLER: tpl('.Values.restore.installer | toString | quote'),
      CONTINUUM_RESTORE_NODE_SELECTOR: str('restore.nodeSelector'),
      CONTINUUM_RESTORE_HOST_DIR: str('restore.hostDir'),
      CONTINUUM_RESTORE_RUNTIME_CLASS: str('restore.runtimeClass.name'),
    },
  });
  return chart;
}

function fieldEnv(name: string, fieldPath: string) {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

function quantities(kind: 'requests' | 'limits') {
  return {
    cpu: Quantity.fromString(str(`resources.${kind}.cpu`)),
    memory: Quantity.fromString(str(`resources.${kind}.memory`)),
  };
}

export function deploymentChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'deployment');
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: IntOrString.fromString('http') },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  new OperatorDeployment(chart, 'deployment', {
    metadata: { name: OPERATOR_NAME, namespace, labels },
    spec: {
      replicas: raw<number>('replicas'),
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: OPERATOR_NAME,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    topologyKey: 'kubernetes.io/hostname',
                    labelSelector: { matchLabels: selector },
                  },
                },
              ],
            },
          },
          containers: [
            {
              name: 'operator',
              image,
              imagePullPolicy: str('image.pullPolicy'),
              command: ['continuum', 'operator'],
              envFrom: [{ configMapRef: { name: OPERATOR_NAME } }],
              env: [
                fieldEnv('POD_NAME', 'metadata.name'),
                fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
              ],
              ports: [
                { name: 'http', containerPort: PORT, protocol: 'TCP' },
                { name: 'webhook', containerPort: WEBHOOK_PORT, protocol: 'TCP' },
              ],
              livenessProbe: probe('/healthz', 10),
              readinessProbe: probe('/readyz', 5),
              resources: { requests: quantities('requests'), limits: quantities('limits') },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'registry-ca', mountPath: REGISTRY_CA_DIR, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: {} },
            {
              // optional: without registry.caConfigMap it mounts nothing (and nothing reads it)
              name: 'registry-ca',
              configMap: {
                name: tpl('.Values.registry.caConfigMap | default "continuum-registry-ca" | quote'),
                optional: true,
              },
            },
          ],
        },
      },
    },
  });
  return chart;
}

/**
 * The Deployment with the pod fields that are whole lists or maps of values: imagePullSecrets
 * from `image.pullSecret` (`[]` or `[{name}]`: an item with an empty name would be wrong in every
 * pod), `nodeSelector` and `tolerations`. The typed class takes only lists and maps there, and
 * converts patches too, so the template expressions go in after its conversion.
 */
class OperatorDeployment extends KubeDeployment {
  override toJson(): { spec: { template: { spec: Record<string, unknown> } } } {
    const json = super.toJson() as { spec: { template: { spec: Record<string, unknown> } } };
    Object.assign(json.spec.template.spec, {
      imagePullSecrets: tpl(
        'empty .Values.image.pullSecret | ternary (list) (list (dict "name" .Values.image.pullSecret)) | toJson',
      ),
      nodeSelector: tpl('.Values.nodeSelector | toJson'),
      tolerations: tpl('.Values.tolerations | toJson'),
    });
    return json;
  }
}

/** Prometheus scrapes /metrics on port 8080 (the probes' port) through this Service. */
export function serviceChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'service');
  new KubeService(chart, 'service', {
    metadata: {
      name: `${OPERATOR_NAME}-metrics`,
      namespace,
      labels,
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(PORT),
        'prometheus.io/path': '/metrics',
      },
    },
    spec: {
      selector,
      ports: [{ name: 'http-metrics', port: PORT, targetPort: IntOrString.fromString('http') }],
    },
  });
  return chart;
}

/**
 * The webhooks: their Service (every operator replica), the configuration that sends it the
 * evictions of pods, and the one that sends it the pods StatefulSets create (restored in place)
 * — of `watchNamespace` if set, else of every namespace but kube-system and the operator's. Ignore on
 * failure and a 5 s timeout: a webhook that is down never blocks an eviction. No caBundle here:
 * the operator puts its own CA in, or with `webhook.certManager.enabled` cert-manager's
 * cainjector puts in the CA of the Certificate the annotation names (cert-manager.ts).
 */
export function webhookChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'webhook');
  new KubeService(chart, 'service', {
    metadata: { name: WEBHOOK_SERVICE, namespace, labels },
    spec: {
      selector,
      ports: [{ name: 'webhook', port: 443, targetPort: IntOrString.fromString('webhook') }],
    },
  });
  new EvictionWebhookConfiguration(chart, 'configuration', {
    metadata: { name: WEBHOOK_CONFIGURATION, labels },
    webhooks: [
      {
        name: 'eviction.continuum.dev',
        admissionReviewVersions: ['v1'],
        sideEffects: 'NoneOnDryRun',
        failurePolicy: 'Ignore',
        timeoutSeconds: 5,
        matchPolicy: 'Equivalent',
        clientConfig: { service: { name: WEBHOOK_SERVICE, namespace, path: '/evict', port: 443 } },
        rules: [
          {
            operations: ['CREATE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods/eviction'],
            scope: 'Namespaced',
          },
        ],
        namespaceSelector: NAMESPACES,
      },
    ],
  });
  new RestoreWebhookConfiguration(chart, 'restore', {
    metadata: { name: RESTORE_CONFIGURATION, labels },
    webhooks: [
      {
        name: 'restore.continuum.dev',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        timeoutSeconds: 5,
        reinvocationPolicy: 'Never',
        clientConfig: {
          service: { name: WEBHOOK_SERVICE, namespace, path: '/restore', port: 443 },
        },
        rules: [
          {
            operations: ['CREATE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
        // the pods of StatefulSets only
        objectSelector: {
          matchExpressions: [{ key: 'statefulset.kubernetes.io/pod-name', operator: 'Exists' }],
        },
        namespaceSelector: NAMESPACES,
      },
    ],
  });
  return chart;
}

/** Filled in by scoped(), after the typed conversion. */
const NAMESPACES = {
  matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [] }],
};

type WebhooksJson = {
  metadata: { annotations?: unknown };
  webhooks: { namespaceSelector: { matchExpressions: Record<string, unknown>[] } }[];
};

/**
 * With `webhook.certManager.enabled`, the annotation that has cert-manager's cainjector set
 * every webhook's caBundle to the CA of the serving Certificate; else no annotation. A map only
 * a template can make, set after the typed conversion.
 */
function injected(json: WebhooksJson): WebhooksJson {
  json.metadata.annotations = tpl(
    `.Values.webhook.certManager.enabled | ternary (dict "cert-manager.io/inject-ca-from" (printf "%s/${WEBHOOK_CERTIFICATE}" .Values.namespace)) (dict) | toJson`,
  );
  return json;
}

/**
 * The namespaces a webhook's selector names — `watchNamespace`, else all but kube-system and
 * the operator's — a list only a template can make, set after the typed conversion.
 */
function scoped(json: WebhooksJson): WebhooksJson {
  const expression = json.webhooks[0]!.namespaceSelector.matchExpressions[0]!;
  expression.operator = tpl('empty .Values.watchNamespace | ternary "NotIn" "In" | quote');
  expression.values = tpl(
    'empty .Values.watchNamespace | ternary (list "kube-system" .Values.namespace) (list .Values.watchNamespace) | toJson',
  );
  return json;
}

class EvictionWebhookConfiguration extends KubeValidatingWebhookConfiguration {
  override toJson(): WebhooksJson {
    return injected(scoped(super.toJson() as WebhooksJson));
  }
}

class RestoreWebhookConfiguration extends KubeMutatingWebhookConfiguration {
  override toJson(): WebhooksJson {
    return injected(scoped(super.toJson() as WebhooksJson));
  }
}

/** The RuntimeClass of pods restored through continuum's runc wrapper (restore.runtimeClass). */
export function runtimeClassChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'runtime-class');
  new KubeRuntimeClass(chart, 'runtime-class', {
    metadata: { name: str('restore.runtimeClass.name'), labels: PART_OF_LABELS },
    handler: str('restore.runtimeClass.handler'),
  });
  return chart;
}
