/**
 * The webhook's TLS material, kept in a Secret of the operator namespace that every replica
 * shares: made on first start (a CA for 10 years, a serving certificate for a year), the serving
 * certificate re-issued by the same CA once less than 30 days remain or when its names change,
 * and the CA put into the webhook configuration's caBundle. Replicas racing to create or renew
 * it lose with 409 and take the winner's.
 */
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { apiErrorCode } from '../runtime/kube.ts';
import type { Logger } from '../runtime/log.ts';
import { makeCa, makeServing, type KeyPair } from './certificates.ts';

const CA_NAME = 'continuum-webhook-ca';
const RENEW_BEFORE_MS = 30 * 86_400_000;

export interface WebhookTlsOptions {
  namespace: string;
  secretName: string;
  /** DNS names and IP addresses the serving certificate must name. */
  hosts: string[];
  /** The webhook configurations whose webhooks get the CA as caBundle. */
  configurations: WebhookConfigurations;
}

const text = (s: V1Secret, key: string) => Buffer.from(s.data?.[key] ?? '', 'base64').toString();

/** Whether the serving certificate names exactly `hosts` and is far from expiry. */
function current(serving: string, hosts: string[], now: Date): boolean {
  try {
    const cert = new X509Certificate(serving);
    const names = (cert.subjectAltName ?? '')
      .split(', ')
      .map((n) => n.replace(/^(DNS:|IP Address:)/, ''))
      .sort();
    const fresh = new Date(cert.validTo).getTime() - now.getTime() > RENEW_BEFORE_MS;
    return fresh && JSON.stringify(names) === JSON.stringify([...hosts].sort());
  } catch {
    return false;
  }
}

function serving(ca: KeyPair, hosts: string[]): KeyPair {
  const ips = hosts.filter((h) => isIP(h));
  return makeServing(ca, CA_NAME, { dnsNames: hosts.filter((h) => !isIP(h)), ips }, 365);
}

function secretData(ca: KeyPair, server: KeyPair): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    'ca.crt': b64(ca.cert),
    'ca.key': b64(ca.key),
    'tls.crt': b64(server.cert),
    'tls.key': b64(server.key),
  };
}

/** The serving key pair and the CA, from the Secret, made or renewed as needed. */
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
    try {
      if (!secret) {
        const ca = makeCa(CA_NAME, 3650, now);
        const server = serving(ca, o.hosts);
        await core.createNamespacedSecret({
          namespace,
          body: { metadata: { name }, type: 'Opaque', data: secretData(ca, server) },
        });
        log.info({ secret: name }, 'webhook TLS made');
        return { ca: ca.cert, server };
      }
      const ca = { cert: text(secret, 'ca.crt'), key: text(secret, 'ca.key') };
      const server = { cert: text(secret, 'tls.crt'), key: text(secret, 'tls.key') };
      if (current(server.cert, o.hosts, now)) return { ca: ca.cert, server };
      const renewed = serving(ca, o.hosts);
      secret.data = secretData(ca, renewed);
      await core.replaceNamespacedSecret({ namespace, name, body: secret });
      log.info({ secret: name }, 'webhook serving certificate renewed');
      return { ca: ca.cert, server: renewed };
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
