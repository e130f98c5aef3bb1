/** The kubelet client's request building: endpoint from the Node, path, reply parsing, refusals. */
import test from 'ava';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeletClient } from '../../reconcilers/kubelet/client.ts';
import {
  archiveFromReply,
  checkpointPath,
  endpointURL,
  kubeletEndpoint,
  refusal,
} from '../../reconcilers/kubelet/endpoint.ts';

const nodeWith = (addresses: { type: string; address: string }[], port?: number) => ({
  metadata: { name: 'edge-1' },
  status: { addresses, ...(port ? { daemonEndpoints: { kubeletEndpoint: { Port: port } } } : {}) },
});

test('the endpoint is the InternalIP and the published kubelet port', (t) => {
  const node = nodeWith(
    [
      { type: 'Hostname', address: 'edge-1' },
      { type: 'InternalIP', address: '127.0.0.1' },
    ],
    10250,
  );
  t.deepEqual(kubeletEndpoint(node), { host: '127.0.0.1', port: 10250 });
  t.is(endpointURL(kubeletEndpoint(node)), 'https://127.0.0.1:10250');
  t.is(endpointURL({ host: '::1', port: 10250 }), 'https://[::1]:10250');
});

test('a node without InternalIP or port is refused with the node name', (t) => {
  t.throws(() => kubeletEndpoint(nodeWith([{ type: 'Hostname', address: 'x' }], 10250)), {
    message: 'node "edge-1" has no InternalIP address in its status',
  });
  t.throws(() => kubeletEndpoint(nodeWith([{ type: 'InternalIP', address: '10.0.0.1' }])), {
    message: 'node "edge-1" publishes no kubelet port in its status',
  });
});

test('the checkpoint path escapes its segments and carries the timeout', (t) => {
  t.is(checkpointPath('ns', 'app', 'web', 30), '/checkpoint/ns/app/web?timeout=30');
  t.is(checkpointPath('ns', 'a/b', 'c d', 0.2), '/checkpoint/ns/a%2Fb/c%20d?timeout=1');
});

test('the archive path is read from the kubelet reply', (t) => {
  t.is(
    archiveFromReply('{"items":["/var/lib/kubelet/checkpoints/a.tar"]}'),
    '/var/lib/kubelet/checkpoints/a.tar',
  );
  t.throws(() => archiveFromReply('{"items":[]}'), { message: /names no archive/ });
  t.throws(() => archiveFromReply('<html>'), { message: /not JSON/ });
});

test('a refusal names who refused: the kubelet, or the API server node proxy itself', (t) => {
  const forbidden =
    '{"kind":"Status","apiVersion":"v1","status":"Failure","message":"nodes \\"e\\" is forbidden","code":403}';
  t.is(refusal(500, 'boom\n', false), 'kubelet answered 500: boom');
  t.is(
    refusal(403, forbidden, true),
    'the API server node proxy answered 403: nodes "e" is forbidden',
  );
  t.is(
    refusal(403, 'Forbidden (user=u)\n', true),
    'kubelet answered 403 through the API server node proxy: Forbidden (user=u)',
  );
  t.is(
    refusal(500, '{"kind":"Other"}', true),
    'kubelet answered 500 through the API server node proxy: {"kind":"Other"}',
  );
});

test('direct mode refuses to run without a CA bundle (TLS is always verified)', (t) => {
  t.throws(() => createKubeletClient({ kubeConfig: new KubeConfig() }), {
    message: /no kubelet CA bundle/,
  });
  t.notThrows(() => createKubeletClient({ kubeConfig: new KubeConfig(), viaApiServerProxy: true }));
});
