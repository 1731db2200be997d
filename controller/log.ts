/**
 * The controller's logs, on pino: one JSON object per line, on stderr by default (stdout stays free for command
 * output). Every line starts `{"time":"<ISO-8601>","level":"debug|info|warn|error","msg":"…"`, then the caller's
 * fields; an Error field is written as its message and a bigint (at any depth) as a decimal string.
 */
import pino, { type DestinationStream } from 'pino';
import { systemClock } from './clock/clock';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * stderr, written synchronously: the line logged just before a crash or process.exit() is not lost in a buffer.
 * One destination for every logger of the process.
 */
let stderr: DestinationStream | undefined;
const stderrDestination = () => (stderr ??= pino.destination({ fd: 2, sync: true }));

/**
 * pino writes the level and then the time at the start of each line, the message after the fields. To keep the
 * time first and the message before the fields, pino's own level output is empty (the level formatter's object
 * is the line's opening `{`), the timestamp is the line's first property, and level and msg lead the object
 * each call logs. test/unit/ops/log.test.ts pins the resulting order.
 */
const isoTimeFirst = () => `"time":"${new Date(systemClock.now()).toISOString()}"`;

/** One JSON object per line, on stderr by default; `write` receives each line (with its newline) instead. */
export function jsonLogger(level: LogLevel, write?: (line: string) => void): Logger {
  const logger = pino(
    {
      level,
      base: undefined, // no pid, no hostname
      timestamp: isoTimeFirst,
      formatters: { level: () => ({}) },
      messageKey: 'msg',
    },
    write ? { write } : stderrDestination(),
  );
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    const entry: Record<string, unknown> = { level: lvl, msg };
    if (fields) for (const [k, v] of Object.entries(fields)) entry[k] = v instanceof Error ? v.message : bigintsAsStrings(v);
    logger[lvl](entry);
  };
  const noop = () => undefined;
  const method = (lvl: LogLevel) => (logger.isLevelEnabled(lvl) ? (m: string, f?: Record<string, unknown>) => emit(lvl, m, f) : noop);
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}

/**
 * pino's serializer would print a bigint as a bare number (or throw, at the top level); the contract is a
 * string. Objects are copied only along a path that holds a bigint; a value with toJSON (a Date) is left to it,
 * and a circular reference to pino (which prints it as "[Circular]").
 */
function bigintsAsStrings(v: unknown, path: object[] = []): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'object' || v === null || path.includes(v) || typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
  path.push(v);
  let out: Record<string, unknown> | unknown[] | undefined;
  for (const [k, item] of Object.entries(v)) {
    const c = bigintsAsStrings(item, path);
    if (c !== item) ((out ??= Array.isArray(v) ? [...v] : { ...v }) as Record<string, unknown>)[k] = c;
  }
  path.pop();
  return out ?? v;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
