/**
 * One terraform (or tofu) command as its own process group, writing to files in the instance's working directory
 * rather than to pipes: a controller killed with `kill -9` then leaves a terraform that keeps running to its end
 * (a Go program writing to a closed pipe dies of SIGPIPE mid-apply, before it records what it was creating), and
 * what it printed survives for the next run to show. The driver timeout and the abort signal take down the whole
 * group (terraform, its providers and any provisioner scripts). Settles exactly once and never rejects.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Clock } from '../../clock/clock';
import { utf8TailStart } from '../format';
import { spawnProcessGroup, terminateGroup } from '../process-group';
import type { KillReason } from '../run-outcome';

export interface CommandSpec {
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where stdout and stderr go (both, interleaved), or stderr only when `stdoutFile` is set. */
  logFile: string;
  /** For a command whose answer is its stdout (`output -json`): stdout alone goes here. */
  stdoutFile?: string;
  killGraceMs: number;
  /** Times the SIGKILL that follows a kill's SIGTERM. */
  clock: Clock;
  /** Called with the process group id once the command has started (for the run record a re-drive reads). */
  onStart?: (pgid: number) => void;
}

export interface CommandResult {
  /** null when the command never started (spawnError or setupError says why) or was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: KillReason | null;
  spawnError: NodeJS.ErrnoException | null;
  /** Its output files could not be opened: nothing was started. */
  setupError: string | null;
}

/** A running command that its owner can kill; `done` settles once the leader has exited. */
export interface RunningCommand {
  kill(reason: KillReason): void;
  done: Promise<CommandResult>;
}

export function startCommand(spec: CommandSpec): RunningCommand {
  let killed: KillReason | null = null;
  let child: ChildProcess | undefined;
  let exited = false;
  const done = new Promise<CommandResult>((resolve) => {
    let log: number | undefined;
    let out: number;
    try {
      log = fs.openSync(spec.logFile, 'w', 0o600);
      out = spec.stdoutFile === undefined ? log : fs.openSync(spec.stdoutFile, 'w', 0o600);
    } catch (err) {
      if (log !== undefined) fs.closeSync(log);
      resolve({ code: null, signal: null, killed: null, spawnError: null, setupError: `cannot open its output file: ${(err as Error).message}` });
      return;
    }
    const closeFiles = () => {
      fs.closeSync(log!);
      if (out !== log) fs.closeSync(out);
    };
    const spawned = spawnProcessGroup(spec.file, spec.args, spec.cwd, spec.env, ['ignore', out, log]);
    // The child holds its own copies of the descriptors.
    closeFiles();
    if (!spawned.ok) {
      resolve({ code: null, signal: null, killed: null, spawnError: spawned.error, setupError: null });
      return;
    }
    child = spawned.child;
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child?.pid !== undefined) return;
      resolve({ code: null, signal: null, killed, spawnError: err, setupError: null });
    });
    child.on('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal, killed, spawnError: null, setupError: null });
    });
    if (child.pid !== undefined) {
      try {
        spec.onStart?.(child.pid);
      } catch {
        // Without its record a crash could leave this terraform unseen by the next run: do not let it go on.
        killed = { kind: 'aborted', detail: 'its run record could not be written' };
        terminateGroup(child.pid, spec.killGraceMs, spec.clock);
      }
    }
  });
  return {
    done,
    kill(reason: KillReason) {
      if (killed || exited || child?.pid === undefined) return;
      killed = reason;
      // terraform treats SIGTERM as an interrupt: it stops starting new operations and writes its state before it
      // exits, which is what a later re-drive needs. SIGKILL follows after the grace period.
      terminateGroup(child.pid, spec.killGraceMs, spec.clock);
    },
  };
}

/** The last `limit` bytes of a file, from a UTF-8 character boundary; '' when it cannot be read. */
export function fileTail(file: string, limit: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - limit);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    return buf.subarray(utf8TailStart(buf, limit)).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
