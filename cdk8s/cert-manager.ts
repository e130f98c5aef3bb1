/**
 * The webhook's certificate from cert-manager (`webhook.certManager.enabled`, docs/adr/0018): a
 * Certificate that writes the Secret the operator otherwise makes itself, for the webhook
 * Service's DNS name, and — unless `webhook.certManager.issuerRef.name` names an issuer of the
 * user's — the usual bootstrap of its issuer: a self-signed Issuer signs a CA Certificate that a
 * CA Issuer then signs with. The serving certificate could be self-signed directly, but then
 * every renewal would change the caBundle, and the API server would refuse the webhook between
 * cainjector's update and the operator's next refresh (up to a minute); under a long-lived CA a
 * renewal leaves the caBundle as it was.
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { PART_OF_LABELS, WEBHOOK_SERVICE, WEBHOOK_TLS_SECRET } from '../reconcilers/api/install.ts';
import { str, tpl } from './helm.ts';

/** The serving Certificate, named by the configurations' `cert-manager.io/inject-ca-from`. */
export const WEBHOOK_CERTIFICATE = 'continuum-webhook';
const SELF_SIGNED_ISSUER = 'continuum-webhook-selfsigned';
/** The bootstrap CA: its Certificate, its Secret and the Issuer that signs with it. */
const CA = 'continuum-webhook-ca';
const API_VERSION = 'cert-manager.io/v1';
const namespace = str('namespace');
/** The name the serving certificate must carry: the webhook Service's, as the API server calls it. */
export const WEBHOOK_HOST = tpl(`printf "${WEBHOOK_SERVICE}.%s.svc" .Values.namespace | quote`);
const issuerRef = 'webhook.certManager.issuerRef';

/** The self-signed Issuer, the CA Certificate it signs (ten years) and the CA Issuer. */
export function certManagerIssuerChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'cert-manager-issuer');
  const metadata = (name: string) => ({ name, namespace, labels: PART_OF_LABELS });
  new ApiObject(chart, 'self-signed', {
    apiVersion: API_VERSION,
    kind: 'Issuer',
    metadata: metadata(SELF_SIGNED_ISSUER),
    spec: { selfSigned: {} },
  });
  new ApiObject(chart, 'ca-certificate', {
    apiVersion: API_VERSION,
    kind: 'Certificate',
    metadata: metadata(CA),
    spec: {
      isCA: true,
      commonName: CA,
      secretName: CA,
      duration: '87600h',
      privateKey: { algorithm: 'ECDSA', size: 256 },
      issuerRef: { name: SELF_SIGNED_ISSUER, kind: 'Issuer', group: 'cert-manager.io' },
    },
  });
  new ApiObject(chart, 'ca-issuer', {
    apiVersion: API_VERSION,
    kind: 'Issuer',
    metadata: metadata(CA),
    spec: { ca: { secretName: CA } },
  });
  return chart;
}

/**
 * The serving Certificate: Secret continuum-webhook-tls (`tls.crt`, `tls.key`, `ca.crt`) for
 * the Service's DNS name, from the given issuer or else the CA Issuer above; cert-manager renews
 * it (default: 90 days, renewed 30 days before) and the operator serves the renewed one.
 */
export function certManagerCertificateChart(scope: Construct): Chart {
  const chart = new Chart(scope, 'cert-manager-certificate');
  const given = `empty .Values.${issuerRef}.name`;
  new ApiObject(chart, 'certificate', {
    apiVersion: API_VERSION,
    kind: 'Certificate',
    metadata: { name: WEBHOOK_CERTIFICATE, namespace, labels: PART_OF_LABELS },
    spec: {
      secretName: WEBHOOK_TLS_SECRET,
      dnsNames: [WEBHOOK_HOST],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: {
        name: tpl(`.Values.${issuerRef}.name | default "${CA}" | quote`),
        kind: tpl(`${given} | ternary "Issuer" .Values.${issuerRef}.kind | quote`),
        group: tpl(`${given} | ternary "cert-manager.io" .Values.${issuerRef}.group | quote`),
      },
    },
  });
  return chart;
}
