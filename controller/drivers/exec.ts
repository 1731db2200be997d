/**
 * The `exec` driver: runs a program from the controller's driver dir with the operation as its one argument, the
 * request as JSON on stdin, and reads a JSON answer from stdout. Exit 0 = ok, 78 (EX_CONFIG) = permanent, anything
 * else = retryable. See examples/drivers/README.md for the contract as drivers see it.
 *
 * Every driver runs in its own process group (a new session, via `detached`), so a timeout, an abort or controller
 * shutdown can take down the whole tree it started, not only the direct child.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { systemClock, type Clock } from '../clock/clock';
import { ValidationError } from '../domain/errors';
import { formatDuration } from './format';
import { driverNameProblem, resolveDriverProgram } from './program';
import { spawnProcessGroup } from './process-group';
import { DriverRun } from './driver-run';
import { EX_CONFIG, abortDetail, spawnFailedOutcome, type KillReason } from './run-outcome';

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
  /**
   * The job this run belongs to. Not sent to exec drivers (their wire request is unchanged); the http driver derives
   * its idempotency key from it, because a re-drive after a crash runs the same job again with a higher attempt.
   */
  jobId: number;
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
  /** Times the timeout, the stdio linger and the SIGKILL after the grace period; default the system clock. */
  clock?: Clock;
}

/**
 * Controller secrets removed from every driver's environment: the API token, the database URL (it may carry a
 * password), the sealing key, and every http driver secret (PREWARM_SECRET_*). Drivers run third-party code.
 */
export function withoutControllerSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  for (const name of Object.keys(env)) {
    if (name === 'PREWARM_TOKEN' || name === 'PREWARM_DATABASE' || name.startsWith('PREWARM_SECRET_')) delete env[name];
  }
  return env;
}
const DEFAULTS = {
  timeoutMs: 30 * 60 * 1000,
  killGraceMs: 5000,
  stderrLimitBytes: 64 * 1024,
  stdoutLimitBytes: 1024 * 1024,
  stdioLingerMs: 2000,
};

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

/** The driver's environment: the controller's own, the operator's settings, then the request's variables. */
function driverEnvironment(operatorEnv: Record<string, string>, req: DriverRequest): NodeJS.ProcessEnv {
  // Request-specific variables come last: static operator settings must not be able to misstate them.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...operatorEnv,
    PREWARM_OP: req.op,
    PREWARM_INSTANCE_ID: req.instance.id,
    PREWARM_INSTANCE_NAME: req.instance.name,
  };
  return withoutControllerSecrets(env);
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
      clock: opts.clock ?? systemClock,
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
    this.killRunning();
  }

  /** Kills what runs now (as killAll) and keeps accepting runs: a replica that lost the lead may lead again later. */
  killRunning(): void {
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

  /** Starts the driver's process group and waits for its outcome; never rejects. */
  private spawnAndWait(
    file: string,
    label: string,
    req: DriverRequest,
    elapsed: () => number,
    signal: AbortSignal | undefined,
  ): Promise<DriverOutcome> {
    const env = driverEnvironment(this.opts.env, req);
    return new Promise<DriverOutcome>((resolve) => {
      const spawned = spawnProcessGroup(file, [req.op], this.dir, env);
      if (!spawned.ok) {
        resolve(spawnFailedOutcome(label, file, spawned.error, '', elapsed()));
        return;
      }
      const child = spawned.child;
      const run = new DriverRun(child, { file, label, limits: this.opts, elapsed, signal, clock: this.opts.clock }, (outcome) => {
        this.live.delete(child);
        resolve(outcome);
      });
      if (!run.started) return; // the 'error' event reports it
      this.live.set(child, run.kill);
      run.begin(wireRequest(req));
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
