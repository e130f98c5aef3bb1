/**
 * The first connection to NATS of a long-running component (the operator's trigger, the
 * agent): tried again every few seconds until NATS answers or the component stops. nats.js's
 * own `waitOnFirstConnect` retries forever and cannot be stopped, which kept a stopping process
 * alive. Once connected, the client reconnects by itself, forever.
 */
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './log.ts';

/** Between two attempts before the first connection. */
const retryMs = 2000;

/** A connection, or undefined once `signal` aborts. */
export async function connectUntilAborted(
  options: ConnectionOptions,
  signal: AbortSignal,
  log: Logger,
): Promise<NatsConnection | undefined> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      const nc = await connect({
        maxReconnectAttempts: -1,
        // A connection that dies without closing is noticed within ~30 s (default: minutes).
        pingInterval: 10_000,
        maxPingOut: 2,
        ...options,
      });
      if (!signal.aborted) return nc;
      await nc.close();
    } catch (err) {
      if (attempt === 1 || attempt % 30 === 0)
        log.warn({ err: String(err), attempt }, 'cannot connect to NATS; retrying');
      await sleep(retryMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return undefined;
}
