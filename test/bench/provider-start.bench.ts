import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { release, platformName } from '../../bin/release';
import packageJson from '../../package.json';
import { GRPCController, Provider } from '../../provider/protocol';
import { createServerCertificate } from '../../provider/server/certificate';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../provider/server/handshake';
import { PluginConnection, startPlugin, type PluginProcess } from '../helpers/plugin-client';
import { type Figure, median, percentile } from './figures';
import type { Skipped } from './postgres.bench';

const repoRoot = path.resolve(__dirname, '../..');

interface Timings {
  handshake: number[];
  firstCall: number[];
  shutdown: number[];
}

/**
 * Start-up of the provider the way Terraform starts it: exec'd directly, go-plugin environment with
 * PLUGIN_PROTOCOL_VERSIONS=5,6 and a client certificate (so the server makes its own certificate and serves mTLS).
 * Four programs, runs interleaved (each round in a rotated order, so none always runs on a cache warmed by another):
 * - the SEA release executable (built here with release(); BENCH_PROVIDER_BIN names one instead),
 * - the node-script build dist/terraform-provider-prewarm,
 * - the Go floor: a minimal go-plugin tfplugin6 server (test/bench/go-floor), what a provider in Go cannot beat,
 * - `node -e 0`, spawn → exit.
 * Figures: spawn → handshake line (goal for the SEA: at most 1.5x `node -e 0`); spawn → first GetProviderSchema
 * answered over mTLS (what Terraform waits for before its first call returns); Shutdown → exit of the SEA (goal
 * ≤ 100 ms: go-plugin SIGKILLs after 2 s). Without Go or Debian's go-plugin, the Go figures are skipped with the
 * reason in the notes. BENCH_RUNS sets the number of runs (default 21, at least 10).
 */
export async function benchProviderStart(): Promise<Figure[] | Skipped> {
  const runs = Math.max(10, Number(process.env.BENCH_RUNS ?? 21));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-bench-provider-start-'));
  try {
    const script = path.join(repoRoot, 'dist/terraform-provider-prewarm');
    if (!fs.existsSync(script)) execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'inherit' });
    const sea = process.env.BENCH_PROVIDER_BIN ?? (await buildSea(tmp));
    if (typeof sea !== 'string') return sea;
    const goFloor = buildGoFloor(path.join(tmp, 'gofloor'));
    return await measure(runs, sea, script, goFloor);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function measure(runs: number, sea: string, script: string, goFloor: string | Skipped): Promise<Figure[]> {
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

  const timings = (): Timings => ({ handshake: [], firstCall: [], shutdown: [] });
  const seaT = timings();
  const scriptT = timings();
  const goT = timings();
  const node: number[] = [];
  const plugin = (bin: string, into: Timings, shutdownMayDrop = false) => async (record: boolean) => {
    const started = performance.now();
    const p = await startPlugin({ env, command: [bin] });
    const handshakeMs = performance.now() - started;
    const connection = new PluginConnection(p.handshake, clientCert);
    try {
      checkLine(bin, p);
      await connection.unary(Provider.method.getProviderSchema, {});
      const firstCallMs = performance.now() - started;
      const stopAt = performance.now();
      await connection.unary(GRPCController.method.shutdown, {}).catch((err: { code?: number }) => {
        // Debian's go-plugin stops its gRPC server inside Shutdown, before answering; its client ignores the error.
        if (!shutdownMayDrop || err.code !== grpc.status.UNAVAILABLE) throw err;
      });
      const exit = await p.exited;
      if (exit.code !== 0) throw new Error(`${bin} exited with ${exit.code ?? exit.signal} after Shutdown: ${p.stderr()}`);
      if (record) {
        into.handshake.push(handshakeMs);
        into.firstCall.push(firstCallMs);
        into.shutdown.push(exit.at - stopAt);
      }
    } finally {
      connection.close();
      p.kill();
    }
  };
  const programs = [
    plugin(sea, seaT),
    plugin(script, scriptT),
    ...(typeof goFloor === 'string' ? [plugin(goFloor, goT, true)] : []),
    async (record: boolean) => {
      const ms = await timeNodeExit();
      if (record) node.push(ms);
    },
  ];
  for (let r = 0; r < runs + 2; r++) {
    const record = r >= 2;
    for (let i = 0; i < programs.length; i++) await programs[(r + i) % programs.length](record);
  }

  const round = (ms: number) => Math.round(ms * 10) / 10;
  const med = (xs: number[]) => round(median(xs));
  const spread = (xs: number[]) => `p90 ${round(percentile(xs, 90))} ms`;
  const nodeBase = { name: 'node -e 0 (spawn → exit, median)', value: med(node) };
  const go = typeof goFloor === 'string';
  const goNote = go ? '' : `; Go floor skipped: ${(goFloor as Skipped).skipped}`;
  const goBase = (xs: number[]) => ({ name: 'Go floor (median)', value: med(xs) });
  const figure = (name: string, xs: number[], extra: Partial<Figure> = {}): Figure => ({
    name: `${name} (median)`,
    value: med(xs),
    unit: 'ms',
    runs,
    note: spread(xs),
    ...extra,
  });
  return [
    figure('provider SEA start → handshake line', seaT.handshake, {
      baseline: nodeBase,
      goal: '≤ 1.5x',
      note: `${spread(seaT.handshake)} vs ${spread(node)}; mTLS with a fresh P-256 certificate${goNote}`,
    }),
    ...(go ? [figure('provider SEA start → handshake line, against the Go floor', seaT.handshake, { baseline: goBase(goT.handshake) })] : []),
    figure('provider node script start → handshake line', scriptT.handshake, { baseline: nodeBase }),
    ...(go
      ? [figure('Go floor (go-plugin server) start → handshake line', goT.handshake, { baseline: nodeBase, note: `${spread(goT.handshake)}; go-plugin's own P-521 certificate` })]
      : []),
    figure('provider SEA start → first GetProviderSchema answered', seaT.firstCall, {
      baseline: nodeBase,
      note: `${spread(seaT.firstCall)}; includes loading the gRPC runtime and the provider after the handshake${goNote}`,
    }),
    ...(go
      ? [
          figure('provider SEA start → first GetProviderSchema answered, against the Go floor', seaT.firstCall, { baseline: goBase(goT.firstCall) }),
          figure('provider node script start → first GetProviderSchema answered, against the Go floor', scriptT.firstCall, { baseline: goBase(goT.firstCall) }),
          figure('Go floor (go-plugin server) start → first GetProviderSchema answered', goT.firstCall),
        ]
      : [figure('provider node script start → first GetProviderSchema answered', scriptT.firstCall)]),
    figure('provider SEA Shutdown → process exit', seaT.shutdown, {
      goal: '≤ 100 ms',
      note: `${spread(seaT.shutdown)}; go-plugin kills the process after 2 s otherwise${go ? `; Go floor ${med(goT.shutdown)} ms` : ''}`,
    }),
  ];
}

