/**
 * The agent DaemonSet of an EdgeNode, a pure function of the EdgeNode and the operator's
 * settings: one agent pod on every node the EdgeNode selects, sampling the node's cgroups and
 * /proc through read-only hostPath mounts and publishing to NATS. Owned by the EdgeNode
 * (cluster-scoped owner, namespaced dependent), so the garbage collector removes it with it.
 * Its spec hash annotation (runtime/daemonset.ts) lets the reconciler update it only when what
 * is composed here differs.
 */
import type { V1DaemonSet } from '@kubernetes/client-node';
import { API_VERSION, EDGE_NODE_KIND, type EdgeNode } from '../api/types.ts';
import { PART_OF_LABELS } from '../api/install.ts';
import { shortHash, specHashAnnotation } from '../runtime/daemonset.ts';

export const AGENT_NAME_LABEL = 'app.kubernetes.io/name';
export const AGENT_APP = 'continuum-agent';
export const EDGE_NODE_LABEL = 'continuum.dev/edgenode';

export interface AgentSettings {
  /** The project's image (it holds the `continuum agent` command). */
  image: string;
  /** dockerconfigjson Secret in {@link namespace} that pulls {@link image}, if it needs one. */
  imagePullSecret?: string;
  natsUrl: string;
  /** Namespace of the DaemonSets (the operator's). */
  namespace: string;
  serviceAccount: string;
}

/** A name or label value of at most 63 characters: cut, with a hash of the whole when cut. */
function fit(text: string): string {
  return text.length <= 63 ? text : `${text.slice(0, 52)}-${shortHash(text, 10)}`;
}

export function daemonSetName(edgeNode: string): string {
  return fit(`continuum-agent-${edgeNode}`);
}

/** Labels of the agent pods of an EdgeNode (also the DaemonSet's immutable selector). */
export function agentLabels(edgeNode: string): Record<string, string> {
  return { [AGENT_NAME_LABEL]: AGENT_APP, [EDGE_NODE_LABEL]: fit(edgeNode) };
}

export function agentDaemonSet(en: EdgeNode, s: AgentSettings): V1DaemonSet {
  const name = en.metadata.name!;
  const labels = agentLabels(name);
  const monitoring = en.spec.monitoring ?? { interval: '1s', cpuWindow: '1s' };
  const hostPath = (path: string) => ({ path, type: 'Directory' });
  const spec: V1DaemonSet['spec'] = {
    selector: { matchLabels: labels },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
    template: {
      metadata: { labels: { ...labels, ...PART_OF_LABELS } },
      spec: {
        serviceAccountName: s.serviceAccount,
        ...(s.imagePullSecret ? { imagePullSecrets: [{ name: s.imagePullSecret }] } : {}),
        nodeSelector: en.spec.nodeSelector,
        tolerations: [{ operator: 'Exists' }],
        containers: [
          {
            name: 'agent',
            image: s.image,
            command: ['continuum', 'agent'],
            args: [
              `--nats-url=${s.natsUrl}`,
              `--interval=${monitoring.interval}`,
              `--cpu-window=${monitoring.cpuWindow}`,
              '--cgroup-root=/host/sys/fs/cgroup',
              '--proc-root=/host/proc',
            ],
            env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            resources: {
              requests: { cpu: '10m', memory: '48Mi' },
              limits: { cpu: '100m', memory: '128Mi' },
            },
            securityContext: {
              runAsNonRoot: true,
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
            volumeMounts: [
              { name: 'cgroup', mountPath: '/host/sys/fs/cgroup', readOnly: true },
              { name: 'proc', mountPath: '/host/proc', readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: 'cgroup', hostPath: hostPath('/sys/fs/cgroup') },
          { name: 'proc', hostPath: hostPath('/proc') },
        ],
      },
    },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: daemonSetName(name),
      namespace: s.namespace,
      labels: { ...labels, ...PART_OF_LABELS },
      annotations: specHashAnnotation(spec),
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: EDGE_NODE_KIND,
          name,
          uid: en.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
}
