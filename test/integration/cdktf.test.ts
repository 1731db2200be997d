/**
 * CDKTF support: the committed bindings (schemas/cdktf) match schemas/provider.json, the example app
 * (examples/cdktf/main.ts) type-checks and synthesizes without terraform, and, when terraform is available, terraform
 * installs the provider from this checkout's release mirror and validates and plans the synthesized JSON against a
 * real controller.
 */
import { afterAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { diffBindings, listFiles, pathWithoutTerraform, type Bindings } from '../../examples/cdktf/generate-bindings';
import { skipping } from '../helpers/skip';
import { testRelease } from '../helpers/terraform';

// The generator and the synth run as tsx processes, which give themselves up to 120 s each.
jest.setTimeout(150_000);

const REPO = path.resolve(__dirname, '../..');
const GENERATOR = path.join(REPO, 'examples/cdktf/generate-bindings.ts');
const EXAMPLE = path.join(REPO, 'examples/cdktf/main.ts');
const BINDINGS = path.join(REPO, 'schemas/cdktf');
const PROVIDER_SOURCE = 'registry.terraform.io/prewarm/prewarm';
const STACK = 'prewarm';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-cdktf-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program without blocking this process's event loop (the in-process controller must keep serving while
 * terraform and the provider talk to it). Kills it after `timeoutMs`.
 */
function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function describeRun(what: string, r: RunResult): string {
  return `${what} exited with ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** The environment of every CDKTF step: no terraform reachable, no HashiCorp checkpoint calls. */
function envWithoutTerraform(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithoutTerraform(), CHECKPOINT_DISABLE: '1', ...extra };
  delete env.TERRAFORM_BINARY_NAME;
  return env;
}

// --- synthesis, shared by the tests that read its output -------------------------------------------------------

type JsonObject = { [key: string]: unknown };

interface Synth {
  outdir: string;
  stackDir: string;
  json: JsonObject;
}

let synthesized: Promise<Synth> | undefined;

/** Synthesizes the example once, as `node --import tsx examples/cdktf/main.ts`, under a PATH without terraform. */
function synthOnce(): Promise<Synth> {
  synthesized ??= (async () => {
    const outdir = path.join(tmpRoot, 'cdktf.out');
    const r = await run(process.execPath, ['--import', 'tsx', EXAMPLE], {
      cwd: REPO,
      env: envWithoutTerraform({ CDKTF_OUTDIR: outdir }),
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, describeRun('synth', r));
    const stackDir = path.join(outdir, 'stacks', STACK);
    const file = path.join(stackDir, 'cdk.tf.json');
    assert.equal(r.stdout.trim(), file, 'main.ts prints the path of the stack it wrote');
    return { outdir, stackDir, json: JSON.parse(fs.readFileSync(file, 'utf8')) as JsonObject };
  })();
  return synthesized;
}

function obj(v: unknown, what: string): JsonObject {
  assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${what} is an object: ${JSON.stringify(v)}`);
  return v as JsonObject;
}

/**
 * The blocks of a nested block type, as a list. Terraform's JSON syntax takes either one object (a single block; cdktf
 * writes that for list blocks with max_items 1) or an array of objects.
 */
function blocks(v: unknown, what: string): JsonObject[] {
  const list = Array.isArray(v) ? (v as unknown[]) : [v];
  return list.map((b, i) => obj(b, `${what}[${i}]`));
}

function readDir(dir: string): Bindings {
  return new Map(listFiles(dir).map((rel) => [rel, fs.readFileSync(path.join(dir, rel), 'utf8')]));
}

