/**
 * The trigger's NATS side: subscribes `continuum.metrics.*` and hands every message to
 * {@link MetricsIngest}. Connects in the background and reconnects forever; the operator does
 * not wait for NATS to start (the trigger is simply idle while NATS is unreachable). Whether
 * it is connected is observable ({@link TriggerConnection}): the policies' status reports it.
 */
import { Events, type NatsConnection } from 'nats';
import { realClock, type Clock, type Timer } from '../runtime/clock.ts';
import { connectUntilAborted } from '../runtime/nats.ts';
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

export class MetricsSubscriber implements Runnable, TriggerConnection {
  private nc: NatsConnection | undefined;
  private isConnected = false;
  private lastChange: number;
  private readonly listeners: Array<() => void> = [];
  private connecting: Promise<void> | undefined;
  private abort = new AbortController();
  private onSubscribed!: () => void;
  /** Resolves once the subscription is registered with the server. */
  readonly subscribed = new Promise<void>((resolve) => (this.onSubscribed = resolve));

  /** `clock` stamps {@link changedAt} and bounds {@link stop}. */
  constructor(
    private readonly servers: string,
    private readonly ingest: MetricsIngest,
    private readonly log: Logger,
    private readonly clock: Clock = realClock,
  ) {
    this.lastChange = clock.now();
  }

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
    this.abort = new AbortController();
    this.lastChange = this.clock.now(); // the grace period of the first connection starts now
    natsConnectedGauge().set(0);
    this.connecting = this.connect();
  }

  /** Closes the connection, or ends the attempts to make one (one in flight: at most `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    this.abort.abort();
    await this.nc?.close();
    let timer: Timer | undefined;
    await Promise.race([
      this.connecting,
      new Promise((resolve) => (timer = this.clock.setTimeout(() => resolve(undefined), graceMs))),
    ]);
    this.clock.clearTimeout(timer);
  }

  private async connect(): Promise<void> {
    const options = { servers: this.servers.split(','), name: 'continuum-trigger' };
    const nc = await connectUntilAborted(options, this.abort.signal, this.log);
    if (!nc) return;
    if (this.abort.signal.aborted) return void (await nc.close()); // stopped meanwhile
    await this.subscribe(nc);
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
    this.lastChange = this.clock.now();
    natsConnectedGauge().set(value ? 1 : 0);
    if (value) this.onSubscribed();
    for (const listener of this.listeners) listener();
  }
}
