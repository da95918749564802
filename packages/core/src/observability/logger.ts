/**
 * Structured logging. Harbormaster logs through a small {@link Logger} interface shaped like
 * pino's (`logger.info({ key: 'default/web' }, 'reconciled')`, `logger.child({ controller })`), so
 * a pino logger can be passed as is. Controllers log with the object's key bound.
 *
 * The default logger writes JSON lines to stderr at level `warn` and above; {@link silentLogger}
 * writes nothing.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const manager = createManager({ api, logger: pino() });
 * ```
 *
 * @module
 */

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Fields of a structured log line. */
export type LogFields = Record<string, unknown>;

/** A structured logger (pino-compatible). */
export interface Logger {
  /** Write a line at level `debug`. */
  debug(fields: LogFields, message?: string): void;
  /** Write a line at level `info`. */
  info(fields: LogFields, message?: string): void;
  /** Write a line at level `warn`. */
  warn(fields: LogFields, message?: string): void;
  /** Write a line at level `error`; the machinery passes the error as the `err` field, as pino expects. */
  error(fields: LogFields, message?: string): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogFields): Logger;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of {@link jsonLogger}. */
export interface JsonLoggerOptions {
  /** The least severe level written. @default 'warn' */
  readonly level?: LogLevel;
  /** Where a line goes. @default a line on process.stderr */
  readonly write?: (line: string) => void;
  /** Fields on every line. */
  readonly bindings?: LogFields;
  /** The time of a line, in ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

function serialize(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(value.stack === undefined ? {} : { stack: value.stack }) };
  }
  return value;
}

/** A logger writing one JSON object per line: `{"level":"warn","time":…,"msg":…,…fields}`. */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const min = order[options.level ?? 'warn'];
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const bindings = options.bindings ?? {};
  const log =
    (level: LogLevel) =>
    (fields: LogFields, message?: string): void => {
      if (order[level] < min) return;
      const out: LogFields = { level, time: now(), ...bindings };
      for (const [k, v] of Object.entries(fields)) out[k] = serialize(v);
      if (message !== undefined) out['msg'] = message;
      write(JSON.stringify(out));
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => jsonLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
