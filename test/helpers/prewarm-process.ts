/**
 * The `prewarm` executable as a real child process (bin/prewarm.ts through tsx, so the current source runs, not a
 * stale build): its output as it arrives, its JSON log lines, its exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './controller';
import { waitFor } from './wait';

export const prewarmBin = path.join(repoRoot, 'bin/prewarm.ts');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PrewarmProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** stderr's JSON log lines so far (other stderr lines are skipped). */
  logs(): Array<Record<string, unknown>>;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  /** Waits for a log line whose msg matches; fails early, with the output so far, if the process exits first. */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** The environment of the test process without PREWARM_TOKEN (so a controller generates or reads its own). */
export function envWithoutToken(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('PREWARM_TOKEN' in extra)) delete env.PREWARM_TOKEN;
  return env;
}

export function spawnPrewarm(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): PrewarmProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', prewarmBin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve((exit = { code, signal }))));
  const logs = () =>
    err
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const matches = (m: unknown, want: string | RegExp) => typeof m === 'string' && (typeof want === 'string' ? m === want : want.test(m));
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    logs,
    exited,
    async waitForLog(msg, timeoutMs = 30_000) {
      const found = await waitFor(
        () => `log line ${String(msg)}; stderr so far:\n${err}`,
        () => logs().find((l) => matches(l.msg, msg)) ?? (exit ? ('exited' as const) : undefined),
        timeoutMs,
      );
      if (found === 'exited') throw new Error(`prewarm exited (${exit!.code ?? exit!.signal}) before logging ${String(msg)}; stderr:\n${err}`);
      return found;
    },
  };
}

/** Runs `prewarm ARGS` to completion. */
export async function runPrewarm(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Exit & { stdout: string; stderr: string }> {
  const p = spawnPrewarm(args, opts);
  const exit = await p.exited;
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}