describe('CDKTF bindings and example', () => {
  test('the committed bindings are exactly what schemas/provider.json generates', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', GENERATOR, '--check'], {
      cwd: REPO,
      env: envWithoutTerraform(),
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, describeRun('generate-bindings --check (regenerate with `node --import tsx examples/cdktf/generate-bindings.ts`)', r));
  });

  test('the drift check reports changed, missing and extra files', () => {
    const committed = readDir(BINDINGS);
    assert.ok(committed.has('providers/prewarm/index.ts'), 'bindings are committed under schemas/cdktf/providers/prewarm');
    const copy = path.join(tmpRoot, 'bindings-copy');
    for (const [rel, text] of committed) {
      fs.mkdirSync(path.dirname(path.join(copy, rel)), { recursive: true });
      fs.writeFileSync(path.join(copy, rel), text);
    }
    assert.deepEqual(diffBindings(committed, copy), []);
    fs.appendFileSync(path.join(copy, 'providers/prewarm/index.ts'), '// edited by hand\n');
    fs.rmSync(path.join(copy, 'README.md'));
    fs.writeFileSync(path.join(copy, 'providers/prewarm/stale.ts'), 'export {};\n');
    assert.deepEqual(diffBindings(committed, copy).sort(), [
      'differs: providers/prewarm/index.ts',
      'extra: providers/prewarm/stale.ts',
      'missing: README.md',
    ]);
  });

  test('the example, the generator and every binding file type-check under tsconfig.json', () => {
    const configPath = path.join(REPO, 'tsconfig.json');
    const read = ts.readConfigFile(configPath, (f) => ts.sys.readFile(f));
    assert.equal(read.error, undefined);
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, REPO, undefined, configPath);
    const bindingFiles = listFiles(BINDINGS).filter((f) => f.endsWith('.ts')).map((f) => path.join(BINDINGS, f));
    const program = ts.createProgram({ rootNames: [EXAMPLE, GENERATOR, ...bindingFiles], options: { ...parsed.options, noEmit: true } });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const loc = d.file ? `${path.relative(REPO, d.file.fileName)}${where ? `:${where.line + 1}:${where.character + 1}` : ''}` : '';
      return `${loc} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
    assert.deepEqual(problems, []);
    // The example is checked by `npm run typecheck` too: examples/**/*.ts is in the root tsconfig's include.
    assert.ok(parsed.fileNames.includes(EXAMPLE), 'examples/cdktf/main.ts is part of the root tsconfig program');
  });

  test('synth writes cdk.tf.json without terraform: provider, resources with nested blocks, data source, output', async () => {
    const { outdir, json } = await synthOnce();
    assert.ok(fs.existsSync(path.join(outdir, 'manifest.json')));

    const terraform = obj(json.terraform, 'terraform');
    assert.deepEqual(obj(terraform.required_providers, 'required_providers').prewarm, { source: PROVIDER_SOURCE });
    assert.equal(terraform.backend, undefined, 'no backend block: the state stays in the stack directory, not at an absolute path from synth');

    const variables = obj(json.variable, 'variable');
    for (const name of ['prewarm_endpoint', 'prewarm_token']) {
      const v = obj(variables[name], name);
      assert.equal(v.type, 'string');
      assert.equal(v.default, null, `${name} defaults to null so the provider falls back to its environment variable`);
    }
    assert.equal(obj(variables.prewarm_token, 'prewarm_token').sensitive, true);
    const providers = obj(json.provider, 'provider').prewarm;
    assert.deepEqual(providers, [{ endpoint: '${var.prewarm_endpoint}', token: '${var.prewarm_token}' }]);

    const resources = obj(json.resource, 'resource');
    const devbox = obj(obj(resources.prewarm_template, 'prewarm_template').devbox, 'prewarm_template.devbox');
    assert.equal(devbox.name, 'devbox');
    assert.equal(devbox.driver, 'localdir');
    assert.deepEqual(devbox.config, { build_seconds: '2' });

    const usNix = obj(obj(resources.prewarm_preset, 'prewarm_preset').us_nix, 'prewarm_preset.us_nix');
    assert.equal(usNix.template, '${prewarm_template.devbox.name}');
    assert.equal(usNix.name, 'us-nix');
    assert.deepEqual(usNix.parameters, { region: 'us' });
    const prebuilds = blocks(usNix.prebuilds, 'prebuilds');
    assert.equal(prebuilds.length, 1);
    assert.equal(prebuilds[0].instances, 0);
    assert.deepEqual(blocks(prebuilds[0].expiration_policy, 'expiration_policy'), [{ ttl: 86400 }]);
    const scheduling = blocks(prebuilds[0].scheduling, 'scheduling');
    assert.equal(scheduling.length, 1);
    assert.equal(scheduling[0].timezone, 'America/New_York');
    assert.equal(scheduling[0].lead_time, '30m');
    assert.ok(Array.isArray(scheduling[0].schedule), 'prebuilds[0].scheduling[0].schedule is a JSON list');
    assert.deepEqual(scheduling[0].schedule, [
      { cron: '* 8-18 * * 1-5', instances: 3 },
      { cron: '* 8-14 * * 6', instances: 1 },
    ]);

    const status = obj(obj(obj(json.data, 'data').prewarm_preset, 'data.prewarm_preset').us_nix_status, 'data.prewarm_preset.us_nix_status');
    assert.equal(status.template, '${prewarm_template.devbox.name}');
    assert.equal(status.name, '${prewarm_preset.us_nix.name}');

    assert.equal(obj(obj(json.output, 'output').us_nix_ready, 'output.us_nix_ready').value, '${data.prewarm_preset.us_nix_status.ready}');
  });

  const tfVersion = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  const noTerraform = tfVersion.error || tfVersion.status !== 0 ? 'terraform is not on PATH' : undefined;

  (skipping(noTerraform, 'validate/plan of the synthesized JSON') ? test.skip : test)('terraform installs the provider from the release mirror, then validates and plans the synthesized JSON against a running controller', async () => {
    // Installed as users install it: this checkout's release (built once per source state), a filesystem mirror, and
    // `terraform init` in the stack directory, which records the release's h1: hash in the lock file.
    const release = testRelease();
    const { stackDir } = await synthOnce();
    const cliConfig = path.join(tmpRoot, 'terraform.rc');
    fs.writeFileSync(
      cliConfig,
      [
        'provider_installation {',
        '  filesystem_mirror {',
        `    path    = ${JSON.stringify(release.mirror)}`,
        `    include = [${JSON.stringify(PROVIDER_SOURCE)}]`,
        '  }',
        `  direct { exclude = [${JSON.stringify(PROVIDER_SOURCE)}] }`,
        '}',
        '',
      ].join('\n'),
    );

    const { startTestController } = await import('../helpers/controller');
    const ctl = await startTestController();
    try {
      // Nothing but terraform on the PATH: the release's provider must not lean on node.
      const bin = path.join(tmpRoot, 'bin');
      fs.mkdirSync(bin, { recursive: true });
      fs.symlinkSync(spawnSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' }).stdout.trim(), path.join(bin, 'terraform'));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: bin,
        TF_CLI_CONFIG_FILE: cliConfig,
        TF_IN_AUTOMATION: '1',
        TF_INPUT: '0',
        CHECKPOINT_DISABLE: '1',
        TF_VAR_prewarm_endpoint: `127.0.0.1:${ctl.running.apiPort}`,
        TF_VAR_prewarm_token: ctl.token,
      };
      // The variables must be what configures the provider, not a stray environment.
      delete env.PREWARM_ENDPOINT;
      delete env.PREWARM_TOKEN;
      delete env.TF_DATA_DIR;
      delete env.TF_WORKSPACE;

      // init, validate and plan the synthesized stack as it is, where it was written.
      const init = await run('terraform', ['init', '-input=false', '-no-color'], { cwd: stackDir, env, timeoutMs: 120_000 });
      assert.equal(init.code, 0, describeRun('terraform init', init));
      const lock = fs.readFileSync(path.join(stackDir, '.terraform.lock.hcl'), 'utf8');
      assert.ok(lock.includes(`"${PROVIDER_SOURCE}"`) && lock.includes(`"${release.h1}"`), `the lock file records the release's ${release.h1}:\n${lock}`);
      const validate = await run('terraform', ['validate', '-json', '-no-color'], { cwd: stackDir, env, timeoutMs: 120_000 });
      const result = parseValidate(validate);
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      assert.equal(result.valid, true, describeRun('terraform validate', validate));
      assert.deepEqual(errors, []);

      const plan = await run('terraform', ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=tfplan'], { cwd: stackDir, env, timeoutMs: 180_000 });
      assert.equal(plan.code, 2, describeRun('terraform plan (2 = changes planned)', plan));

      const show = await run('terraform', ['show', '-json', '-no-color', 'tfplan'], { cwd: stackDir, env, timeoutMs: 120_000 });
      assert.equal(show.code, 0, describeRun('terraform show -json tfplan', show));
      const planned = JSON.parse(show.stdout) as { resource_changes?: ResourceChange[]; output_changes?: Record<string, { actions: string[] }> };
      const change = (address: string): ResourceChange => {
        const c = planned.resource_changes?.find((r) => r.address === address);
        assert.ok(c, `the plan has ${address}; it has ${planned.resource_changes?.map((r) => r.address).join(', ')}`);
        return c;
      };
      const template = change('prewarm_template.devbox');
      assert.deepEqual(template.change.actions, ['create']);
      assert.equal(template.change.after?.driver, 'localdir');
      const preset = change('prewarm_preset.us_nix');
      assert.deepEqual(preset.change.actions, ['create']);
      const plannedPrebuilds = blocks(preset.change.after?.prebuilds, 'planned prebuilds');
      const plannedScheduling = blocks(plannedPrebuilds[0]?.scheduling, 'planned scheduling');
      assert.equal(plannedScheduling[0]?.timezone, 'America/New_York');
      assert.deepEqual(
        (plannedScheduling[0]?.schedule as JsonObject[]).map((s) => [s.cron, s.instances]),
        [
          ['* 8-18 * * 1-5', 3],
          ['* 8-14 * * 6', 1],
        ],
      );
      // The data source depends on resources being created, so terraform reads it during apply.
      assert.deepEqual(change('data.prewarm_preset.us_nix_status').change.actions, ['read']);
      assert.deepEqual(planned.output_changes?.us_nix_ready?.actions, ['create']);

      // Without the variables (null defaults) the provider takes PREWARM_ENDPOINT / PREWARM_TOKEN.
      const envOnly: NodeJS.ProcessEnv = { ...env, PREWARM_ENDPOINT: env.TF_VAR_prewarm_endpoint, PREWARM_TOKEN: ctl.token };
      delete envOnly.TF_VAR_prewarm_endpoint;
      delete envOnly.TF_VAR_prewarm_token;
      const planFromEnv = await run('terraform', ['plan', '-input=false', '-no-color', '-detailed-exitcode'], { cwd: stackDir, env: envOnly, timeoutMs: 180_000 });
      assert.equal(planFromEnv.code, 2, describeRun('terraform plan with PREWARM_ENDPOINT/PREWARM_TOKEN instead of variables', planFromEnv));
    } finally {
      await ctl.stop();
    }
  }, 600_000); // the first test in a run to need this checkout's release builds it
});

interface ResourceChange {
  address: string;
  change: { actions: string[]; after?: JsonObject | null };
}

interface ValidateDiagnostic {
  severity: string;
  summary: string;
  detail?: string;
}

function parseValidate(r: RunResult): { valid: boolean; diagnostics: ValidateDiagnostic[] } {
  try {
    const v = JSON.parse(r.stdout) as { valid?: unknown; diagnostics?: ValidateDiagnostic[] };
    return { valid: v.valid === true, diagnostics: v.diagnostics ?? [] };
  } catch {
    assert.fail(describeRun('terraform validate -json (no JSON on stdout)', r));
  }
}

