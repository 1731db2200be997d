/**
 * Drivers as process groups: each driver starts as the leader of a new session (`detached`), so a signal sent to
 * the group reaches every process the driver started, not only the direct child.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Clock } from '../clock/clock';

export type SpawnResult = { ok: true; child: ChildProcess } | { ok: false; error: NodeJS.ErrnoException };

/**
 * Starts `file` as the leader of its own process group, all three stdio streams piped unless `stdio` says
 * otherwise. Synchronous failures
 * (invalid arguments such as a NUL byte in an environment value) are returned; a program that cannot be executed
 * is reported later, by the child's 'error' event, and leaves `child.pid` undefined.
 */
export function spawnProcessGroup(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, stdio: StdioOptions = ['pipe', 'pipe', 'pipe']): SpawnResult {
  try {
    return { ok: true, child: spawn(file, args, { cwd, env, detached: true, stdio }) };
  } catch (err) {
    return { ok: false, error: err as NodeJS.ErrnoException };
  }
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // ESRCH: every member already exited. EPERM cannot happen for our own children's group.
  }
}

/**
 * SIGTERM to the group now, SIGKILL after `graceMs`. The SIGKILL timer is deliberately never cleared, not even when
 * the leader exits cleanly: a grandchild that ignores SIGTERM and does not hold our pipes outlives the leader, and
 * must still be killed.
 */
export function terminateGroup(pid: number, graceMs: number, clock: Pick<Clock, 'setTimer'>): void {
  signalGroup(pid, 'SIGTERM');
  clock.setTimer(graceMs, () => signalGroup(pid, 'SIGKILL'));
}
