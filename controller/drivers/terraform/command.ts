/**
 * One terraform (or tofu) command as its own process group: bounded capture of its combined output, the driver
 * timeout and the abort signal, both of which take down the whole group (terraform, its providers and any
 * provisioner scripts). Settles exactly once and never rejects.
 */
import type { ChildProcess } from 'node:child_process';
import { TailBuffer } from '../output';
import { spawnProcessGroup, terminateGroup } from '../process-group';
import type { KillReason } from '../run-outcome';

export interface CommandSpec {
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Bytes of the end of the combined output kept. */
  outputLimitBytes: number;
  killGraceMs: number;
  /** Called with the process group id once the command has started (for the run record a re-drive reads). */
  onStart?: (pgid: number) => void;
}

export interface CommandResult {
  /** null when the command never started (spawnError says why) or was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: KillReason | null;
  spawnError: NodeJS.ErrnoException | null;
  /** The end of stdout and stderr, interleaved as they arrived. */
  output: string;
  /** The complete stdout, for commands whose answer is their stdout (`output -json`); capped at `stdoutLimitBytes`. */
  stdout: string;
}

/** A running command that its owner can kill; `done` settles once the leader has exited and its pipes closed. */
export interface RunningCommand {
  kill(reason: KillReason): void;
  done: Promise<CommandResult>;
}

const STDOUT_LIMIT = 4 * 1024 * 1024;

export function startCommand(spec: CommandSpec): RunningCommand {
  const output = new TailBuffer(spec.outputLimitBytes);
  const stdoutChunks: Buffer[] = [];
  let stdoutBytes = 0;
  let killed: KillReason | null = null;
  let child: ChildProcess | undefined;
  let exited = false;
  const done = new Promise<CommandResult>((resolve) => {
    const spawned = spawnProcessGroup(spec.file, spec.args, spec.cwd, spec.env);
    if (!spawned.ok) {
      resolve({ code: null, signal: null, killed: null, spawnError: spawned.error, output: '', stdout: '' });
      return;
    }
    child = spawned.child;
    let settled = false;
    const finish = (r: Omit<CommandResult, 'output' | 'stdout' | 'killed'>) => {
      if (settled) return;
      settled = true;
      child?.stdout?.destroy();
      child?.stderr?.destroy();
      resolve({ ...r, killed, output: output.text(), stdout: Buffer.concat(stdoutChunks).toString('utf8') });
    };
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('error', () => undefined);
    child.stderr?.on('error', () => undefined);
    child.stdin?.end();
    child.stdout?.on('data', (chunk: Buffer) => {
      output.push(chunk);
      if (stdoutBytes < STDOUT_LIMIT) {
        stdoutChunks.push(chunk);
        stdoutBytes += chunk.length;
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child?.pid !== undefined) return;
      finish({ code: null, signal: null, spawnError: err });
    });
    let lingerTimer: NodeJS.Timeout | undefined;
    child.on('exit', (code, signal) => {
      exited = true;
      // A provisioner's background process may keep the pipes open after terraform itself is gone.
      lingerTimer = setTimeout(() => finish({ code, signal, spawnError: null }), 2000);
    });
    child.on('close', (code, signal) => {
      clearTimeout(lingerTimer);
      finish({ code, signal, spawnError: null });
    });
    if (child.pid !== undefined) spec.onStart?.(child.pid);
  });
  return {
    done,
    kill(reason: KillReason) {
      if (killed || exited || child?.pid === undefined) return;
      killed = reason;
      // terraform treats SIGTERM as an interrupt: it stops starting new operations and writes its state before it
      // exits, which is what a later re-drive needs. SIGKILL follows after the grace period.
      terminateGroup(child.pid, spec.killGraceMs);
    },
  };
}
