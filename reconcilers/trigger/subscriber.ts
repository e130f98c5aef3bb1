/**
 * The trigger's NATS side: subscribes `continuum.metrics.*` and hands every message to
 * {@link MetricsIngest}. Connects in the background and reconnects forever; the operator does
 * not wait for NATS to start (the trigger is simply idle while NATS is unreachable).
 */
import { connect, type NatsConnection } from 'nats';
import type { Logger } from '../runtime/log.ts';
import type { Runnable } from '../operator/context.ts';
import { METRICS_SUBJECT_PREFIX } from '../agent/message.ts';
import type { MetricsIngest } from './ingest.ts';

export class MetricsSubscriber implements Runnable {
  private nc: NatsConnection | undefined;
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

  start(): void {
    this.stopped = false;
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
      void this.logStatus(nc);
    } catch (err) {
      this.log.error({ err: String(err) }, 'cannot connect to NATS');
    }
  }

  private async logStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      this.log.info({ type: s.type, data: String(s.data) }, 'NATS connection status');
    }
  }
}
