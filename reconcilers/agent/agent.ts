/**
 * The agent loop: every interval, sample the node's pods (from a pod informer filtered on
 * `spec.nodeName`) and publish the message. NATS and the API server are both optional at any
 * moment: the informer retries on its own, NATS reconnects forever, and while NATS is down the
 * samples are skipped (stale metrics are worthless to the trigger) but sampling goes on, so CPU
 * windows stay warm.
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { NatsConnection } from 'nats';
import { Informer } from '../runtime/informer.ts';
import type { Logger } from '../runtime/log.ts';
import { connectUntilAborted } from '../runtime/nats.ts';
import { detectHierarchies } from './cgroup-files.ts';
import { parseKubeletCgroupRoot } from './cgroup-paths.ts';
import { metricsSubject } from './message.ts';
import { Sampler, type PodRef } from './sampler.ts';

export interface AgentOptions {
  node: string;
  natsUrl: string;
  intervalMs: number;
  cpuWindowMs: number;
  cgroupRoot: string;
  /** The kubelet's `cgroupRoot` setting, where pod cgroups start in each hierarchy (`/`). */
  kubeletCgroupRoot: string;
  procRoot: string;
  kubeconfig?: string;
}

/** The pod as the sampler sees it; pods that finished have no cgroups left. */
export function podRef(pod: V1Pod): PodRef | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const containers = (pod.status?.containerStatuses ?? []).map((c) => ({
    name: c.name,
    containerID: c.containerID,
  }));
  if (!pod.metadata?.uid || containers.length === 0) return undefined;
  return {
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name ?? '',
    uid: pod.metadata.uid,
    resourceVersion: pod.metadata.resourceVersion,
    qosClass: pod.status?.qosClass,
    containers,
  };
}

export class Agent {
  private readonly pods: Informer<V1Pod>;
  private readonly sampler: Sampler;
  private readonly encoder = new TextEncoder();
  private nc: NatsConnection | undefined;
  private connecting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Aborted by stop: ends sampling and the attempts to reach NATS. */
  private readonly abort = new AbortController();
  /** Connected to NATS right now (status events); messages are not queued while offline. */
  private online = false;
  private failures = 0;
  private refs = new Map<string, { rv?: string; ref?: PodRef }>();

  constructor(
    private readonly opts: AgentOptions,
    kc: KubeConfig,
    private readonly log: Logger,
  ) {
    this.pods = new Informer<V1Pod>(
      kc,
      { path: '/api/v1/pods', fieldSelector: `spec.nodeName=${opts.node}` },
      log,
    );
    this.sampler = new Sampler({
      node: opts.node,
      hierarchies: detectHierarchies(opts.cgroupRoot),
      kubeletCgroupRoot: parseKubeletCgroupRoot(opts.kubeletCgroupRoot),
      procRoot: opts.procRoot,
      intervalMs: opts.intervalMs,
      cpuWindowMs: opts.cpuWindowMs,
    });
  }

  start(): void {
    this.pods.start();
    this.connecting = this.connect();
    const first = Date.now();
    let n = 0;
    const tick = (): void => {
      if (this.abort.signal.aborted) return;
      this.tick();
      n++;
      this.timer = setTimeout(tick, Math.max(0, first + n * this.opts.intervalMs - Date.now()));
    };
    tick();
    this.log.info({ intervalMs: this.opts.intervalMs }, 'agent started');
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    await this.pods.stop();
    this.sampler.close();
    await this.nc?.drain().catch(() => undefined);
    await this.connecting;
  }

  private tick(): void {
    try {
      const refs = this.podRefs();
      const message = this.sampler.sample(refs);
      this.failures = 0;
      const nc = this.nc;
      if (!nc || !this.online) return;
      nc.publish(metricsSubject(this.opts.node), this.encoder.encode(JSON.stringify(message)));
    } catch (err) {
      if (this.failures++ % 60 === 0) this.log.error({ err: String(err) }, 'cannot sample');
    }
  }

  /** The sampler's view of the cached pods, rebuilt only for pods that changed. */
  private podRefs(): PodRef[] {
    const refs: PodRef[] = [];
    const fresh = new Map<string, { rv?: string; ref?: PodRef }>();
    for (const pod of this.pods.list()) {
      const uid = pod.metadata?.uid ?? '';
      const rv = pod.metadata?.resourceVersion;
      let entry = this.refs.get(uid);
      if (!entry || entry.rv !== rv) entry = { rv, ref: podRef(pod) };
      fresh.set(uid, entry);
      if (entry.ref) refs.push(entry.ref);
    }
    this.refs = fresh;
    return refs;
  }

  private async connect(): Promise<void> {
    const options = {
      servers: this.opts.natsUrl.split(','),
      name: `continuum-agent-${this.opts.node}`,
    };
    const nc = await connectUntilAborted(options, this.abort.signal, this.log);
    if (!nc) return;
    if (this.abort.signal.aborted) return void (await nc.close()); // stopped meanwhile
    this.nc = nc;
    this.online = true;
    this.log.info({ server: nc.getServer() }, 'connected to NATS');
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.online = false;
      if (s.type === 'reconnect') this.online = true;
      this.log.info({ type: s.type, data: String(s.data) }, 'NATS connection status');
    }
  }
}
