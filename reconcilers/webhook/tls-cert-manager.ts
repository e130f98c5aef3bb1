/**
 * The webhook's serving certificate when cert-manager makes it (CONTINUUM_WEBHOOK_TLS
 * cert-manager): a Certificate of the chart has cert-manager write `tls.crt` and `tls.key` into
 * the Secret, and its cainjector put the CA into the webhook configurations (their
 * `cert-manager.io/inject-ca-from` annotation). The operator only reads the Secret: it never
 * creates, renews or replaces it, and never touches a caBundle (docs/adr/0018).
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { apiErrorCode } from '../runtime/kube.ts';
import type { KeyPair } from './certificates.ts';

/**
 * The key pair in Secret `namespace/secretName`; undefined while cert-manager has not issued it
 * (no Secret yet, or one without both keys). Read-only; throws on any other API error.
 */
export async function readIssuedTls(
  kc: KubeConfig,
  o: { namespace: string; secretName: string },
): Promise<KeyPair | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  const secret = await core
    .readNamespacedSecret({ namespace: o.namespace, name: o.secretName })
    .catch((err: unknown) => {
      if (apiErrorCode(err) === 404) return undefined;
      throw err;
    });
  const text = (key: string) => Buffer.from(secret?.data?.[key] ?? '', 'base64').toString();
  const pair = { cert: text('tls.crt'), key: text('tls.key') };
  return pair.cert && pair.key ? pair : undefined;
}
