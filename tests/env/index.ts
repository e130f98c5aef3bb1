/**
 * The test environment: a real control plane, kwok nodes, NATS and three registries, with free
 * ports, one kwok node on a veth link of its own for the API server's node proxy, and two real
 * nodes (kubelet, containerd, runc, CRIU) on the same link, whose pods reach the API server
 * through the `kubernetes` Service (a TCP relay on its ClusterIP), NATS and two of the registries. {@link startEnv}
 * brings it all up; `stop()` tears it down and removes every file, link, cgroup and process it
 * made, and puts back the sysctls the kubelets changed.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from './control-plane.ts';
import type { RealNode, TestEnvInfo } from './info.ts';
import { DEFAULT_NODES, startKwok } from './kwok.ts';
import { createNodeLink, removeStaleLinks } from './link.ts';
import { startNats } from './nats.ts';
import { startTcpProxy } from '../runtime/tcp-proxy.ts';
import { bindKubeletClient } from './node-proxy.ts';
import { KUBELET_CLIENT_USER, makePki } from './pki.ts';
import type { Service } from './process.ts';
import { startNodeSimulations } from '../sim/nodes.ts';
import { pushLayout, startRegistry } from './registry.ts';
import { isAlive, sweepHostState } from './host-state.ts';
import { realNodesWanted, startRealNodes } from './real-nodes.ts';
import { buildProductImage } from './product-image.ts';

export interface RunningEnv {
  info: TestEnvInfo;
  /** Path of the JSON file that tests read through CONTINUUM_TEST_ENV. */
  infoFile: string;
  stop(): Promise<void>;
}

function cacheDir(): string {
  return process.env.CONTINUUM_CACHE ?? join(process.env.HOME ?? '/root', '.cache/continuum');
}

export function binDir(): string {
  return process.env.CONTINUUM_BIN ?? join(cacheDir(), 'bin');
}

// etcd and JetStream write many small synced files: keep them in memory where we can.
const dataRoot = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

const PROXY_NODE = 'edge-proxy';

/**
 * Removes the directories and veth links of earlier environments whose process is gone
 * (killed without a chance to clean up). Their names carry the owning process id.
 */
async function removeStaleLeftovers(): Promise<void> {
  await sweepHostState((pid) => !isAlive(pid));
  removeStaleLinks((pid) => !isAlive(pid));
  for (const root of new Set([tmpdir(), dataRoot])) {
    for (const entry of readdirSync(root)) {
      const owner = /^continuum-(?:env|data)-(\d+)-/.exec(entry)?.[1];
      if (owner && !isAlive(Number(owner))) {
        rmSync(join(root, entry), { recursive: true, force: true });
      }
    }
  }
}

