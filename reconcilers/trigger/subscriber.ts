/**
 * The trigger's NATS side: subscribes `continuum.metrics.*` and hands every message to
 * {@link MetricsIngest}. Connects in the background and reconnects forever; the operator does
 * not wait for NATS to start (the trigger is simply idle while NATS is unreachable). Whether
 * it is connected is observable ({@link TriggerConnection}): the policies' status reports it.
 */
import { connect, Events, type NatsConnection } from 'nats';
import type { Logger } from '../runtime/log.ts';
import type { Runnable } from '../operator/context.ts';
import { METRICS_SUBJECT_PREFIX } from '../agent/message.ts';
import type { MetricsIngest } from './ingest.ts';
import { natsConnectedGauge } from './metrics.ts';

/** Whether metrics can arrive now, and since when that holds. */
export interface TriggerConnection {
  /** Connected and subscribed (false until the first connection, and while reconnecting). */
  connected(): boolean;
  /** When connected() last changed (or the subscriber started), in ms since the epoch. */
  changedAt(): number;
  /** Calls `listener` after every change of connected(). */
  onChange(listener: () => void): void;
}

/** Between two attempts to reach NATS before the first connection. */
const retryMs = 2000;

export class MetricsSubscriber implements Runnable, TriggerConnection {
  private nc: NatsConnection | undefined;
  private isConnected = false;
  private lastChange = Date.now();
  private readonly listeners: Array<() => void> = [];
  private wake: (() => void) | undefined;
  private connecting: Promise<void> | undefined;
  private stopped = false;
  private onSubscribed!: () => void;
  /** Resolves once the subscription is registered with the server. */
  readonly subscribed = new Promise<void>((resolve) => (this.onSubscribed = resolve));

  constructor(
    private readonly servers: string,
    private readonly ingest: MetricsIngest,
    private readonly log: Logger,
  ) {}

  connected(): boolean {
    return this.isConnected;
  }

  changedAt(): number {
    return this.lastChange;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.stopped = false;
    this.lastChange = Date.now(); // the grace period of the first connection starts now
    natsConnectedGauge().set(0);
    this.connecting = this.connect();
  }

  /** Closes the connection, or ends the attempts to make one (an attempt in flight: at most `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.nc?.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.connecting,
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
  }

  /**
   * Connects, trying again every {@link retryMs} until NATS answers or the subscriber stops (the
   * client's own waitOnFirstConnect could not be stopped); once connected, the client reconnects
   * by itself, forever.
   */
  private async connect(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      let nc: NatsConnection;
      try {
        nc = await connect({
          servers: this.servers.split(','),
          name: 'continuum-trigger',
          maxReconnectAttempts: -1,
          // A connection that dies without closing is noticed within ~30 s (default: minutes).
          pingInterval: 10_000,
          maxPingOut: 2,
        });
      } catch (err) {
        if (attempt === 1 || attempt % 30 === 0)
          this.log.warn({ err: String(err), attempt }, 'cannot connect to NATS; retrying');
        await this.pause(retryMs);
        continue;
      }
      if (this.stopped) return void (await nc.close());
      return this.subscribe(nc);
    }
  }

  private async subscribe(nc: NatsConnection): Promise<void> {
    this.nc = nc;
    this.log.info({ server: nc.getServer() }, 'metrics subscriber connected');
    void this.followStatus(nc); // before anything else, so that no disconnection is missed
    nc.subscribe(`${METRICS_SUBJECT_PREFIX}.*`, {
      callback: (err, msg) => {
        if (err) return this.log.warn({ err: String(err) }, 'metrics subscription error');
        void this.ingest.ingest(msg.subject, msg.data);
      },
    });
    try {
      await nc.flush();
      this.setConnected(true);
    } catch (err) {
      // dropped before the server confirmed: the client restores the subscription when it
      // reconnects, and the Reconnect event marks it connected
      this.log.warn({ err: String(err) }, 'NATS dropped before the subscription was confirmed');
    }
  }

  /** Sleeps `ms`, or less when stopped. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Follows the connection's events; a reconnection also restores the subscription. */
  private async followStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      this.log.info({ type: s.type, data: String(s.data) }, 'NATS connection status');
      if (s.type === Events.Disconnect) this.setConnected(false);
      if (s.type === Events.Reconnect) this.setConnected(true);
    }
    this.setConnected(false); // closed
  }

  private setConnected(value: boolean): void {
    if (value === this.isConnected) return;
    this.isConnected = value;
    this.lastChange = Date.now();
    natsConnectedGauge().set(value ? 1 : 0);
    if (value) this.onSubscribed();
    for (const listener of this.listeners) listener();
  }
}
