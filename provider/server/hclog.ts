/**
 * Logging for the plugin process. go-plugin reads every stderr line and re-logs it through Terraform's provider
 * logger (shown with TF_LOG / TF_LOG_PROVIDER), understanding hclog JSON lines:
 * `@level` and `@message` strings, `@timestamp` with exactly six fractional digits, other keys as key/value pairs.
 * Crashes are reported as plain `panic: ` lines followed by the stack, which Terraform captures even with logging
 * off and prints as "The terraform-provider-prewarm plugin crashed!".
 */
import type { ProviderLog } from './handler-contract';

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type Threshold = Level | 'off';

const rank: Record<Threshold, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, off: 5 };

/** Anything with a synchronous-enough write: process.stderr, a test's PassThrough. */
export interface LineSink {
  write(chunk: string): unknown;
}

/**
 * TF_LOG_PROVIDER wins over TF_LOG (as in terraform-plugin-go). Terraform's own rules for the values: TRACE, DEBUG,
 * INFO, WARN, ERROR, OFF and JSON (= trace); any other non-empty value means TRACE. With neither set Terraform
 * throws provider output away (except crash reports), so the default only matters to someone running the plugin
 * by hand: info.
 */
export function levelFromEnv(env: NodeJS.ProcessEnv): Threshold {
  const raw = env.TF_LOG_PROVIDER?.trim() || env.TF_LOG?.trim() || '';
  if (raw === '') return 'info';
  const value = raw.toLowerCase();
  if (value === 'json') return 'trace';
  if (value in rank) return value as Threshold;
  return 'trace';
}

/** hclog's `2006-01-02T15:04:05.000000Z07:00` in UTC, from microseconds since the epoch. */
export function hclogTimestamp(epochMicros: number): string {
  const micros = Math.floor(epochMicros);
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(fraction).padStart(6, '0')}Z`;
}

/** Wall clock with sub-millisecond resolution (Date.now() has only milliseconds). */
export function nowMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** go-plugin's default line buffer is 64 KiB; longer lines are split and lose their structure. */
const MAX_MESSAGE = 16 * 1024;
const MAX_FIELD = 8 * 1024;

export class Logger implements ProviderLog {
  constructor(
    private readonly sink: LineSink,
    readonly threshold: Threshold,
    private readonly fields: Record<string, unknown> = {},
    private readonly module = 'prewarm',
    private readonly clock: () => number = nowMicros,
  ) {}

  /** The same sink and level with extra key/value pairs on every line (e.g. `tf_rpc`). */
  with(fields: Record<string, unknown>): Logger {
    return new Logger(this.sink, this.threshold, { ...this.fields, ...fields }, this.module, this.clock);
  }

  enabled(level: Level): boolean {
    return rank[level] >= rank[this.threshold];
  }

  trace(msg: string, fields?: Record<string, unknown>): void {
    this.log('trace', msg, fields);
  }
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }

  log(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    try {
      this.sink.write(`${this.format(level, msg, fields)}\n`);
    } catch {
      // stderr is gone (Terraform exited): nothing left to tell.
    }
  }

  /** One JSON line. `@level` and `@message` are always strings: go-plugin asserts their type without checking. */
  format(level: Level, msg: string, fields?: Record<string, unknown>): string {
    const line: Record<string, unknown> = {
      '@level': level,
      '@message': clip(String(msg), MAX_MESSAGE),
      '@module': this.module,
      '@timestamp': hclogTimestamp(this.clock()),
    };
    for (const source of [this.fields, fields ?? {}]) {
      for (const [key, value] of Object.entries(source)) {
        if (value === undefined) continue;
        // Keys starting with @ are hclog's own; a field must never replace them.
        line[key.startsWith('@') ? `_${key}` : key] = plainValue(value);
      }
    }
    return JSON.stringify(line);
  }
}

/** A value JSON can hold without throwing (bigint, cycles, errors) and without blowing up the line. */
function plainValue(value: unknown): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return clip(value, MAX_FIELD);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return clip(value.message, MAX_FIELD);
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    if (text === undefined) return String(value);
    return text.length > MAX_FIELD ? clip(text, MAX_FIELD) : (JSON.parse(text) as unknown);
  } catch {
    return String(value);
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

/**
 * Go-style crash text: a `panic: <message>` line, then the stack as untagged lines (Terraform records every
 * untagged line after the panic line). `[prewarm]`-free on purpose: the `panic: ` prefix must start the line.
 */
export function formatPanic(headline: string, err: unknown): string {
  const message = errorMessage(err);
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : undefined;
  const lines = [`panic: ${headline === '' ? message : `${headline}: ${message}`}`.split('\n')[0], ''];
  if (stack !== undefined) lines.push(...stack.split('\n'));
  else lines.push(`(thrown value: ${message})`);
  return `${lines.join('\n')}\n`;
}

/** For reports written on the way out: a sink that fails (Terraform gone, EPIPE) must not turn into a new error. */
export function writeQuietly(sink: LineSink, text: string): void {
  try {
    sink.write(text);
  } catch {
    // nobody is listening any more
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