export async function startEnv(log: (line: string) => void = () => {}): Promise<RunningEnv> {
  await removeStaleLeftovers();
  const workDir = mkdtempSync(join(tmpdir(), `continuum-env-${process.pid}-`));
  const dataDir = mkdtempSync(join(dataRoot, `continuum-data-${process.pid}-`));
  const services: Array<Pick<Service, 'stop'>> = [];
  const stop = async () => {
    for (const service of services.reverse()) await service.stop();
    rmSync(workDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const started = Date.now();
    const step = (what: string) => log(`${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const link = createNodeLink(process.pid);
    services.push({ stop: async () => link.remove() });
    const pki = makePki(workDir, [link.address, link.peerAddress, link.serviceAddress]);
    const bin = binDir();
    const credentials = { workDir, username: 'continuum', password: 'registry-secret' };
    const [controlPlane, nats, registry, tlsRegistry, httpRegistry] = await Promise.all([
      startControlPlane({ workDir, dataDir, binDir: bin, pki, serviceRange: link.serviceRange }),
      startNats(workDir, dataDir, link.address),
      startRegistry({ name: 'registry', ...credentials }),
      startRegistry({
        name: 'registry-tls',
        ...credentials,
        tls: { cert: pki.servingCert, key: pki.servingKey, caFile: pki.caCert },
        address: link.address,
      }),
      startRegistry({ name: 'registry-http', ...credentials, address: link.address }),
    ]);
    services.push(...controlPlane.services, nats.service);
    services.push(registry.service, tlsRegistry.service, httpRegistry.service);
    // what kube-proxy would do (none runs here: no iptables): pods reach the API server at the
    // `kubernetes` Service's ClusterIP, an address of the link; TLS passes through untouched
    const relay = await startTcpProxy(Number(new URL(controlPlane.apiServer).port), {
      host: link.serviceAddress,
      port: 443,
    });
    services.push({ stop: () => relay.close() });
    step('control plane, NATS, registries and the kubernetes Service relay up');
    await bindKubeletClient(controlPlane.kubeconfig);
    const proxyNode = {
      name: PROXY_NODE,
      layer: 'edge' as const,
      address: link.address,
      taints: [{ key: 'test.continuum.dev/node-proxy', value: 'true', effect: 'NoSchedule' }],
    };
    const kwok = await startKwok({
      workDir,
      binDir: bin,
      kubeconfig: controlPlane.kubeconfig,
      nodes: [...DEFAULT_NODES, proxyNode],
    });
    services.push(kwok.service);
    step(`kwok nodes ready: ${kwok.nodes.map((n) => `${n.name} (${n.layer})`).join(', ')}`);
    const nodeSimulationLog = join(workDir, 'node-simulations.log');
    const simulations = await startNodeSimulations({
      kubeconfig: controlPlane.kubeconfig,
      caFile: pki.caCert,
      certFile: pki.servingCert,
      keyFile: pki.servingKey,
      nodes: kwok.nodes,
      logFile: nodeSimulationLog,
    });
    services.push({ stop: () => simulations.stop() });
    step('simulated kubelets and job runner up');
    const images = {
      busybox: '',
      continuum: '',
      busyboxLayout: join(cacheDir(), 'images', 'busybox'),
    };
    const realNodes: RealNode[] = [];
    if (realNodesWanted()) {
      const layout = (name: string) => join(cacheDir(), 'images', name);
      const product = buildProductImage(workDir, tlsRegistry.info, pki.caCert);
      product.catch(() => undefined); // awaited below, once the nodes are up
      images.busybox = await pushLayout(
        tlsRegistry.info,
        pki.caCert,
        images.busyboxLayout,
        'busybox',
        '1.35',
      );
      const real = await startRealNodes({
        pid: process.pid,
        addresses: [link.address, link.peerAddress],
        workDir,
        binDir: bin,
        // where scripts/provision-real-node.sh builds CONTAINERD_24_VERSION
        containerd24Dir: join(cacheDir(), 'containerd-v2.4.2'),
        pki,
        kubeconfig: controlPlane.kubeconfig,
        apiServer: controlPlane.apiServer,
        registries: [
          { host: tlsRegistry.info.host, tls: true },
          { host: httpRegistry.info.host, tls: false },
        ],
        pauseLayout: layout('pause'),
      });
      services.push({ stop: () => real.stop() });
      realNodes.push(...real.nodes);
      step(`real nodes Ready: ${real.nodes.map((n) => `${n.name} (${n.layer})`).join(', ')}`);
      images.continuum = await product;
      step(`product image built and pushed: ${images.continuum}`);
    } else {
      step('real nodes skipped (CONTINUUM_REAL_NODES=0)');
    }
    const info: TestEnvInfo = {
      workDir,
      kubeconfig: controlPlane.kubeconfig,
      adminClient: { cert: pki.adminCert, key: pki.adminKey },
      apiServer: controlPlane.apiServer,
      caFile: pki.caCert,
      nodes: kwok.nodes,
      proxyNode: PROXY_NODE,
      kubeletClientUser: KUBELET_CLIENT_USER,
      nodeSimulationLog,
      natsUrl: nats.url,
      registry: registry.info,
      tlsRegistry: tlsRegistry.info,
      httpRegistry: httpRegistry.info,
      realNodes,
      images,
      binDir: bin,
    };
    const infoFile = join(workDir, 'env.json');
    writeFileSync(infoFile, JSON.stringify(info, null, 2));
    return { info, infoFile, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
