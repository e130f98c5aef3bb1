/**
 * For the agent process tests: a node of the test's own (a Node object no kubelet or kwok
 * manages, so the test alone decides its pods' status and no policy of another test covers it),
 * pods on it whose status carries container IDs as a kubelet would write them, the agent as a
 * real `continuum agent` process, and a subscriber that collects its messages.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { connect, type NatsConnection } from 'nats';
import { startService, type Service } from '../env/process.ts';
import {
  metricsSubject,
  parseMetricsMessage,
  type MetricsMessage,
} from '../../reconcilers/agent/message.ts';
import { createNamespace } from '../env/service-account.ts';

const CLI = fileURLToPath(new URL('../../bin/continuum.js', import.meta.url));

export interface TestPod {
  name: string;
  uid: string;
  containerId: string;
  /** The cgroupfs-driver path of its container (burstable QoS). */
  cgroup: string;
}

export class TestNode {
  readonly name = `agent-${randomBytes(3).toString('hex')}`;
  readonly core: CoreV1Api;

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Creates the node and a namespace of the same name, both with `labels`. */
  async create(labels: Record<string, string> = {}): Promise<void> {
    await this.core.createNode({ body: { metadata: { name: this.name, labels } } });
    await createNamespace(this.name, labels);
  }

  /** A burstable pod "running" on the node with one container `app`. */
  async pod(name: string, limits: Record<string, string>): Promise<TestPod> {
    const created = await this.core.createNamespacedPod({
      namespace: this.name,
      body: {
        metadata: { name },
        spec: {
          nodeName: this.name,
          containers: [
            { name: 'app', image: 'busybox', resources: { limits, requests: { cpu: '10m' } } },
          ],
        },
      },
    });
    const containerId = randomBytes(32).toString('hex');
    const now = new Date().toISOString();
    await this.core.patchNamespacedPodStatus(
      {
        name,
        namespace: this.name,
        body: {
          status: {
            phase: 'Running',
            podIP: '10.0.1.9',
            containerStatuses: [
              {
                name: 'app',
                image: 'busybox',
                imageID: '',
                ready: true,
                restartCount: 0,
                started: true,
                containerID: `containerd://${containerId}`,
                state: { running: { startedAt: now } },
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const uid = created.metadata!.uid!;
    return { name, uid, containerId, cgroup: `kubepods/burstable/pod${uid}/${containerId}` };
  }

  async deletePod(name: string): Promise<void> {
    await this.core.deleteNamespacedPod({ name, namespace: this.name, gracePeriodSeconds: 0 });
  }

  async delete(): Promise<void> {
    await this.core.deleteNamespace({ name: this.name }).catch(() => undefined);
    await this.core.deleteNode({ name: this.name }).catch(() => undefined);
  }
}

export function startAgent(opts: {
  node: string;
  natsUrl: string;
  kubeconfig: string;
  cgroupRoot: string;
  /** The node's kubelet's cgroupRoot setting (default `/`). */
  kubeletCgroupRoot?: string;
  logDir: string;
}): Service {
  return startService(
    'agent',
    process.execPath,
    [
      CLI,
      'agent',
      `--node=${opts.node}`,
      `--nats-url=${opts.natsUrl}`,
      '--interval=1s',
      '--cpu-window=1s',
      `--cgroup-root=${opts.cgroupRoot}`,
      `--kubelet-cgroup-root=${opts.kubeletCgroupRoot ?? '/'}`,
      `--kubeconfig=${opts.kubeconfig}`,
    ],
    { logDir: opts.logDir },
  );
}

/** Collects the valid messages published for `node`. */
export class Collector {
  readonly messages: MetricsMessage[] = [];
  invalid = 0;
  private constructor(readonly nc: NatsConnection) {}

  static async start(natsUrl: string, node: string): Promise<Collector> {
    const nc = await connect({
      servers: natsUrl,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 200,
    });
    const c = new Collector(nc);
    nc.subscribe(metricsSubject(node), {
      callback: (_err, msg) => {
        const r = parseMetricsMessage(msg.data, node);
        if (r.ok) c.messages.push(r.message);
        else c.invalid++;
      },
    });
    await nc.flush();
    return c;
  }

  async stop(): Promise<void> {
    await this.nc.close();
  }
}
