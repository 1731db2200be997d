/**
 * One spawned driver process group, from its start to its outcome: bounded capture of stdout and stderr, the
 * request on stdin, the timeout and abort that kill the whole group, and the wait for the leader's exit and its
 * stdio to close. A run settles exactly once.
 */
import type { ChildProcess } from 'node:child_process';
import type { Clock, Timer } from '../clock/clock';
import { CappedBuffer, TailBuffer } from './output';
import { terminateGroup } from './process-group';
import { abortDetail, runOutcome, spawnFailedOutcome, type ExitStatus, type KillReason } from './run-outcome';
import type { DriverOutcome, ExecDriverOptions } from './exec';

export type DriverRunLimits = Required<Pick<ExecDriverOptions, 'timeoutMs' | 'killGraceMs' | 'stderrLimitBytes' | 'stdoutLimitBytes' | 'stdioLingerMs'>>;

/** What a run needs besides its process: for messages, limits and timing. */
export interface DriverRunContext {
  /** The resolved program, for start-up failure messages. */
  file: string;
  /** `driver "NAME" OP`, the start of every message. */
  label: string;
  limits: DriverRunLimits;
  /** Milliseconds since run() was called. */
  elapsed: () => number;
  signal: AbortSignal | undefined;
  /** Times the timeout, the stdio linger and the SIGKILL after the grace period. */
  clock: Clock;
}

export class DriverRun {
  private readonly stdout: CappedBuffer;
  private readonly stderr: TailBuffer;
  private exit: ExitStatus | null = null;
  private killReason: KillReason | null = null;
  private settled = false;
  private timeoutTimer: Timer | undefined;
  private lingerTimer: Timer | undefined;

  /** Starts watching `child` at once; `settle` receives the outcome, exactly once. */
  constructor(
    private readonly child: ChildProcess,
    private readonly context: DriverRunContext,
    private readonly settle: (outcome: DriverOutcome) => void,
  ) {
    this.stdout = new CappedBuffer(context.limits.stdoutLimitBytes);
    this.stderr = new TailBuffer(context.limits.stderrLimitBytes);
    this.watchProcess();
    this.collectOutput();
    this.ignoreStdioErrors();
  }

  /** False when the program never started; the 'error' event then settles the run. */
  get started(): boolean {
    return this.child.pid !== undefined;
  }

  /** For a started run: arms the timeout and the abort signal, then writes `request` to stdin as one JSON line. */
  begin(request: object): void {
    this.timeoutTimer = this.context.clock.setTimer(this.context.limits.timeoutMs, () => this.kill({ kind: 'timeout' }));
    this.context.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.child.stdin!.end(`${JSON.stringify(request)}\n`);
  }

  /** Kills the whole process group for `reason`. */
  readonly kill = (reason: KillReason): void => {
    // Once the leader has exited we are only draining pipes; a late timeout or abort must not rewrite the result.
    if (this.settled || this.killReason || this.exit || this.child.pid === undefined) return;
    this.killReason = reason;
    terminateGroup(this.child.pid, this.context.limits.killGraceMs, this.context.clock);
  };

  private readonly onAbort = (): void => this.kill({ kind: 'aborted', detail: this.context.signal ? abortDetail(this.context.signal) : 'aborted' });

  private watchProcess(): void {
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      // With no pid the program never started (ENOENT, EACCES, ...). Later 'error' events come from failed
      // signal delivery, which signalGroup does not use.
      if (this.child.pid !== undefined) return;
      this.finish(spawnFailedOutcome(this.context.label, this.context.file, err, this.stderr.text(), this.context.elapsed()));
    });
    this.child.on('exit', (code, sig) => {
      this.exit = { code, signal: sig };
      this.timeoutTimer?.cancel();
      // A leftover background process may hold stdout/stderr open: read them only for so long.
      this.lingerTimer = this.context.clock.setTimer(this.context.limits.stdioLingerMs, this.conclude);
    });
    this.child.on('close', (code, sig) => {
      this.exit ??= { code, signal: sig };
      this.conclude();
    });
  }

  private collectOutput(): void {
    this.child.stdout!.on('data', (chunk: Buffer) => this.stdout.push(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk));
  }

  /**
   * Destroyed streams and drivers that exit without reading stdin produce errors that are not failures by
   * themselves: the exit status decides.
   */
  private ignoreStdioErrors(): void {
    this.child.stdout!.on('error', () => undefined);
    this.child.stderr!.on('error', () => undefined);
    this.child.stdin!.on('error', () => undefined);
  }

  /** The leader has exited and its stdio closed (or lingered too long): the outcome is known. */
  private readonly conclude = (): void => {
    if (this.settled) return;
    const remains = { exit: this.exit, killReason: this.killReason, stderr: this.stderr.text(), stdout: this.stdout };
    this.finish(runOutcome(this.context.label, remains, this.context.limits, this.context.elapsed()));
  };

  private finish(outcome: DriverOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.timeoutTimer?.cancel();
    this.lingerTimer?.cancel();
    this.context.signal?.removeEventListener('abort', this.onAbort);
    // Stop reading from pipes a leftover background process may still hold.
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    this.settle(outcome);
  }
}
