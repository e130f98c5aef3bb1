/**
 * What a running test environment offers to the tests. `scripts/test.sh` starts one
 * environment for the whole ava run (tests/env/run.ts) and hands it to every test
 * process as a JSON file named by CONTINUUM_TEST_ENV. Tests call {@link testEnv}.
 */
import { readFileSync } from 'node:fs';

export interface SimulatedNode {
  name: string;
  layer: 'edge' | 'cloud';
  /** The Node's InternalIP, where its simulated kubelet listens (127.0.0.1 but for the proxy node). */
  address: string;
  /** Port in the Node's status.daemonEndpoints.kubeletEndpoint (simulated kubelet, HTTPS). */
  kubeletPort: number;
  /** Host directory that plays this node's filesystem root for hostPath volumes. */
  rootDir: string;
}

/** A real node (real-node.ts): containerd 2.3, runc, CRIU 4.1 and kubelet 1.34. */
export interface RealNode {
  name: string;
  layer: 'edge' | 'cloud';
  /** InternalIP, on the run's veth link; the kubelet listens there (HTTPS, serving cert of caFile). */
  address: string;
  kubeletPort: number;
  /** Host directory that is /var/lib/kubelet on the node (checkpoint archives in checkpoints/). */
  kubeletDir: string;
  /** containerd's socket (`ctr --address`, namespace k8s.io). */
  containerdSocket: string;
  /** The node's cgroup root in every controller (the kubelet's cgroupRoot). */
  cgroupRoot: string;
}

export interface RegistryInfo {
  /** Base URL, e.g. http://127.0.0.1:5000 (plain HTTP, htpasswd Basic auth). */
  url: string;
  /** host:port, as used in image references. */
  host: string;
  username: string;
  password: string;
  /** A dockerconfigjson file with the credentials above for `host`. */
  dockerConfig: string;
}

export interface TestEnvInfo {
  /** Scratch directory of this run; removed when the environment stops. */
  workDir: string;
  /** Admin kubeconfig (system:masters client certificate). */
  kubeconfig: string;
  /** The admin's client certificate and key (what the kubeconfig names), e.g. for a kubelet. */
  adminClient: { cert: string; key: string };
  /** https://127.0.0.1:<port> */
  apiServer: string;
  /** CA that signed the API server's serving certificate and all kubelet serving certificates. */
  caFile: string;
  /** edge-1, edge-2, cloud-1, then {@link proxyNode}. */
  nodes: SimulatedNode[];
  /**
   * The one node the API server's node proxy reaches (it refuses loopback): edge-proxy, an edge
   * node with a non-loopback InternalIP on a veth link of this run, tainted
   * `test.continuum.dev/node-proxy:NoSchedule` so that only pods that name it run there.
   */
  proxyNode: string;
  /** User of the client certificate the API server presents to kubelets (bound to system:kubelet-api-admin). */
  kubeletClientUser: string;
  /** JSON-lines log of the simulated kubelets and job runner (who checkpointed what). */
  nodeSimulationLog: string;
  /** nats://<the link's address>:<port>, JetStream enabled; pods reach it too. */
  natsUrl: string;
  registry: RegistryInfo;
  /**
   * The same registry served over TLS (certificate signed by caFile), on the veth link's
   * address so that pods of the real nodes reach it too; the real nodes pull from it.
   */
  tlsRegistry: RegistryInfo;
  /**
   * A registry without TLS on the link's address, as an air-gapped site runs one inside the
   * cluster (the operator and imaging Jobs need registry.plainHttp); the real nodes pull from
   * it over http://.
   */
  httpRegistry: RegistryInfo;
  /**
   * real-edge (edge), real-cloud and real-cloud-23 (cloud), tainted `test.continuum.dev/real-node=true:NoSchedule`; empty when the run
   * skips them (CONTINUUM_REAL_NODES=0, never in CI).
   */
  realNodes: RealNode[];
  /**
   * Images in {@link tlsRegistry} for the real nodes: busybox (a shell and coreutils) and the
   * product image built from this checkout (`continuum operator|agent|imager`); and the OCI
   * layout busybox was pushed from (tag 1.35), to make variants of.
   */
  images: { busybox: string; continuum: string; busyboxLayout: string };
  /** Directory of the provisioned binaries (kubectl, helm, kwok, …). */
  binDir: string;
}

let cached: TestEnvInfo | undefined;

/** The environment of this test run; throws with a hint when tests run outside scripts/test.sh. */
export function testEnv(): TestEnvInfo {
  if (cached) return cached;
  const file = process.env.CONTINUUM_TEST_ENV;
  if (!file) {
    throw new Error(
      'no test environment: run the tests with "npm test" (CONTINUUM_TEST_ENV is not set)',
    );
  }
  cached = JSON.parse(readFileSync(file, 'utf8')) as TestEnvInfo;
  return cached;
}
