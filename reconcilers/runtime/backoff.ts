/**
 * Exponential backoff, the one formula behind the work queue's per-key retries, the informer's
 * list/watch retries and the registry session's request retries.
 */

export interface Backoff {
  /** Delay of the first retry; doubled on each one after it. */
  baseMs: number;
  /** Cap of the delay. */
  maxMs: number;
  /**
   * Equal jitter: a random delay between half the computed one and all of it, so that many
   * clients failing together do not retry together.
   */
  jitter?: boolean;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): `baseMs · 2^(attempt-1)`,
 * at most `maxMs`. Pure but for `random` (`Math.random` unless given), used only with jitter.
 */
export function backoffDelay(
  attempt: number,
  backoff: Backoff,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const delay = Math.min(backoff.maxMs, backoff.baseMs * 2 ** exponent);
  return backoff.jitter ? delay / 2 + random() * (delay / 2) : delay;
}
