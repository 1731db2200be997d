import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { startController } from '../../controller/daemon';
import { controllerDefaults } from '../../controller/daemon-options';
import { silentLogger } from '../../controller/log';
import { startApiServer } from '../../controller/api/grpc-server';
import type { PrewarmService } from '../../controller/api/service';
import { type Figure, percentile, withRatio } from './figures';
import { seedSteadyState } from './seed';
import { NO_LIFECYCLE_POLICY } from '../../controller/domain/lifecycle-policy';
import type { WorkspaceRecord } from '../../controller/domain/workspace';

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
    const out = await runClients(running.apiPort, token, clients, claimsPerClient);
    const { latencies, ids, wallMs: wall } = JSON.parse(out) as { latencies: number[]; ids: string[]; wallMs: number };
    const transport = await transportOnly(clients, claimsPerClient);
    const doubles = ids.length - new Set(ids).size;
    return [
      withRatio({
        name: `claim latency p50 (${clients} concurrent client${clients === 1 ? '' : 's'}, gRPC, SQLite)`,
        value: round(percentile(latencies, 50)),
        unit: 'ms',
        baseline: { name: 'the same calls against a stub service (gRPC alone)', value: round(percentile(transport, 50)) },
        runs: latencies.length,
      }),
      withRatio({
        name: `claim latency p99 (${clients} concurrent client${clients === 1 ? '' : 's'})`,
        value: round(percentile(latencies, 99)),
        unit: 'ms',
        baseline: { name: 'the same calls against a stub service (gRPC alone)', value: round(percentile(transport, 99)) },
        goal: clients === 32 ? '<= 10 ms' : undefined,
        runs: latencies.length,
      }),
      { name: `claim throughput (${clients} concurrent clients)`, value: Math.round((latencies.length / wall) * 1000), unit: 'claims/s' },
      { name: `double claims (${clients} concurrent clients)`, value: doubles, unit: 'count', goal: '0', runs: ids.length },
    ];
  } finally {
    await running.shutdown('bench');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The same client process against an API server whose claim does no work: what gRPC alone costs here. */
export async function transportOnly(clients: number, claimsPerClient: number, mode: 'claim' | 'activity' = 'claim'): Promise<number[]> {
  let n = 0;
  const record: WorkspaceRecord = {
    id: '', name: 'stub', presetId: 't0/p0', template: 't0', preset: 'p0', state: 'claimed', owner: 'o',
    templateVersion: 1, createdAt: 1, readyAt: 1, claimedAt: 1, attributes: {}, error: '',
    dormantAt: null, deadline: null, lastUsedAt: 1, stoppedAt: null, autoDestroyAt: null, autoDestroyInactivityMs: null,
    policy: NO_LIFECYCLE_POLICY, destroyReason: null, archivedAt: null, nextAttemptAt: null, deleteAttempts: 0,
  };
  const service = {
    claim: async () => ({ ...record, id: `stub-${n++}` }),
    reportActivity: async (id: string) => ({ ...record, id }),
  } as unknown as PrewarmService;
  const api = await startApiServer({ service, listen: '127.0.0.1:0', verifyToken: (t) => t === 'stub', log: () => undefined });
  try {
    const out = await runClients(api.port, 'stub', clients, claimsPerClient, mode);
    return (JSON.parse(out) as { latencies: number[] }).latencies;
  } finally {
    await api.close(100);
  }
}

/** Runs claim-clients.ts; with several ports (replicas), the clients are spread over them evenly. */
export function runClients(port: number | number[], token: string, clients: number, callsPerClient: number, mode: 'claim' | 'activity' = 'claim'): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'claim-clients.ts'), [port].flat().join(','), token, String(clients), String(callsPerClient), mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`claim clients exited with ${code}`))));
  });
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
