/** Process helpers for tests that start real processes: liveness that sees through zombies, pid files, cleanup. */
import fs from 'node:fs';
import { waitFor } from './wait';

const hasProcfs = fs.existsSync('/proc/self/stat');

/**
 * True while `pid` is a running process. kill(pid, 0) alone succeeds for zombies (dead but not yet reaped by
 * their parent, which in a container may be an init that never reaps), so on Linux the state letter is checked too.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!hasProcfs) return true;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Reads a pid a test driver wrote to a file, waiting for it to appear. */
export async function readPidFile(file: string, timeoutMs = 5000): Promise<number> {
  let pid = NaN;
  await waitFor(
    `pid file ${file}`,
    () => {
      try {
        pid = Number(fs.readFileSync(file, 'utf8').trim());
      } catch {
        return false;
      }
      return Number.isInteger(pid) && pid > 0;
    },
    timeoutMs,
  );
  return pid;
}

/** Pids (and process groups) a test started; killed with SIGKILL at the end whatever happened. */
export class ProcessReaper {
  private readonly pids = new Set<number>();
  private readonly groups = new Set<number>();

  track(pid: number): number {
    this.pids.add(pid);
    return pid;
  }

  trackGroup(pgid: number): number {
    this.groups.add(pgid);
    return pgid;
  }

  killAll(): void {
    for (const g of this.groups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const p of this.pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.pids.clear();
    this.groups.clear();
  }
}

/** Live processes (other than this one) whose command line mentions `text`, with the command line. */
export function processesMentioning(text: string): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(text) && isAlive(Number(name))) found.push({ pid: Number(name), cmd });
    } catch {
      // exited while we looked
    }
  }
  return found;
}
