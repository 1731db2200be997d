import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { startController } from '../../controller/daemon';
import { controllerDefaults } from '../../controller/daemon-options';
import { silentLogger } from '../../controller/log';
import { type Figure, percentile } from './figures';
import { seedSteadyState } from './seed';

/**
 * Claim latency through the real gRPC API: 32 concurrent clients claim from one pool of ready instances
 * (reconciliation paused so refills do not compete). The clients run in a separate process, as they would in
 * reality. Every claim is checked for uniqueness.
 */
export async function benchClaims(clients = 32, claimsPerClient = 100): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-claim-bench-'));
  const file = path.join(dir, 'bench.db');
  const token = 'bench-token';
  await seedSteadyState({ file, presets: 1, instancesPerPreset: clients * claimsPerClient + 100, now: Date.now() });
  const running = await startController(
    { ...controllerDefaults, database: `sqlite:${file}`, listen: '127.0.0.1:0', opsListen: '127.0.0.1:0', driverDir: path.resolve(__dirname, '../../examples/drivers'), reconcileIntervalMs: 3_600_000 },
    { log: silentLogger, stdout: () => undefined, stderr: () => undefined, env: { ...process.env, PREWARM_TOKEN: token } },
  );
  try {
    await running.service.pause();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'claim-clients.ts'), String(running.apiPort), token, String(clients), String(claimsPerClient)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`claim clients exited with ${code}`))));
    });
    const { latencies, ids, wallMs: wall } = JSON.parse(out) as { latencies: number[]; ids: string[]; wallMs: number };
    const doubles = ids.length - new Set(ids).size;
    return [
      { name: `claim latency p50 (${clients} concurrent client${clients === 1 ? '' : 's'}, gRPC, SQLite)`, value: round(percentile(latencies, 50)), unit: 'ms', runs: latencies.length },
      { name: `claim latency p99 (${clients} concurrent clients)`, value: round(percentile(latencies, 99)), unit: 'ms', goal: clients === 32 ? '<= 10 ms' : undefined, runs: latencies.length },
      { name: `claim throughput (${clients} concurrent clients)`, value: Math.round((latencies.length / wall) * 1000), unit: 'claims/s' },
      { name: `double claims (${clients} concurrent clients)`, value: doubles, unit: 'count', goal: '0', runs: ids.length },
    ];
  } finally {
    await running.shutdown('bench');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
