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
import { natsConnected } from './metrics.ts';

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
  private lastChange = Date.now();
  private readonly listeners: Array<() => void> = [];
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
    this.connecting = this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.nc?.close();
    await this.connecting;
  }

  private async connect(): Promise<void> {
    try {
      const nc = await connect({
        servers: this.servers.split(','),
        name: 'continuum-trigger',
        maxReconnectAttempts: -1,
        waitOnFirstConnect: true,
      });
      if (this.stopped) return void (await nc.close());
      this.nc = nc;
      this.log.info({ server: nc.getServer() }, 'metrics subscriber connected');
      nc.subscribe(`${METRICS_SUBJECT_PREFIX}.*`, {
        callback: (err, msg) => {
          if (err) return this.log.warn({ err: String(err) }, 'metrics subscription error');
          void this.ingest.ingest(msg.subject, msg.data);
        },
      });
      await nc.flush();
      this.onSubscribed();
      this.setConnected(true);
      void this.followStatus(nc);
    } catch (err) {
      this.log.error({ err: String(err) }, 'cannot connect to NATS');
    }
  }

  /** Logs the connection's events; a reconnection also restores the subscription. */
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
    natsConnected.set(value ? 1 : 0);
    for (const listener of this.listeners) listener();
  }
}