/** The release executable, as `npm run release` unpacks it into the filesystem mirror. */
async function buildSea(out: string): Promise<string | Skipped> {
  try {
    const built = await release({ out, allowDirty: true, platforms: [platformName()], log: (line) => process.stderr.write(`release: ${line}\n`) });
    const bin = path.join(out, 'mirror/registry.terraform.io/prewarm/prewarm', built.version, built.platform, `terraform-provider-prewarm_v${built.version}`);
    if (!fs.existsSync(bin)) return { skipped: `release() wrote no executable at ${bin}` };
    return bin;
  } catch (err) {
    // A released version (its tag exists) is refused by release(); the suite cannot measure a SEA then.
    return { skipped: `building the SEA release of ${packageJson.version} failed (set BENCH_PROVIDER_BIN to a built one): ${(err as Error).message}` };
  }
}

/** Builds test/bench/go-floor into `out`; says why not when Go or Debian's Go libraries are missing. */
function buildGoFloor(out: string): string | Skipped {
  const install = 'apt-get install golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev golang-github-golang-protobuf-1-5-dev';
  try {
    execFileSync('go', ['version'], { stdio: 'pipe' });
  } catch {
    return { skipped: `no Go toolchain (go) on the PATH; ${install}` };
  }
  if (!fs.existsSync('/usr/share/gocode/src/github.com/hashicorp/go-plugin')) {
    return { skipped: `Debian's go-plugin is not in /usr/share/gocode; ${install}` };
  }
  try {
    execFileSync('bash', [path.join(__dirname, 'go-floor/build.sh'), out], { stdio: 'pipe' });
    return out;
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split('\n').slice(-3).join(' | ');
    return { skipped: `go build failed: ${stderr}` };
  }
}

function checkLine(bin: string, plugin: PluginProcess): void {
  if (!/^1\|6\|unix\|[^|]+\|grpc\|[A-Za-z0-9+/]+\n$/.test(plugin.handshake.line)) {
    throw new Error(`${bin}: unexpected handshake ${JSON.stringify(plugin.handshake.line)}`);
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
