/**
 * Polling for resulting state, the one way tests (and the demo) wait for something, and the one
 * plain pause.
 */
import { setTimeout as pause } from 'node:timers/promises';

type Maybe<T> = T | undefined | false;

/**
 * Polls `probe` until it returns a value other than `undefined` or `false` (a throw counts as
 * not yet) and resolves to it; rejects after `timeoutMs` naming `what`, with `describe()`'s
 * account of the last state seen when given.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Maybe<T> | Promise<Maybe<T>>,
  timeoutMs = 60_000,
  describe?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const state = describe ? `; last seen: ${await describe().catch(String)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state}`);
    }
    await sleep(100);
  }
}

/**
 * Resolves after `ms` of wall time: for a pause a test means (letting a call get in flight,
 * letting an operator run a while), never to wait for a state ({@link waitFor} does that).
 */
export function sleep(ms: number): Promise<void> {
  return pause(ms);
}
