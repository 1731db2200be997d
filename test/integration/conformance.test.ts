/**
 * Wire-level conformance of dist/terraform-provider-prewarm against HashiCorp's own client code: the Go harness in
 * test/conformance (go-plugin 1.0.1, go-cty, hcldec, grpc-go, all from Debian packages) starts the provider the way
 * Terraform does, replays the RPC sequences of terraform validate/plan/apply/refresh/import/destroy against a real
 * controller, decodes every DynamicValue with go-cty and checks the plan and apply rules. See test/conformance/README.md.
 */
import { afterAll, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, startTestController, type TestController } from '../helpers/controller';
import { skipping } from '../helpers/skip';
import { waitFor } from '../helpers/wait';

/** PREWARM_CONFORMANCE_PROVIDER points the test at another build (for example a bundle made while developing). */
const PROVIDER = process.env.PREWARM_CONFORMANCE_PROVIDER ?? path.join(repoRoot, 'dist/terraform-provider-prewarm');
const HARNESS_DIR = path.join(repoRoot, 'test/conformance');
/** The Go import paths the harness needs, as Debian installs them under /usr/share/gocode/src. */
const GO_PACKAGES: Record<string, string> = {
  'github.com/hashicorp/go-plugin': 'golang-github-hashicorp-go-plugin-dev',
  'github.com/zclconf/go-cty/cty/msgpack': 'golang-github-zclconf-go-cty-dev',
  'github.com/hashicorp/hcl/v2/hcldec': 'golang-github-hashicorp-hcl-v2-dev',
  'google.golang.org/grpc': 'golang-google-grpc-dev',
  'google.golang.org/protobuf/proto': 'golang-google-protobuf-dev',
  // golang/protobuf 1.4+ (APIv2-backed): grpc-go's codec cannot marshal the generated stubs with 1.3
  'github.com/golang/protobuf/proto/registry.go': 'golang-github-golang-protobuf-1-5-dev',
};

function skipReason(): string | undefined {
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) {
    return 'go is not installed (apt-get install golang-go and the packages listed in test/conformance/README.md)';
  }
  const missing = Object.entries(GO_PACKAGES)
    .filter(([imp]) => !fs.existsSync(path.join('/usr/share/gocode/src', imp)))
    .map(([, deb]) => deb);
  if (missing.length > 0) return `Debian Go packages missing: ${[...new Set(missing)].join(' ')}`;
  if (!fs.existsSync(PROVIDER)) {
    // CI has just run the build; rebuilding here could swap dist/ under tests running concurrently.
    if (!process.env.CI) spawnSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'ignore', timeout: 180_000 });
    if (!fs.existsSync(PROVIDER)) return `${path.relative(repoRoot, PROVIDER)} is absent${process.env.CI ? '' : ' even after npm run build'}`;
  }
  return undefined;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command without blocking the event loop (the controller under test lives in this process). `onLine` sees
 * every stdout line and may answer on the child's stdin.
 */
function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; onLine?: (line: string, reply: (text: string) => void) => void },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const reply = (text: string) => child.stdin.write(text);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        opts.onLine?.(pending.slice(0, nl), reply);
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function goEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // go needs a build cache; keep one across runs when there is no HOME to put it under.
  if (!env.GOCACHE && !env.HOME && !env.XDG_CACHE_HOME) env.GOCACHE = path.join(os.tmpdir(), 'prewarm-conformance-gocache');
  return env;
}

const reason = skipReason();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-conformance-'));
const controllers: TestController[] = [];
afterAll(async () => {
  for (const c of controllers) await c.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000); // each controller drains its jobs for up to 5 s

let harnessPath: string | undefined;
/** Builds the Go harness once for both tests. */
async function buildHarness(): Promise<string> {
  if (harnessPath !== undefined) return harnessPath;
  const out = path.join(tmp, 'prewarmconformance');
  const build = await run('bash', [path.join(HARNESS_DIR, 'build.sh'), out], { env: goEnv(), timeoutMs: 120_000 });
  assert.equal(build.code, 0, `building the harness failed (${build.signal ?? build.code}):\n${build.stdout}${build.stderr}`);
  console.log(`harness built in ${build.ms} ms`);
  return (harnessPath = out);
}

/** A controller of the test's own: what one harness run leaves behind must not influence another. */
async function newController(): Promise<TestController> {
  const c = await startTestController();
  controllers.push(c);
  return c;
}

function providerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PREWARM_') || k.startsWith('TF_')) delete env[k];
  if (process.env.PREWARM_CONFORMANCE_VERBOSE) env.TF_LOG = 'trace';
  return env;
}

const skip = skipping(reason, 'the go-plugin/go-cty conformance tests');

