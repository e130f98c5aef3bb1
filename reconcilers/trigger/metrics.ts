/** Prometheus series of the trigger, on the operator's registry (served on /metrics). */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../runtime/metrics.ts';

/** Metrics messages taken into the windows. */
export const messagesAccepted = new Counter({
  name: 'continuum_trigger_messages_accepted_total',
  help: 'Metrics messages accepted by the trigger',
  registers: [registry],
});

/**
 * Metrics messages dropped whole, by reason: `malformed` (JSON, schema version, types, ranges),
 * `unknown_node`, `duplicate` (not newer than the last one of its node), `out_of_time` (more than
 * 5 minutes from the operator's clock: stale, or a skewed node clock).
 */
export const messagesDropped = new Counter({
  name: 'continuum_trigger_messages_dropped_total',
  help: 'Metrics messages dropped by the trigger, by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

/** Pod entries of accepted messages dropped because the pod is not (or no longer) on that node. */
export const podSamplesDropped = new Counter({
  name: 'continuum_trigger_pod_samples_dropped_total',
  help: 'Pod entries dropped because the pod is unknown or not on the publishing node',
  registers: [registry],
});

/**
 * Decisions that drafted a Migration, by outcome: `created`, `exists` (AlreadyExists: a
 * duplicate decision), `error` (retried on the next message).
 */
export const decisions = new Counter({
  name: 'continuum_trigger_decisions_total',
  help: 'Migration drafts of the trigger by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/** Time from receiving the message that completed a window to the Migration being created. */
export const decisionLatency = new Histogram({
  name: 'continuum_trigger_decision_latency_seconds',
  help: 'From the message that fired a trigger to the created Migration',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

let natsConnected: Gauge | undefined;

/**
 * 1 while the trigger is connected to NATS and subscribed, else 0. Registered when the first
 * subscriber starts, so that an operator without a NATS URL exports no such series (an alert on
 * `== 0` would fire forever); a replica that led once keeps exporting 0.
 */
export function natsConnectedGauge(): Gauge {
  return (natsConnected ??= new Gauge({
    name: 'continuum_trigger_nats_connected',
    help: 'Whether the trigger is connected to NATS (1) or not (0)',
    registers: [registry],
  }));
}
