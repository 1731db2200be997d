import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GRPCController, Provider } from '../../provider/protocol';
import { createServerCertificate } from '../../provider/server/certificate';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../provider/server/handshake';
import { PluginConnection, startPlugin, type PluginProcess } from '../helpers/plugin-client';
import { type Figure, median, percentile } from './figures';
import { spawn } from 'node:child_process';

const repoRoot = path.resolve(__dirname, '../..');

/**
 * Start-up of the built provider (dist/terraform-provider-prewarm) the way Terraform starts it: exec'd directly
 * (shebang), go-plugin environment with PLUGIN_PROTOCOL_VERSIONS=5,6 and a client certificate (so the server makes
 * its own certificate and serves mTLS).
 * - spawn → handshake line on stdout, against `node -e 0` spawn → exit measured in the same run (runs interleaved).
 *   Goal: at most 1.5x.
 * - spawn → first GetProviderSchema answered over mTLS (what Terraform actually waits for before its first call
 *   returns: includes loading the gRPC runtime and the provider handlers after the handshake). No goal; reported.
 * - Shutdown called → process exited (go-plugin SIGKILLs after 2 s without it). Goal: ≤ 100 ms.
 * BENCH_PROVIDER_BIN overrides the executable; BENCH_RUNS the number of runs (default 21, at least 10).
 */
export async function benchProviderStart(): Promise<Figure[]> {
  const bin = process.env.BENCH_PROVIDER_BIN ?? path.join(repoRoot, 'dist/terraform-provider-prewarm');
  if (!fs.existsSync(bin)) execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  const runs = Math.max(10, Number(process.env.BENCH_RUNS ?? 21));
  const clientCert = createServerCertificate();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
    PLUGIN_PROTOCOL_VERSIONS: '5,6',
    PLUGIN_MIN_PORT: '10000',
    PLUGIN_MAX_PORT: '25000',
    PLUGIN_CLIENT_CERT: clientCert.certPem,
  };
  delete env.NODE_OPTIONS;
  delete env.TF_LOG;
  delete env.TF_LOG_PROVIDER;

  const handshake: number[] = [];
  const firstCall: number[] = [];
  const shutdown: number[] = [];
  const baseline: number[] = [];
  const once = async (record: boolean) => {
    const started = performance.now();
    const plugin = await startPlugin({ env, command: [bin] });
    const handshakeMs = performance.now() - started;
    const connection = new PluginConnection(plugin.handshake, clientCert);
    try {
      checkLine(plugin);
      await connection.unary(Provider.method.getProviderSchema, {});
      const firstCallMs = performance.now() - started;
      const stopAt = performance.now();
      await connection.unary(GRPCController.method.shutdown, {});
      const exit = await plugin.exited;
      if (exit.code !== 0) throw new Error(`the provider exited with ${exit.code ?? exit.signal} after Shutdown: ${plugin.stderr()}`);
      if (record) {
        handshake.push(handshakeMs);
        firstCall.push(firstCallMs);
        shutdown.push(exit.at - stopAt);
      }
    } finally {
      connection.close();
      plugin.kill();
    }
    const base = await timeNodeExit();
    if (record) baseline.push(base);
  };
  for (let i = 0; i < 2; i++) await once(false);
  for (let i = 0; i < runs; i++) await once(true);

  const round = (ms: number) => Math.round(ms * 10) / 10;
  const spread = (xs: number[]) => `p90 ${round(percentile(xs, 90))} ms`;
  return [
    {
      name: 'provider start → handshake line (median)',
      value: round(median(handshake)),
      unit: 'ms',
      baseline: { name: 'node -e 0 (spawn → exit, median)', value: round(median(baseline)) },
      goal: '≤ 1.5x',
      runs,
      note: `${spread(handshake)} vs ${spread(baseline)}; mTLS with a fresh P-256 certificate`,
    },
    {
      name: 'provider start → first GetProviderSchema answered (median)',
      value: round(median(firstCall)),
      unit: 'ms',
      runs,
      note: `${spread(firstCall)}; includes loading the gRPC runtime and the provider after the handshake`,
    },
    {
      name: 'provider Shutdown → process exit (median)',
      value: round(median(shutdown)),
      unit: 'ms',
      goal: '≤ 100 ms',
      runs,
      note: `${spread(shutdown)}; go-plugin kills the process after 2 s otherwise`,
    },
  ];
}

function checkLine(plugin: PluginProcess): void {
  if (!/^1\|6\|unix\|[^|]+\|grpc\|[A-Za-z0-9+/]+\n$/.test(plugin.handshake.line)) {
    throw new Error(`unexpected handshake ${JSON.stringify(plugin.handshake.line)}`);
  }
}

function timeNodeExit(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.once('error', reject);
    child.once('exit', () => resolve(performance.now() - started));
  });
}

if (require.main === module) {
  benchProviderStart().then(
    (figures) => process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    },
  );
}
