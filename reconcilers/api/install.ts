/**
 * Names of the objects the chart installs that the operator refers to at run time. Stable names
 * (no hashes), shared by the cdk8s app and the reconcilers.
 */

/** Deployment, ServiceAccount, ConfigMap, ClusterRole(Binding), Role(Binding) and Lease name. */
export const OPERATOR_NAME = 'continuum-operator';
/** ServiceAccount of the agent DaemonSet pods (read-only on pods), in the operator namespace. */
export const AGENT_SERVICE_ACCOUNT = 'continuum-agent';
/** ServiceAccount of the imaging Job pods: no API rights, token not mounted. */
export const IMAGER_SERVICE_ACCOUNT = 'continuum-imager';
/** Labels on everything the chart installs and on what the operator composes. */
export const PART_OF_LABELS = { 'app.kubernetes.io/part-of': 'continuum' } as const;

/** Service of the eviction webhook, in the operator namespace. */
export const WEBHOOK_SERVICE = 'continuum-webhook';
/** Secret holding the webhook's CA and serving certificate (the operator makes it). */
export const WEBHOOK_TLS_SECRET = 'continuum-webhook-tls';
