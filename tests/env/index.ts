/**
 * The test environment: a real control plane, kwok nodes, NATS and two registries, on
 * loopback with free ports, and one node on a veth link of its own for the API server's node
 * proxy. {@link startEnv} brings it all up; `stop()` tears it down and removes every file and
 * link it made.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from './control-plane.ts';
import type { TestEnvInfo } from './info.ts';
import { DEFAULT_NODES, startKwok } from './kwok.ts';
import { createNodeLink, removeStaleLinks } from './link.ts';
import { startNats } from './nats.ts';
import { bindKubeletClient } from './node-proxy.ts';
import { KUBELET_CLIENT_USER, makePki } from './pki.ts';
import type { Service } from './process.ts';
import { startNodeSimulations } from '../sim/nodes.ts';
import { startRegistry } from './registry.ts';

export interface RunningEnv {
  info: TestEnvInfo;
  /** Path of the JSON file that tests read through CONTINUUM_TEST_ENV. */
  infoFile: string;
  stop(): Promise<void>;
}

export function binDir(): string {
  return process.env.CONTINUUM_BIN ?? join(process.env.HOME ?? '/root', '.cache/continuum/bin');
}

// etcd and JetStream write many small synced files: keep them in memory where we can.
const dataRoot = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

const PROXY_NODE = 'edge-proxy';

/**
 * Removes the directories and veth links of earlier environments whose process is gone
 * (killed without a chance to clean up). Their names carry the owning process id.
 */
function removeStaleLeftovers(): void {
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function startEnv(log: (line: string) => void = () => {}): Promise<RunningEnv> {
  removeStaleLeftovers();
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
    const pki = makePki(workDir, [link.address]);
    const bin = binDir();
    const [controlPlane, nats, registry, tlsRegistry] = await Promise.all([
      startControlPlane({ workDir, dataDir, binDir: bin, pki }),
      startNats(workDir, dataDir),
      startRegistry({
        name: 'registry',
        workDir,
        username: 'continuum',
        password: 'registry-secret',
      }),
      startRegistry({
        name: 'registry-tls',
        workDir,
        username: 'continuum',
        password: 'registry-secret',
        tls: { cert: pki.servingCert, key: pki.servingKey, caFile: pki.caCert },
      }),
    ]);
    services.push(...controlPlane.services, nats.service, registry.service, tlsRegistry.service);
    step('control plane, NATS and registries up');
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
    const info: TestEnvInfo = {
      workDir,
      kubeconfig: controlPlane.kubeconfig,
      apiServer: controlPlane.apiServer,
      caFile: pki.caCert,
      nodes: kwok.nodes,
      proxyNode: PROXY_NODE,
      kubeletClientUser: KUBELET_CLIENT_USER,
      nodeSimulationLog,
      natsUrl: nats.url,
      registry: registry.info,
      tlsRegistry: tlsRegistry.info,
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
