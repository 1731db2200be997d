import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type RunningController, type StartDeps, startController } from '../../controller/daemon';
import { type ControllerOptions, controllerDefaults } from '../../controller/daemon-options';
import { silentLogger } from '../../controller/log';

export const repoRoot = path.resolve(__dirname, '../..');
export const exampleDrivers = path.join(repoRoot, 'examples/drivers');

export interface TestController {
  running: RunningController;
  dir: string;
  stateDir: string;
  token: string;
  stop(): Promise<void>;
}

/** A real controller in this process: SQLite in a temp dir, the example drivers, API and ops on free ports. */
export async function startTestController(over: Partial<ControllerOptions> = {}, deps: StartDeps = {}): Promise<TestController> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-ctl-'));
  const stateDir = path.join(dir, 'state');
  fs.mkdirSync(stateDir);
  const token = 'test-token-0123456789';
  const opts: ControllerOptions = {
    ...controllerDefaults,
    database: `sqlite:${path.join(dir, 'prewarm.db')}`,
    listen: '127.0.0.1:0',
    opsListen: '127.0.0.1:0',
    driverDir: exampleDrivers,
    reconcileIntervalMs: 200,
    backoffBaseMs: 200,
    backoffCapMs: 1000,
    drainTimeoutMs: 5000,
    ...over,
  };
  const running = await startController(opts, {
    log: silentLogger,
    stdout: () => undefined,
    stderr: () => undefined,
    env: { ...process.env, PREWARM_TOKEN: token, PREWARM_STATE_DIR: stateDir },
    ...deps,
  });
  return {
    running,
    dir,
    stateDir,
    token,
    async stop() {
      await running.shutdown('test');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
