/**
 * Durations in the continuum API are strings like `500ms`, `30s`, `5m`, `1h30m` (a subset of Go's
 * time.ParseDuration: whole numbers, units ms/s/m/h, largest unit first not required). The CRD
 * schemas validate them with {@link DURATION_PATTERN}; {@link parseDuration} reads them.
 */

/** The pattern the CRD schemas enforce on every duration field. */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h))+$';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration string; throws `invalid duration "x"` when it does not match. */
export function parseDuration(text: string): number {
  if (!new RegExp(DURATION_PATTERN).test(text)) {
    throw new Error(`invalid duration "${text}": expected e.g. 500ms, 30s, 5m, 1h30m`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)(ms|s|m|h)/g)) {
    total += Number(amount) * UNIT_MS[unit as string]!;
  }
  return total;
}

/** Human duration for status.duration: `850ms`, `42s`, `2m3s`, `1h0m5s` (whole seconds from 1 s). */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
