/** Creates the trigger's Migrations on the API server. */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, GROUP, MIGRATION_KIND, MIGRATION_PLURAL, VERSION } from '../api/types.ts';
import { apiErrorCode } from '../runtime/kube.ts';
import type { MigrationDraft } from './decide.ts';
import type { MigrationCreator } from './ingest.ts';

export class ApiMigrationCreator implements MigrationCreator {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /** Idempotent: AlreadyExists (409) is success and answers `exists`. */
  async create(draft: MigrationDraft): Promise<'created' | 'exists'> {
    try {
      await this.api.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: MIGRATION_PLURAL,
        namespace: draft.metadata.namespace,
        body: { apiVersion: API_VERSION, kind: MIGRATION_KIND, ...draft },
      });
      return 'created';
    } catch (err) {
      if (apiErrorCode(err) === 409) return 'exists';
      throw new Error(
        `cannot create Migration "${draft.metadata.name}" of pod "${draft.spec.podName}": ${String(err)}`,
      );
    }
  }
}
