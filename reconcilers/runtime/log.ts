/**
 * JSON logs (pino), one object per line on stdout. Every line about an object carries its
 * key: take a child logger with {@link forObject} (e.g. `{"migration":"ns/name"}`).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** pino level (the command's CONTINUUM_LOG_LEVEL); default `info`. */
  level?: string;
  /** Component name written as `name` on every line. */
  name?: string;
  /** Append to this file instead of writing to stdout. */
  file?: string;
}

/** A JSON logger writing to stdout (or to `opts.file`). */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const destination = opts.file ? pino.destination({ dest: opts.file, sync: true }) : undefined;
  const options = {
    level: opts.level ?? 'info',
    ...(opts.name ? { name: opts.name } : {}),
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A child logger whose every line names the object, e.g. `forObject(log, 'migration', key)`. */
export function forObject(log: Logger, kind: string, key: string): Logger {
  return log.child({ [kind]: key });
}

/** A logger that drops everything (pure tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
