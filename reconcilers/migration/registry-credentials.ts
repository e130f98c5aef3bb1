/**
 * The registry credentials of a Migration, from the dockerconfigjson Secrets it names (else the
 * operator's defaults): reading an image prefers the pull Secret, deleting one the push Secret
 * (the one with write access); either falls back to the other.
 */
import type { Migration } from '../api/types.ts';
import { credentialsFromDockerConfigJson, type Credentials } from '../registry/auth.ts';
import { parseReference } from '../registry/reference.ts';
import type { Cluster } from './cluster.ts';
import type { MigrationConfig } from './model.ts';

export async function registryCredentials(
  cluster: Cluster,
  config: MigrationConfig,
  m: Migration,
  ref: string,
  prefer: 'pull' | 'push',
): Promise<Credentials | undefined> {
  const image = m.spec.image;
  const pull = image?.pullSecretRef?.name ?? config.defaultPullSecret;
  const push = image?.pushSecretRef?.name ?? config.defaultPushSecret;
  const name = prefer === 'pull' ? (pull ?? push) : (push ?? pull);
  if (!name) return undefined;
  const secret = await cluster.getSecret(m.metadata.namespace!, name);
  const text = Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8');
  try {
    return credentialsFromDockerConfigJson(text, parseReference(ref).repository.registry);
  } catch (err) {
    throw new Error(
      `cannot read the registry credentials of Secret "${name}": ${(err as Error).message}`,
    );
  }
}
