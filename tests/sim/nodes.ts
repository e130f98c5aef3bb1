/**
 * The SIMULATED node level of the test environment: one simulated kubelet per kwok node (on
 * the port in its Node status) and one job runner for all of them. Started once per test run
 * by the environment (tests/env/), after kwok (which must run with kwok-stages.ts).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, silentLogger } from '../../reconcilers/runtime/log.ts';
import { startJobRunner } from './job-runner.ts';
import { startSimulatedKubelet } from './kubelet.ts';

export interface NodeSimulationOptions {
  /** Admin kubeconfig (TokenReview, SubjectAccessReview, pods, pods/status). */
  kubeconfig: string;
  /** The test CA: signed certFile; client certificates it signed authenticate to the kubelets. */
  caFile: string;
  /** Kubelet serving certificate and key for 127.0.0.1 and every node's address. */
  certFile: string;
  keyFile: string;
  /** `address` (the InternalIP) defaults to 127.0.0.1. */
  nodes: Array<{ name: string; address?: string; kubeletPort: number; rootDir: string }>;
  /** Where the simulations log (JSON lines), e.g. `<workDir>/node-simulations.log`. */
  logFile?: string;
}

export async function startNodeSimulations(
  opts: NodeSimulationOptions,
): Promise<{ stop(): Promise<void> }> {
  const log = opts.logFile
    ? createLogger({ name: 'sim', file: opts.logFile, level: process.env.CONTINUUM_LOG_LEVEL })
    : silentLogger();
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) await s();
  };
  try {
    for (const node of opts.nodes) {
      const kubelet = await startSimulatedKubelet({
        nodeName: node.name,
        host: node.address,
        port: node.kubeletPort,
        rootDir: node.rootDir,
        certFile: opts.certFile,
        keyFile: opts.keyFile,
        caFile: opts.caFile,
        kc,
        log,
      });
      stoppers.push(() => kubelet.stop());
    }
    const runner = await startJobRunner({ kc, nodes: opts.nodes, log });
    stoppers.push(() => runner.stop());
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
