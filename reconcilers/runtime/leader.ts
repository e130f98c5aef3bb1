/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection: the
 * holder renews the Lease every `retryPeriodMs`; a candidate takes it over once it has seen the
 * same record unchanged for `leaseDurationSeconds` on its own clock (no clock-skew assumptions).
 * The leader steps down (onStoppedLeading) when it cannot renew within `renewDeadlineMs`, which
 * is shorter than the lease, so two leaders never act at once. On {@link LeaderElector.stop} the
 * leader releases the Lease so a successor starts at once.
 *
 * Defaults (lease 10 s, renew deadline 7 s, retry 1.5 s) make a takeover happen within about
 * 13 s of the leader's death.
 */
import {
  CoordinationV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
} from '@kubernetes/client-node';
import { realClock, type Clock, type Timer } from './clock.ts';
import { apiErrorCode } from './kube.ts';
import type { Logger } from './log.ts';
import { isLeader } from './metrics.ts';

export interface LeaderElectionOptions {
  namespace: string;
  /** Lease name, e.g. `continuum-operator`. */
  name: string;
  /** Unique per replica (the pod name). */
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called when this replica becomes leader; start acting. */
  onStartedLeading: () => void;
  /** Called when leadership is lost or released; stop acting at once. Never called twice. */
  onStoppedLeading: () => void;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly leaseSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private leading = false;
  private lastRenew = 0;
  private observed: { record: string; at: number } | undefined;
  private timer: Timer | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  /** `clock` times the rounds and the lease's expiry, and stamps the Lease. */
  constructor(
    kc: KubeConfig,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
    private readonly clock: Clock = realClock,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.leaseSeconds = opts.leaseDurationSeconds ?? 10;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 7_000;
    this.retryMs = opts.retryPeriodMs ?? 1_500;
  }

  /** True while this replica holds the Lease. */
  isLeader(): boolean {
    return this.leading;
  }

  /** Starts competing for the Lease; returns at once. */
  start(): void {
    this.stopped = false;
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      this.running = this.tryAcquireOrRenew();
      await this.running;
      if (!this.stopped) this.timer = this.clock.setTimeout(() => void tick(), this.retryMs);
    };
    void tick();
  }

  /** Stops competing; a leader stops leading and releases the Lease (best effort). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    await this.running;
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity !== this.opts.identity) return;
      const now = new V1MicroTime(this.clock.now());
      lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now };
      await this.api.replaceNamespacedLease({ ...this.ref(), body: lease });
      this.log.info('released the leader lease');
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot release the leader lease');
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    try {
      const acquired = await this.acquireOrRenew();
      if (acquired) this.lastRenew = this.clock.now();
      if (acquired && !this.leading) this.setLeading(true);
      if (!acquired && this.leading) this.setLeading(false);
    } catch (err) {
      if (apiErrorCode(err) !== 409) this.log.warn({ err: String(err) }, 'lease update failed');
      if (this.leading && this.clock.now() - this.lastRenew > this.renewDeadlineMs) {
        this.setLeading(false);
      }
    }
  }

  /** One round: true when this replica holds the Lease afterwards. Throws on API errors. */
  private async acquireOrRenew(): Promise<boolean> {
    const now = new V1MicroTime(this.clock.now());
    const lease = await this.read();
    if (!lease) {
      await this.api.createNamespacedLease({
        namespace: this.opts.namespace,
        body: {
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: this.spec(now, now, 0),
        },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseTransitions]);
    if (this.observed?.record !== record) this.observed = { record, at: this.clock.now() };
    const holder = spec.holderIdentity ?? '';
    const mine = holder === this.opts.identity;
    const duration = (spec.leaseDurationSeconds ?? this.leaseSeconds) * 1000;
    if (!mine && holder !== '' && this.clock.now() - this.observed.at < duration) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (mine ? 0 : 1);
    const acquired = mine && spec.acquireTime ? new V1MicroTime(spec.acquireTime) : now;
    lease.spec = this.spec(now, acquired, transitions);
    await this.api.replaceNamespacedLease({ ...this.ref(), body: lease });
    if (!mine) this.log.info({ previous: holder || null }, 'acquired the leader lease');
    return true;
  }

  private spec(renew: Date, acquire: Date, transitions: number): V1Lease['spec'] {
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.leaseSeconds,
      acquireTime: acquire,
      renewTime: renew,
      leaseTransitions: transitions,
    };
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease(this.ref());
    } catch (err) {
      if (apiErrorCode(err) === 404) return undefined;
      throw err;
    }
  }

  private ref(): { namespace: string; name: string } {
    return { namespace: this.opts.namespace, name: this.opts.name };
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    isLeader.set(leading ? 1 : 0);
    this.log.info(
      { identity: this.opts.identity },
      leading ? 'started leading' : 'stopped leading',
    );
    if (leading) this.opts.onStartedLeading();
    else this.opts.onStoppedLeading();
  }
}
