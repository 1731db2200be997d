/**
 * The `exec` driver: runs a program from the controller's driver dir with the operation as its one argument, the
 * request as JSON on stdin, and reads a JSON answer from stdout. Exit 0 = ok, 78 (EX_CONFIG) = permanent, anything
 * else = retryable. See examples/drivers/README.md for the contract as drivers see it.
 *
 * Every driver runs in its own process group (a new session, via `detached`), so a timeout, an abort or controller
 * shutdown can take down the whole tree it started, not only the direct child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ValidationError } from '../domain/errors';
import { formatBytes, formatDuration, lastLine, quotedExcerpt } from './format';
import { CappedBuffer, TailBuffer, parseAnswer } from './output';
import { driverNameProblem, resolveDriverProgram } from './program';

export { resolveDriverProgram, driverNameProblem } from './program';

export type DriverOp = 'create' | 'delete' | 'start' | 'stop';
export const DRIVER_OPS: readonly DriverOp[] = ['create', 'delete', 'start', 'stop'];

export interface DriverRequest {
  instance: { id: string; name: string };
  template: { name: string; version: number };
  preset: { template: string; name: string };
  parameters: Record<string, string>;
  config: Record<string, string>;
  attempt: number;
  op: DriverOp;
}

export type DriverOutcome =
  | { kind: 'ok'; attributes: Record<string, string>; stderr: string; exitCode: 0; durationMs: number }
  | { kind: 'permanent'; message: string; stderr: string; exitCode: 78; durationMs: number }
  | { kind: 'retryable'; message: string; stderr: string; exitCode: number | null; signal?: string; durationMs: number };

export interface ExecDriverOptions {
  driverDir: string;
  /** Wall-clock limit for one driver run; default 30 min. */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL to the process group; default 5 s. */
  killGraceMs?: number;
  /** How much of the end of stderr is kept; default 64 KiB. */
  stderrLimitBytes?: number;
  /** Largest accepted answer; default 1 MiB. */
  stdoutLimitBytes?: number;
  /** Extra environment for every driver (operator settings such as PREWARM_STATE_DIR). */
  env?: Record<string, string>;
  /**
   * After the driver exits, how long to keep reading stdout/stderr that a leftover background process still holds
   * open before giving up on them; default 2 s. Without it such a driver would look hung until the timeout.
   */
  stdioLingerMs?: number;
}

export const EX_CONFIG = 78;
/** Controller secrets removed from every driver's environment. */
export const DRIVER_HIDDEN_ENV = ['PREWARM_TOKEN'] as const;
const DEFAULTS = {
  timeoutMs: 30 * 60 * 1000,
  killGraceMs: 5000,
  stderrLimitBytes: 64 * 1024,
  stdoutLimitBytes: 1024 * 1024,
  stdioLingerMs: 2000,
};

type KillReason = { kind: 'timeout' } | { kind: 'aborted'; detail: string } | { kind: 'shutdown' };

/** The request as drivers receive it. Built field by field so nothing internal leaks onto the wire. */
export function wireRequest(req: DriverRequest): object {
  return {
    op: req.op,
    instance: { id: req.instance.id, name: req.instance.name },
    template: { name: req.template.name, version: req.template.version },
    preset: { template: req.preset.template, name: req.preset.name },
    parameters: { ...req.parameters },
    config: { ...req.config },
    attempt: req.attempt,
  };
}

function abortDetail(signal: AbortSignal): string {
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

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // ESRCH: every member already exited. EPERM cannot happen for our own children's group.
  }
}

export class ExecDriver {
  private readonly dir: string;
  private readonly opts: Required<Omit<ExecDriverOptions, 'env'>> & { env: Record<string, string> };
  private readonly live = new Map<ChildProcess, (reason: KillReason) => void>();

  constructor(opts: ExecDriverOptions) {
    // Resolve once: drivers run with cwd = driver dir, and a relative dir must not change meaning if the controller
    // ever changes its own cwd.
    this.dir = path.resolve(opts.driverDir);
    this.opts = {
      driverDir: this.dir,
      timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
      killGraceMs: opts.killGraceMs ?? DEFAULTS.killGraceMs,
      stderrLimitBytes: opts.stderrLimitBytes ?? DEFAULTS.stderrLimitBytes,
      stdoutLimitBytes: opts.stdoutLimitBytes ?? DEFAULTS.stdoutLimitBytes,
      stdioLingerMs: opts.stdioLingerMs ?? DEFAULTS.stdioLingerMs,
      env: { ...(opts.env ?? {}) },
    };
  }

