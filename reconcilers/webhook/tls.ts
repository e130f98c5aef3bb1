/**
 * The webhook's TLS material (tls-material.ts decides it), kept in a Secret of the operator
 * namespace that every replica shares, and its caBundle put into the webhook configurations.
 * Replicas racing to create or renew it lose with 409 and take the winner's. Or, with
 * cert-manager, only read from that Secret (tls-cert-manager.ts): {@link servingTls} chooses.
 */
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import { apiErrorCode } from '../runtime/kube.ts';
import type { WebhookTlsMode } from '../runtime/config.ts';
import type { Logger } from '../runtime/log.ts';
import type { KeyPair } from './certificates.ts';
import { readIssuedTls } from './tls-cert-manager.ts';
import { caBundle, nextTls, type TlsMaterial } from './tls-material.ts';

export interface WebhookTlsOptions {
  /** operator: made, renewed and published here; cert-manager: read only. */
  mode: WebhookTlsMode;
  namespace: string;
  secretName: string;
  /** DNS names and IP addresses the serving certificate must name. */
  hosts: string[];
  /** The webhook configurations whose webhooks get the CA as caBundle. */
  configurations: WebhookConfigurations;
}

const PREVIOUS_CA = 'ca-previous.crt';

/**
 * The key pair to serve, asked once at start and again on every refresh: undefined while there
 * is none yet (cert-manager has not issued it). Throws on API errors; the caller retries.
 */
export type ServingTls = () => Promise<KeyPair | undefined>;

/**
 * The source of the served key pair for `o.mode`. operator: the Secret made or renewed and the
 * caBundle re-published on every call (a `helm upgrade` resets it). cert-manager: the Secret
 * read, nothing written; logs once when it starts waiting for it and once when it appears.
 */
export function servingTls(kc: KubeConfig, o: WebhookTlsOptions, log: Logger): ServingTls {
  if (o.mode === 'operator') {
    return async () => {
      const { ca, server } = await ensureWebhookTls(kc, o, log);
      await publishCaBundle(kc, o.configurations, ca);
      return server;
    };
  }
  let waiting = false;
  return async () => {
    const pair = await readIssuedTls(kc, o);
    const secret = `${o.namespace}/${o.secretName}`;
    if (!pair && !waiting) {
      log.info(
        { secret },
        'waiting for cert-manager to issue the webhook certificate: until then TLS handshakes ' +
          'fail and the API server ignores the webhook (failurePolicy Ignore)',
      );
    }
    if (pair && waiting) log.info({ secret }, 'webhook certificate issued by cert-manager');
    waiting = !pair;
    return pair;
  };
}

function material(s: V1Secret): TlsMaterial {
  const text = (key: string) => Buffer.from(s.data?.[key] ?? '', 'base64').toString();
  const previousCa = text(PREVIOUS_CA);
  return {
    ca: { cert: text('ca.crt'), key: text('ca.key') },
    server: { cert: text('tls.crt'), key: text('tls.key') },
    ...(previousCa ? { previousCa } : {}),
  };
}

function secretData(m: TlsMaterial): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    'ca.crt': b64(m.ca.cert),
    'ca.key': b64(m.ca.key),
    'tls.crt': b64(m.server.cert),
    'tls.key': b64(m.server.key),
    ...(m.previousCa ? { [PREVIOUS_CA]: b64(m.previousCa) } : {}),
  };
}

/** The serving key pair and the caBundle, from the Secret, made or renewed as needed. */
export async function ensureWebhookTls(
  kc: KubeConfig,
  o: WebhookTlsOptions,
  log: Logger,
  now = new Date(),
): Promise<{ ca: string; server: KeyPair }> {
  const core = kc.makeApiClient(CoreV1Api);
  const { namespace, secretName: name } = o;
  for (let attempt = 0; ; attempt++) {
    const secret = await core.readNamespacedSecret({ namespace, name }).catch((err: unknown) => {
      if (apiErrorCode(err) === 404) return undefined;
      throw err;
    });
    const stored = secret && material(secret);
    const { material: next, changed } = nextTls(stored, o.hosts, now);
    const result = { ca: caBundle(next), server: next.server };
    if (!changed) return result;
    try {
      if (!secret) {
        const body = { metadata: { name }, type: 'Opaque', data: secretData(next) };
        await core.createNamespacedSecret({ namespace, body });
        log.info({ secret: name }, 'webhook TLS made');
      } else {
        secret.data = secretData(next);
        await core.replaceNamespacedSecret({ namespace, name, body: secret });
        const rotated = next.ca.cert !== stored!.ca.cert;
        log.info({ secret: name }, rotated ? 'webhook CA rotated' : 'webhook TLS renewed');
      }
      return result;
    } catch (err) {
      // another replica created or renewed it first: take theirs
      if (apiErrorCode(err) !== 409 || attempt >= 3) throw err;
    }
  }
}

/** The webhook configurations that get the CA: the eviction (validating) and restore (mutating) one. */
export interface WebhookConfigurations {
  validating?: string;
  mutating?: string;
}

type Configuration = { webhooks?: { clientConfig: { caBundle?: string } }[] };

/** Puts `ca` into every webhook of the configurations whose caBundle differs. */
export async function publishCaBundle(
  kc: KubeConfig,
  names: WebhookConfigurations,
  ca: string,
): Promise<void> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const bundle = Buffer.from(ca).toString('base64');
  const kinds = [
    names.validating && {
      read: () => api.readValidatingWebhookConfiguration({ name: names.validating! }),
      replace: (body: Configuration) =>
        api.replaceValidatingWebhookConfiguration({ name: names.validating!, body: body as never }),
    },
    names.mutating && {
      read: () => api.readMutatingWebhookConfiguration({ name: names.mutating! }),
      replace: (body: Configuration) =>
        api.replaceMutatingWebhookConfiguration({ name: names.mutating!, body: body as never }),
    },
  ];
  for (const kind of kinds) {
    if (!kind) continue;
    for (let attempt = 0; ; attempt++) {
      const config: Configuration = await kind.read();
      const stale = (config.webhooks ?? []).filter((w) => w.clientConfig.caBundle !== bundle);
      if (!stale.length) break;
      for (const w of stale) w.clientConfig.caBundle = bundle;
      try {
        await kind.replace(config);
        break;
      } catch (err) {
        if (apiErrorCode(err) !== 409 || attempt >= 3) throw err;
      }
    }
  }
}
