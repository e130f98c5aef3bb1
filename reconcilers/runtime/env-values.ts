/**
 * Reads the operator's environment variables through their table (config-env.ts): an unset or
 * empty variable takes the table's default, and a bad value is refused with an error that
 * names the variable, e.g. `invalid CONTINUUM_JOB_TTL "10m": expected whole seconds`.
 */
import { OPERATOR_ENV, type EnvVar, type OperatorEnvName } from './config-env.ts';

export type Env = Record<string, string | undefined>;

/** Typed values of the variables of {@link OPERATOR_ENV}. */
export interface EnvReader {
  /** The value, else the default; undefined when there is neither. */
  string(name: OperatorEnvName): string | undefined;
  /** `true` or `false` (unset without a default: false). */
  boolean(name: OperatorEnvName): boolean;
  /** Whole seconds, 0 or more. */
  seconds(name: OperatorEnvName): number;
  /** Seconds something is kept; negative: undefined (kept forever). */
  ttlSeconds(name: OperatorEnvName): number | undefined;
  /** A comma-separated list, empty items dropped. */
  list(name: OperatorEnvName): string[];
  /** Labels written `key=value,…`. */
  labels(name: OperatorEnvName): Record<string, string>;
  /** One of `allowed`. */
  oneOf<T extends string>(name: OperatorEnvName, allowed: readonly T[]): T;
}

/** Reads the variables of `env` the table names, applying its defaults. */
export function envReader(env: Env): EnvReader {
  const string = (name: OperatorEnvName): string | undefined =>
    env[name] || (OPERATOR_ENV[name] as EnvVar).default;
  const parse = <T>(name: OperatorEnvName, expected: string, fn: (v: string) => T | undefined) => {
    const value = string(name) ?? '';
    const parsed = fn(value);
    if (parsed === undefined) throw new Error(`invalid ${name} "${value}": expected ${expected}`);
    return parsed;
  };
  return {
    string,
    boolean: (name) =>
      string(name) === undefined
        ? false
        : parse(name, 'true or false', (v) =>
            v === 'true' || v === 'false' ? v === 'true' : undefined,
          ),
    seconds: (name) =>
      parse(name, 'whole seconds', (v) => (/^\d+$/.test(v) ? Number(v) : undefined)),
    ttlSeconds: (name) =>
      parse(name, 'seconds (negative: kept)', (v) => {
        const seconds = v.trim() === '' ? NaN : Number(v);
        if (!Number.isFinite(seconds)) return undefined;
        return { seconds: seconds < 0 ? undefined : seconds };
      }).seconds,
    list: (name) =>
      (string(name) ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    labels: (name) =>
      parse(name, 'key=value pairs, comma-separated', (v) => {
        const pairs = v.split(',').map((pair) => pair.split('=', 2).map((p) => p.trim()));
        if (pairs.some(([key, value]) => !key || value === undefined)) return undefined;
        return Object.fromEntries(pairs) as Record<string, string>;
      }),
    oneOf: (name, allowed) => parse(name, allowed.join(', '), (v) => allowed.find((a) => a === v)),
  };
}