  /** Driver processes currently running (their run() has not settled). */
  get running(): number {
    return this.live.size;
  }

  /**
   * SIGTERM every running driver's process group, then SIGKILL after the grace period. The pending run() promises
   * settle as retryable; callers that shut down should await them so the SIGKILL gets its chance to fire.
   */
  killAll(): void {
    this.closed = true;
    for (const kill of [...this.live.values()]) kill({ kind: 'shutdown' });
  }

  /** Set by killAll: a run asked for afterwards (a job that was just starting at the drain deadline) never spawns. */
  private closed = false;

  /**
   * Runs driver `program` for `req.op`. Never rejects for anything the driver does; rejects only for a programming
   * error (an op that is not one of the four).
   */
  async run(program: string, req: DriverRequest, signal?: AbortSignal): Promise<DriverOutcome> {
    if (!DRIVER_OPS.includes(req.op)) throw new TypeError(`unknown driver op ${JSON.stringify(req.op)}`);
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const label = `driver ${JSON.stringify(program)} ${req.op}`;

    // A malformed name can never work, whatever the operator does to the driver dir: that is a configuration error
    // of the template (permanent). A missing or non-executable program can be fixed in place (retryable).
    const shape = driverNameProblem(program);
    if (shape) {
      return { kind: 'permanent', message: `${label} cannot run: ${shape}`, stderr: '', exitCode: EX_CONFIG, durationMs: elapsed() };
    }
    let file: string;
    try {
      file = resolveDriverProgram(this.dir, program);
    } catch (err) {
      const detail = err instanceof ValidationError ? (err.errors[0]?.message ?? err.message) : (err as Error).message;
      return { kind: 'retryable', message: `${label} cannot run: ${detail}`, stderr: '', exitCode: null, durationMs: elapsed() };
    }
    if (this.closed) {
      return { kind: 'retryable', message: `${label} was not started: the controller is shutting down`, stderr: '', exitCode: null, durationMs: elapsed() };
    }
    if (signal?.aborted) {
      return {
        kind: 'retryable',
        message: `${label} was aborted before it started (${abortDetail(signal)})`,
        stderr: '',
        exitCode: null,
        durationMs: elapsed(),
      };
    }
    return this.spawnAndWait(file, label, req, elapsed, signal);
  }

  private spawnAndWait(
    file: string,
    label: string,
    req: DriverRequest,
    elapsed: () => number,
    signal: AbortSignal | undefined,
  ): Promise<DriverOutcome> {
    const o = this.opts;
    // Request-specific variables come last: static operator settings must not be able to misstate them.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...o.env,
      PREWARM_OP: req.op,
      PREWARM_INSTANCE_ID: req.instance.id,
      PREWARM_INSTANCE_NAME: req.instance.name,
    };
    // Drivers run third-party code: they never see the controller's API credentials.
    for (const secret of DRIVER_HIDDEN_ENV) delete env[secret];

