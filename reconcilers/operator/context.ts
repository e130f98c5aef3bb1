/**
 * What a controller factory receives, and what it returns. Factories run each time this replica
 * becomes leader, with a fresh {@link InformerFactory}; the operator starts the informers, waits
 * until they are synced, then starts what the factories returned. On loss of leadership or
 * shutdown everything is stopped, in-flight reconciles bounded by a grace period.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { OperatorConfig } from '../runtime/config.ts';
import type { InformerFactory } from '../runtime/informers.ts';
import type { Logger } from '../runtime/log.ts';
import type { Metrics } from '../runtime/metrics.ts';

export interface ControllerContext {
  kc: KubeConfig;
  config: OperatorConfig;
  log: Logger;
  metrics: Metrics;
  /** Shared informers: ask for them while building; they start after the factories return. */
  informers: InformerFactory;
}

/** Something started while leading: a {@link Controller}, a NATS subscriber, … */
export interface Runnable {
  /** Starts; may resolve once running. Called after every informer synced. */
  start(): void | Promise<void>;
  /** Stops; in-flight work gets at most `graceMs`. */
  stop(graceMs: number): Promise<unknown>;
}

export interface ControllerFactory {
  /** For logs, e.g. `migration`. */
  name: string;
  /** Builds the runnables; may return none (e.g. the trigger without a NATS URL). */
  create(ctx: ControllerContext): Runnable[] | Promise<Runnable[]>;
}
