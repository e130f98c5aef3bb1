/**
 * Prometheus metrics of the operator, served on /metrics (server.ts). The metric objects are
 * module singletons on one registry so that every controller (migration, trigger, edgenode)
 * imports and updates the same series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The registry /metrics serves (process metrics included: RSS, CPU, event loop lag). */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'continuum_' });

/** Migrations currently in each phase; set by the migration controller from its cache. */
export const migrationsByPhase = new Gauge({
  name: 'continuum_migrations',
  help: 'Migrations by current phase',
  labelNames: ['phase'] as const,
  registers: [registry],
});

/** Migrations that reached a terminal phase; result is `done` or `failed`. */
export const migrationsCompleted = new Counter({
  name: 'continuum_migrations_completed_total',
  help: 'Migrations that reached Done or Failed, by result and restore policy',
  labelNames: ['result', 'restore_policy'] as const,
  registers: [registry],
});

/** Time spent in each phase, observed when a Migration leaves the phase. */
export const phaseDuration = new Histogram({
  name: 'continuum_migration_phase_duration_seconds',
  help: 'Time a Migration spent in a phase',
  labelNames: ['phase'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  registers: [registry],
});

/** Reconciles that threw (transient errors, retried with backoff); conflicts are not counted. */
export const reconcileErrors = new Counter({
  name: 'continuum_reconcile_errors_total',
  help: 'Reconciles that failed and were retried with backoff',
  labelNames: ['controller'] as const,
  registers: [registry],
});

/** Reconciles run, by outcome (`success`, `error`, `conflict`). */
export const reconcileTotal = new Counter({
  name: 'continuum_reconcile_total',
  help: 'Reconciles run, by controller and outcome',
  labelNames: ['controller', 'outcome'] as const,
  registers: [registry],
});

/** Keys waiting in a controller's work queue (ready now, not delayed). */
export const queueDepth = new Gauge({
  name: 'continuum_workqueue_depth',
  help: 'Keys ready in the work queue of a controller',
  labelNames: ['controller'] as const,
  registers: [registry],
});

/** 1 while this process holds the leader Lease. */
export const isLeader = new Gauge({
  name: 'continuum_leader',
  help: '1 while this replica is the leader',
  registers: [registry],
});

/** The metric objects, as handed to controller factories. */
export const metrics = {
  registry,
  migrationsByPhase,
  migrationsCompleted,
  phaseDuration,
  reconcileErrors,
  reconcileTotal,
  queueDepth,
  isLeader,
};
export type Metrics = typeof metrics;
