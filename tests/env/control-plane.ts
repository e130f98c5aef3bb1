/**
 * The real Kubernetes control plane of the tests: etcd, kube-apiserver (RBAC, ServiceAccount
 * tokens, default admission plugins, node proxy to kubelets with a client certificate),
 * kube-controller-manager and kube-scheduler, on loopback.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Pki } from './pki.ts';
import { freePort, startService, waitUntil, type Service } from './process.ts';
import { writeKubeconfig } from './kubeconfig.ts';

export interface ControlPlane {
  apiServer: string;
  kubeconfig: string;
  services: Service[];
}

/** GET `path` on the API server as admin; resolves to the status code. */
function apiGet(url: string, pki: Pki): Promise<number> {
  const agent = new Agent({
    ca: readFileSync(pki.caCert),
    cert: readFileSync(pki.adminCert),
    key: readFileSync(pki.adminKey),
  });
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

export async function startControlPlane(opts: {
  workDir: string;
  dataDir: string;
  binDir: string;
  pki: Pki;
  /** The Service range; its first address is the `kubernetes` Service's ClusterIP. */
  serviceRange: string;
}): Promise<ControlPlane> {
  const { workDir, binDir, pki } = opts;
  const logDir = workDir;
  const services: Service[] = [];
  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdDir = join(opts.dataDir, 'etcd');
    mkdirSync(etcdDir, { recursive: true });
    const etcd = startService(
      'etcd',
      join(binDir, 'etcd'),
      [
        `--data-dir=${etcdDir}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        '--log-level=warn',
      ],
      { logDir, env: { ETCD_UNSUPPORTED_ARCH: '' } },
    );
    services.push(etcd);
    await waitUntil(etcd, 'etcd health', async () => {
      const res = await fetch(`http://127.0.0.1:${etcdPort}/health`);
      return res.ok;
    });

    const apiServer = `https://127.0.0.1:${apiPort}`;
    const apiserver = startService(
      'kube-apiserver',
      join(binDir, 'kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(workDir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        '--authorization-mode=Node,RBAC',
        // the node proxy: to the InternalIP, with a client certificate, the kubelet's verified
        `--kubelet-client-certificate=${pki.kubeletClientCert}`,
        `--kubelet-client-key=${pki.kubeletClientKey}`,
        `--kubelet-certificate-authority=${pki.caCert}`,
        '--kubelet-preferred-address-types=InternalIP',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        `--service-cluster-ip-range=${opts.serviceRange}`,
        '--allow-privileged=true',
        // Services of webhooks reached at their endpoints: no kube-proxy routes ClusterIPs here
        '--enable-aggregator-routing=true',
        '--profiling=false',
        '--v=1',
      ],
      { logDir },
    );
    services.push(apiserver);
    await waitUntil(
      apiserver,
      'kube-apiserver /readyz',
      async () => (await apiGet(`${apiServer}/readyz`, pki)) === 200,
    );

    const kubeconfig = writeKubeconfig(join(workDir, 'admin.kubeconfig'), apiServer, pki.caCert, {
      clientCert: pki.adminCert,
      clientKey: pki.adminKey,
    });
    for (const name of ['kube-controller-manager', 'kube-scheduler']) {
      const port = await freePort();
      const service = startService(
        name,
        join(binDir, name),
        [
          `--kubeconfig=${kubeconfig}`,
          `--authentication-kubeconfig=${kubeconfig}`,
          `--authorization-kubeconfig=${kubeconfig}`,
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          `--secure-port=${port}`,
          `--tls-cert-file=${pki.servingCert}`,
          `--tls-private-key-file=${pki.servingKey}`,
          '--v=1',
          ...(name === 'kube-controller-manager'
            ? [
                `--service-account-private-key-file=${pki.saKey}`,
                `--root-ca-file=${pki.caCert}`,
                '--use-service-account-credentials=true',
                '--concurrent-gc-syncs=5',
                // a loaded 2-core machine may delay kwok's Lease renewals: never take a
                // simulated node for dead (its pods would be marked NotReady for good)
                '--node-monitor-grace-period=5m',
              ]
            : []),
        ],
        { logDir },
      );
      services.push(service);
      await waitUntil(
        service,
        `${name} /healthz`,
        async () => (await apiGet(`https://127.0.0.1:${port}/healthz`, pki)) === 200,
      );
    }
    return { apiServer, kubeconfig, services };
  } catch (err) {
    await Promise.all(services.reverse().map((s) => s.stop()));
    throw err;
  }
}