    return new Promise<DriverOutcome>((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(file, [req.op], { cwd: this.dir, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (err) {
        // Synchronous failures: invalid arguments such as a NUL byte in an environment value.
        resolve({ kind: 'retryable', message: `${label} ${spawnFailure(file, err as NodeJS.ErrnoException)}`, stderr: '', exitCode: null, durationMs: elapsed() });
        return;
      }

      const stdout = new CappedBuffer(o.stdoutLimitBytes);
      const stderr = new TailBuffer(o.stderrLimitBytes);
      let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      let killReason: KillReason | null = null;
      let settled = false;
      let timeoutTimer: NodeJS.Timeout | undefined;
      let lingerTimer: NodeJS.Timeout | undefined;

      const kill = (reason: KillReason): void => {
        // Once the leader has exited we are only draining pipes; a late timeout or abort must not rewrite the result.
        if (settled || killReason || exit || child.pid === undefined) return;
        killReason = reason;
        const pid = child.pid;
        signalGroup(pid, 'SIGTERM');
        // Not cleared on settle: a grandchild that ignores SIGTERM and does not hold our pipes outlives the leader,
        // and must still be killed.
        setTimeout(() => signalGroup(pid, 'SIGKILL'), o.killGraceMs);
      };
      const onAbort = (): void => kill({ kind: 'aborted', detail: signal ? abortDetail(signal) : 'aborted' });

      const finish = (outcome: DriverOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeoutTimer);
        clearTimeout(lingerTimer);
        signal?.removeEventListener('abort', onAbort);
        this.live.delete(child);
        // Stop reading from pipes a leftover background process may still hold.
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve(outcome);
      };

      const conclude = (): void => {
        if (settled) return;
        const text = stderr.text();
        const base = { stderr: text, durationMs: elapsed() };
        const code = exit?.code ?? null;
        const sig = exit?.signal ?? undefined;
        if (killReason) {
          const why =
            killReason.kind === 'timeout'
              ? `timed out after ${formatDuration(o.timeoutMs)}`
              : killReason.kind === 'aborted'
                ? `was aborted (${killReason.detail})`
                : 'was interrupted by controller shutdown';
          finish({ kind: 'retryable', message: `${label} ${why}; killed its process group`, exitCode: code, ...(sig ? { signal: sig } : {}), ...base });
          return;
        }
        const tail = lastLine(text);
        const withTail = (m: string): string => (tail ? `${m}: ${tail}` : m);
        if (sig) {
          finish({ kind: 'retryable', message: withTail(`${label} was killed by signal ${sig}`), exitCode: null, signal: sig, ...base });
          return;
        }
        if (code === EX_CONFIG) {
          finish({ kind: 'permanent', message: withTail(`${label} reported a permanent configuration error (exit code 78)`), exitCode: EX_CONFIG, ...base });
          return;
        }
        if (code !== 0) {
          finish({ kind: 'retryable', message: withTail(`${label} failed with exit code ${code}`), exitCode: code, ...base });
          return;
        }
        if (stdout.overflowed) {
          finish({
            kind: 'retryable',
            message: `${label} wrote more than ${formatBytes(o.stdoutLimitBytes)} to stdout; the answer must be one JSON object`,
            exitCode: 0,
            ...base,
          });
          return;
        }
        const out = stdout.bytes();
        const answer = parseAnswer(out);
        if (!answer.ok) {
          finish({
            kind: 'retryable',
            message: `${label} answered with ${answer.reason} (first 200 bytes: ${quotedExcerpt(out, 200)})`,
            exitCode: 0,
            ...base,
          });
          return;
        }
        finish({ kind: 'ok', attributes: answer.attributes, exitCode: 0, ...base });
      };

      child.on('error', (err: NodeJS.ErrnoException) => {
        // With no pid the program never started (ENOENT, EACCES, ...). Later 'error' events come from failed
        // signal delivery, which signalGroup does not use.
        if (child.pid !== undefined) return;
        finish({ kind: 'retryable', message: `${label} ${spawnFailure(file, err)}`, stderr: stderr.text(), exitCode: null, durationMs: elapsed() });
      });
      child.on('exit', (code, sig) => {
        exit = { code, signal: sig };
        clearTimeout(timeoutTimer);
        lingerTimer = setTimeout(conclude, o.stdioLingerMs);
      });
      child.on('close', (code, sig) => {
        exit ??= { code, signal: sig };
        conclude();
      });
      child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
      // Destroyed streams and drivers that exit without reading stdin produce errors that are not failures by
      // themselves: the exit status decides.
      child.stdout!.on('error', () => undefined);
      child.stderr!.on('error', () => undefined);
      child.stdin!.on('error', () => undefined);

      if (child.pid === undefined) return; // the 'error' handler reports it
      this.live.set(child, kill);
      timeoutTimer = setTimeout(() => kill({ kind: 'timeout' }), o.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdin!.end(`${JSON.stringify(wireRequest(req))}\n`);
    });
  }
}

/** One line for logs: the kind, how long it took, and the message or the attribute names. */
export function describeOutcome(outcome: DriverOutcome): string {
  const took = formatDuration(outcome.durationMs);
  switch (outcome.kind) {
    case 'ok': {
      const names = Object.keys(outcome.attributes);
      return `ok in ${took}${names.length ? ` (attributes: ${names.join(', ')})` : ''}`;
    }
    case 'permanent':
      return `permanent failure in ${took}: ${outcome.message}`;
    case 'retryable':
      return `retryable failure in ${took}: ${outcome.message}`;
  }
}
