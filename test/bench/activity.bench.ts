import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startController } from '../../controller/daemon';
import { controllerDefaults } from '../../controller/daemon-options';
import { silentLogger } from '../../controller/log';
import { runClients, transportOnly } from './claim.bench';
import { type Figure, percentile, withRatio } from './figures';
import { seedSteadyState } from './seed';

/**
 * Activity reports, the hottest write of a real deployment, through the real gRPC API: 32 concurrent clients each
 * claim a workspace with an autostop policy, then report activity on it (each report moves the deadline). The
 * clients run in a separate process. Baseline: the same calls against a stub service (gRPC alone).
 */
export async function benchActivity(clients = 32, reportsPerClient = 200): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-activity-bench-'));
  const file = path.join(dir, 'bench.db');
  const token = 'bench-token';
  await seedSteadyState({ file, presets: 1, instancesPerPreset: clients + 100, now: Date.now() });
  const running = await startController(
    {
      ...controllerDefaults,
      database: `sqlite:${file}`,
      listen: '127.0.0.1:0',
      opsListen: '127.0.0.1:0',
      driverDir: path.resolve(__dirname, '../../examples/drivers'),
      reconcileIntervalMs: 3_600_000,
      lifecycleIntervalMs: 3_600_000,
    },
    { log: silentLogger, stdout: () => undefined, stderr: () => undefined, env: { ...process.env, PREWARM_TOKEN: token } },
  );
  try {
    await running.service.pause();
    await running.service.putTemplate({ name: 't0', driver: 'localdir', config: {}, lifecycle_policy: { autostop_after: '8h', dormant_after: '7d' } });
    const out = await runClients(running.apiPort, token, clients, reportsPerClient, 'activity');
    const { latencies, wallMs } = JSON.parse(out) as { latencies: number[]; wallMs: number };
    const transport = await transportOnly(clients, reportsPerClient, 'activity');
    return [
      withRatio({
        name: `activity report p50 (${clients} concurrent clients, gRPC, SQLite)`,
        value: round(percentile(latencies, 50)),
        unit: 'ms',
        baseline: { name: 'the same calls against a stub service (gRPC alone)', value: round(percentile(transport, 50)) },
        runs: latencies.length,
      }),
      withRatio({
        name: `activity report p99 (${clients} concurrent clients)`,
        value: round(percentile(latencies, 99)),
        unit: 'ms',
        baseline: { name: 'the same calls against a stub service (gRPC alone)', value: round(percentile(transport, 99)) },
        runs: latencies.length,
      }),
      { name: `activity report throughput (${clients} concurrent clients)`, value: Math.round((latencies.length / wallMs) * 1000), unit: 'reports/s' },
    ];
  } finally {
    await running.shutdown('bench');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
