/**
 * How a driver run ends up as a DriverOutcome: exit 0 with a valid JSON answer = ok, 78 (EX_CONFIG) = permanent,
 * anything else (another exit code, a signal, a kill by the controller, a program that would not start, an answer
 * that is too big or not JSON) = retryable.
 */
import { formatBytes, formatDuration, quotedExcerpt } from './format';
import { lastLine } from '../domain/text';
import { parseAnswer, type CappedBuffer } from './output';
import type { DriverOutcome } from './exec';

export const EX_CONFIG = 78;

/** Why the controller killed a driver's process group. */
export type KillReason = { kind: 'timeout' } | { kind: 'aborted'; detail: string } | { kind: 'shutdown' };

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Everything a finished run left behind. */
export interface RunRemains {
  exit: ExitStatus | null;
  killReason: KillReason | null;
  stderr: string;
  stdout: CappedBuffer;
}

/** An AbortSignal's reason as text for a message. */
export function abortDetail(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  if (typeof r === 'string' && r !== '') return r;
  return 'aborted';
}

function spawnFailure(file: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return `could not be started: ${file} or the interpreter named in its #! line was not found (ENOENT)`;
    case 'EACCES':
      return `could not be started: permission denied executing ${file} or its interpreter (EACCES)`;
    default:
      return `could not be started: ${err.message}`;
  }
}

/** The program could not be started at all. */
export function spawnFailedOutcome(label: string, file: string, err: NodeJS.ErrnoException, stderr: string, durationMs: number): DriverOutcome {
  return { kind: 'retryable', message: `${label} ${spawnFailure(file, err)}`, stderr, exitCode: null, durationMs };
}

/** The outcome of a run whose leader has exited (or whose stdio was closed). */
export function runOutcome(
  label: string,
  remains: RunRemains,
  limits: { timeoutMs: number; stdoutLimitBytes: number },
  durationMs: number,
): DriverOutcome {
  const base = { stderr: remains.stderr, durationMs };
  const code = remains.exit?.code ?? null;
  const sig = remains.exit?.signal ?? undefined;
  if (remains.killReason) {
    const why = killedBecause(remains.killReason, limits.timeoutMs);
    return { kind: 'retryable', message: `${label} ${why}; killed its process group`, exitCode: code, ...(sig ? { signal: sig } : {}), ...base };
  }
  const tail = lastLine(remains.stderr);
  const withTail = (m: string): string => (tail ? `${m}: ${tail}` : m);
  if (sig) {
    return { kind: 'retryable', message: withTail(`${label} was killed by signal ${sig}`), exitCode: null, signal: sig, ...base };
  }
  if (code === EX_CONFIG) {
    return { kind: 'permanent', message: withTail(`${label} reported a permanent configuration error (exit code 78)`), exitCode: EX_CONFIG, ...base };
  }
  if (code !== 0) {
    return { kind: 'retryable', message: withTail(`${label} failed with exit code ${code}`), exitCode: code, ...base };
  }
  return answerOutcome(label, remains.stdout, limits.stdoutLimitBytes, base);
}

/** Why a run was stopped, as the end of a sentence that starts with what was stopped. */
export function killedBecause(reason: KillReason, timeoutMs: number): string {
  switch (reason.kind) {
    case 'timeout':
      return `timed out after ${formatDuration(timeoutMs)}`;
    case 'aborted':
      return `was aborted (${reason.detail})`;
    case 'shutdown':
      return 'was interrupted by controller shutdown';
  }
}

/** Exit 0: the outcome is whatever stdout answered. */
function answerOutcome(label: string, stdout: CappedBuffer, stdoutLimitBytes: number, base: { stderr: string; durationMs: number }): DriverOutcome {
  if (stdout.overflowed) {
    return {
      kind: 'retryable',
      message: `${label} wrote more than ${formatBytes(stdoutLimitBytes)} to stdout; the answer must be one JSON object`,
      exitCode: 0,
      ...base,
    };
  }
  const out = stdout.bytes();
  const answer = parseAnswer(out);
  if (!answer.ok) {
    return {
      kind: 'retryable',
      message: `${label} answered with ${answer.reason} (first 200 bytes: ${quotedExcerpt(out, 200)})`,
      exitCode: 0,
      ...base,
    };
  }
  return { kind: 'ok', attributes: answer.attributes, exitCode: 0, ...base };
}
