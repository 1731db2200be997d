/**
 * A real controller in its own process (test/helpers/run-controller.ts), for tests that kill it with SIGKILL:
 * options as JSON, resolved once it prints its ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './controller';
import { waitFor } from './wait';

const runner = path.join(repoRoot, 'test/helpers/run-controller.ts');

export interface ControllerProcess {
  child: ChildProcess;
  apiPort: number;
  opsPort: number;
}

export function startControllerProcess(options: object, env: NodeJS.ProcessEnv): Promise<ControllerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', runner, JSON.stringify(options)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      const m = /ready (\d+) (\d+)/.exec(String(d));
      if (m) resolve({ child, apiPort: Number(m[1]), opsPort: Number(m[2]) });
    });
    child.on('exit', (code) => reject(new Error(`controller exited early (${code}): ${err}`)));
  });
}

export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/** A deterministic pseudo-random sequence in [0, 1), so a failing kill schedule can be replayed. */
export function seededRandom(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/**
 * Waits until the controller process's /metrics shows `ready` instances ready in `template/preset` and no job in
 * flight (the process holds the database exclusively, so progress is watched from outside).
 */
export function waitForPoolSettled(opsPort: number, template: string, preset: string, ready: number, timeoutMs: number): Promise<unknown> {
  const readyLine = new RegExp(`prewarm_preset_ready\\{preset="${preset}",template="${template}"\\} ${ready}\\n`);
  return waitFor(
    `${ready} ready in ${template}/${preset} and no job in flight`,
    async () => {
      const res = await fetch(`http://127.0.0.1:${opsPort}/metrics`).catch(() => undefined);
      const text = res ? await res.text() : '';
      return readyLine.test(text) && /prewarm_jobs_in_flight 0\n/.test(text);
    },
    timeoutMs,
  );
}
