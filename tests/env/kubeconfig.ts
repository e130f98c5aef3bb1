/** Kubeconfig files for the test environment: the admin's, and one per ServiceAccount. */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export type Credentials = { clientCert: string; clientKey: string } | { token: string };

/** Writes a kubeconfig for `server` (verified against `caFile`) with the given credentials. */
export function writeKubeconfig(
  path: string,
  server: string,
  caFile: string,
  user: Credentials,
): string {
  const userEntry =
    'token' in user
      ? { token: user.token }
      : { 'client-certificate': user.clientCert, 'client-key': user.clientKey };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'continuum-test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'user', user: userEntry }],
    contexts: [{ name: 'continuum-test', context: { cluster: 'continuum-test', user: 'user' } }],
    'current-context': 'continuum-test',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