(skip ? test.skip : test)('terraform-provider-prewarm passes the go-plugin/go-cty conformance harness', async () => {
  const harness = await buildHarness();
  const ctl = await newController();
  const env = providerEnv();
  const res = await run(
    harness,
    ['-provider', PROVIDER, '-endpoint', `127.0.0.1:${ctl.running.apiPort}`, '-token', ctl.token, '-pause'],
    {
      env,
      timeoutMs: 90_000,
      // Between `terraform destroy` and the next `terraform apply` time passes: the controller reconciles (every
      // 200 ms here) and runs its housekeeping (every 60 s in production), which purges the deleted preset and
      // template. Wait for two reconcile ticks, run the housekeeping now, then let the harness go on.
      onLine(line, reply) {
        if (!line.startsWith('PAUSE:')) return;
        void (async () => {
          const seen = ctl.running.reconciler.tickCount;
          await waitFor('two reconcile ticks', () => ctl.running.reconciler.tickCount >= seen + 2);
          await ctl.running.store.purgeFinished(Date.now());
          reply('\n');
        })().catch((err: unknown) => {
          process.stderr.write(`housekeeping failed: ${(err as Error).message}\n`);
          reply('\n');
        });
      },
    },
  );
  const output = `${res.stdout}${res.stderr ? `\n---- harness stderr ----\n${res.stderr}` : ''}`;
  if (res.code !== 0) {
    assert.fail(`conformance harness failed (${res.signal ? `killed by ${res.signal} after ${res.ms} ms` : `exit ${res.code}`}):\n${output}`);
  }
  assert.match(res.stdout, /^conformance: \d+ checks passed/m, output);
  console.log(res.stdout.trim().split('\n').pop() ?? '');
}, 150_000);

/**
 * The harness must not pass vacuously: the real provider with one protocol bug at a time (test/conformance/
 * mutant-provider.ts) must fail it, each with the message of the rule it breaks.
 */
const MUTANTS: Record<string, RegExp> = {
  'plan-ignores-config': /planned value "not what was configured" does not match config value/,
  // the provider echoes known planned values in its apply result, so the wrong version surfaces at the refresh
  'plan-keeps-version': /ReadResource prewarm_template after apply differs from the applied state/,
  'apply-rewrites-known': /inconsistent result after apply: driver: was "localdir", but now "localdir-normalised"/,
  'apply-leaves-unknown': /new_state: value at version is unknown/,
  'read-drops-private': /private not echoed/,
  'read-drops-attribute': /ReadResource prewarm_template new_state: msgpack .* does not decode/,
  'plan-null-block': /prebuilds\[0\]\.expiration_policy: nested LIST block is null/,
  'plan-drops-block': /prebuilds\[0\]\.scheduling\[0\]\.schedule: config has 2 block\(s\), plan has 1/,
  'plan-unknown-block': /prebuilds\[0\]\.expiration_policy: attribute representing nested block must not be unknown itself/,
  'plan-unstable-id': /concurrent PlanResourceChange prewarm_template #\d+ planned|inconsistent final plan: id: was/,
  'replace-missing-path': /requires_replace path no_such_attribute exists neither in prior nor in planned state/,
  'diagnostic-without-path': /ValidateResourceConfig .*: no error diagnostic at .*\[no attribute path\]/,
  'schema-unquoted-type': /resource prewarm_template\.driver: type "string" is not valid cty type JSON/,
  'ignores-shutdown': /provider did not exit after GRPCController\.Shutdown: go-plugin had to SIGKILL it/,
  'millisecond-log-timestamp': /@timestamp ".*Z", not in hclog's/,
};

(skip ? test.skip : test)('the conformance harness catches protocol bugs (mutants of the real provider)', async () => {
  const harness = await buildHarness();
  const ctl = await newController();
  const esbuild = await import('esbuild');
  const bundle = path.join(tmp, 'terraform-provider-prewarm-mutant');
  await esbuild.build({
    entryPoints: [path.join(HARNESS_DIR, 'mutant-provider.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: bundle,
    external: ['better-sqlite3', 'pg-native'],
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  fs.chmodSync(bundle, 0o755);

  const names = Object.keys(MUTANTS);
  const results = new Map<string, Run>();
  // three at a time: each run is a handful of short provider processes
  for (let i = 0; i < names.length; i += 3) {
    await Promise.all(
      names.slice(i, i + 3).map(async (name) => {
        const env = { ...providerEnv(), PREWARM_CONFORMANCE_MUTANT: name };
        const args = ['-provider', bundle, '-endpoint', `127.0.0.1:${ctl.running.apiPort}`, '-token', ctl.token, '-settle', '0s'];
        results.set(name, await run(harness, args, { env, timeoutMs: 60_000 }));
      }),
    );
  }
  const problems: string[] = [];
  for (const name of names) {
    const r = results.get(name)!;
    const failLine = r.stdout.split('\n').find((l) => l.startsWith('FAIL ')) ?? '';
    if (r.code !== 1 || !MUTANTS[name].test(r.stdout)) {
      problems.push(`mutant ${name}: exit ${r.signal ?? r.code}, expected a failure matching ${MUTANTS[name]}; got: ${failLine || r.stdout.slice(-2000)}${r.stderr ? `\n${r.stderr.slice(-2000)}` : ''}`);
    } else {
      console.log(`${name}: ${failLine.slice(0, 160)}`);
    }
  }
  assert.deepEqual(problems, []);
}, 150_000);
