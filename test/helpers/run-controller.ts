/**
 * Runs a real controller in its own process for crash tests: options come as JSON in argv[2]. Prints "ready"
 * on stdout once serving; SIGTERM drains and exits 0; SIGKILL is what the tests use to crash it.
 */
import { startController } from '../../controller/daemon';
import { type ControllerOptions, controllerDefaults } from '../../controller/daemon-options';
import { jsonLogger } from '../../controller/log';

async function main(): Promise<void> {
  const opts: ControllerOptions = { ...controllerDefaults, ...(JSON.parse(process.argv[2]) as Partial<ControllerOptions>) };
  const running = await startController(opts, { log: jsonLogger('warn'), stdout: () => undefined });
  process.stdout.write(`ready ${running.apiPort} ${running.opsPort}\n`);
  process.on('SIGTERM', () => {
    void running.shutdown('SIGTERM').then(() => process.exit(0));
  });
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
