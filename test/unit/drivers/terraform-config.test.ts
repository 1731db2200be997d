/** The terraform driver's template config check and its pure helpers: failure classification and outputs. */
import { afterAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ValidationError } from '../../../controller/domain/errors';
import { driverRequest } from '../../helpers/fixtures';
import { firstErrorSummary, isConfigurationError, outputAttributes, validateVerdict } from '../../../controller/drivers/terraform/classify';
import { resolveModuleConfig } from '../../../controller/drivers/terraform/module-config';
import { terraformEnvironment, transitionOf } from '../../../controller/drivers/terraform/environment';
import { instanceDir, prepare, processStartTicks, pruneFootprints, readFootprint, writeFootprint, readRunRecord, recordedGroupAlive, shownName, silentForMs, stateHasResources } from '../../../controller/drivers/terraform/workdir';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tfconfig-'));
const modules = path.join(base, 'modules');
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function module(name: string, files: Record<string, string>): string {
  const dir = path.join(modules, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

module('good', { 'main.tf': 'resource "terraform_data" "x" {}\n' });
module('json', { 'main.tf.json': '{"resource": {"terraform_data": {"x": {}}}}' });
module('empty', { 'README.md': 'no terraform here' });
module('sibling', { 'main.tf': 'module "net" {\n  source = "../shared"\n}\n' });
module('nested', { 'main.tf': 'module "net" {\n  source = "./modules/net"\n}\n' });
module('s3', { 'main.tf': 'terraform {\n  backend "s3" {\n    bucket = "b"\n  }\n}\n' });
module('cloud', { 'versions.tf': 'terraform {\n  cloud {\n    organization = "o"\n  }\n}\n' });
module('json-backend', { 'main.tf.json': '{"terraform": {"backend": {"local": {}}}}' });
fs.writeFileSync(path.join(modules, 'plain-file'), 'x');
const outside = module('../outside', { 'main.tf': '' });
fs.symlinkSync(outside, path.join(modules, 'escape'));

/** The path and message of the ValidationError `fn` throws. */
function refusal(fn: () => unknown): { path: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return { path: err.errors[0]!.path.join('.'), message: err.errors[0]!.message };
  }
  throw new Error('expected a ValidationError');
}

describe('resolveModuleConfig', () => {
  test('a module directory inside the modules dir, with terraform by default', () => {
    expect(resolveModuleConfig(modules, { module: 'good' })).toEqual({ moduleDir: fs.realpathSync(path.join(modules, 'good')), terraformBin: 'terraform' });
    expect(resolveModuleConfig(modules, { module: 'json', terraform_bin: 'tofu' }).terraformBin).toBe('tofu');
    expect(resolveModuleConfig(modules, { module: './good/' }).moduleDir).toBe(fs.realpathSync(path.join(modules, 'good')));
    // Nested modules inside the module's own directory travel with its copy.
    expect(resolveModuleConfig(modules, { module: 'nested' }).moduleDir).toBe(fs.realpathSync(path.join(modules, 'nested')));
  });

  test.each([
    [{}, 'config.module', /is required/],
    [{ module: '' }, 'config.module', /is required/],
    [{ module: '/etc' }, 'config.module', /relative to the controller's --modules-dir/],
    [{ module: '../outside' }, 'config.module', /resolves outside/],
    [{ module: 'escape' }, 'config.module', /resolves outside/],
    [{ module: '.' }, 'config.module', /resolves outside/],
    [{ module: 'missing' }, 'config.module', /no directory "missing"/],
    [{ module: 'plain-file' }, 'config.module', /is not a directory/],
    [{ module: 'empty' }, 'config.module', /holds no \.tf or \.tf\.json files/],
    [{ module: 's3' }, 'config.module', /declares a backend "s3" in "main\.tf"; .*own local state file/],
    [{ module: 'cloud' }, 'config.module', /declares a cloud block/],
    [{ module: 'json-backend' }, 'config.module', /declares a backend/],
    [{ module: 'a\0b' }, 'config.module', /NUL/],
    [{ module: 'good', terraform_bin: '/usr/bin/terraform' }, 'config.terraform_bin', /must be "terraform" or "tofu"/],
    [{ module: 'good', terraform_bin: 'sh' }, 'config.terraform_bin', /must be "terraform" or "tofu"/],
    [{ module: 'good', region: 'us' }, 'config.region', /unknown setting .*preset's parameters/],
    [{ module: 'sibling' }, 'config.module', /uses a module outside its own directory \(source = "\.\.\/shared" in "main\.tf"\)/],
  ])('refuses %j at %s', (config, where, message) => {
    const r = refusal(() => resolveModuleConfig(modules, config as Record<string, string>));
    expect(r.path).toBe(where);
    expect(r.message).toMatch(message);
  });

  test('a modules dir that is gone is named', () => {
    expect(refusal(() => resolveModuleConfig(path.join(base, 'nope'), { module: 'good' })).message).toMatch(/--modules-dir .* is not accessible: ENOENT/);
  });
});

describe('failure classification', () => {
  const applyOutput = (summary: string) => `terraform_data.x: Creating...\n╷\n│ Error: ${summary}\n│ \n│   on main.tf line 1:\n╵\n`;

  test('the first error summary, through the box drawing and colour codes', () => {
    expect(firstErrorSummary(applyOutput('local-exec provisioner error'))).toBe('local-exec provisioner error');
    expect(firstErrorSummary('\u001b[31m╷\n│ \u001b[1mError: \u001b[0mInvalid reference\n')).toBe('Invalid reference');
    expect(firstErrorSummary('Apply complete!')).toBeNull();
  });

  test.each(['No value for required variable', 'Invalid value for variable', 'Reference to undeclared resource', 'Unsupported argument'])(
    '%s is a configuration error',
    (summary) => expect(isConfigurationError(applyOutput(summary))).toBe(true),
  );

  test.each(['local-exec provisioner error', 'Error acquiring the state lock', 'Failed to query available provider packages'])(
    '%s is not a configuration error',
    (summary) => expect(isConfigurationError(applyOutput(summary))).toBe(false),
  );

  test("a provisioner printing an error summary is not terraform's own diagnostic", () => {
    expect(isConfigurationError('terraform_data.x (local-exec): Error: No value for required variable\n│ Error: local-exec provisioner error\n')).toBe(false);
    // Written to a file, terraform quotes the script's output in the diagnostic's detail, each line at column 0.
    const quoted = [
      'terraform_data.x: Creating...',
      '',
      'Error: local-exec provisioner error',
      '',
      '  with terraform_data.x,',
      '  on main.tf line 2, in resource "terraform_data" "x":',
      '',
      "Error running command 'sh fail.sh': exit status 1. Output: first line",
      'Error: Unsupported attribute',
      '',
    ].join('\n');
    expect(isConfigurationError(quoted)).toBe(false);
    expect(firstErrorSummary(quoted)).toBe('local-exec provisioner error');
  });

  test('init that stopped on the configuration is a configuration error', () => {
    expect(isConfigurationError('Error: Terraform encountered problems during initialisation, including problems\nwith the configuration, described below.')).toBe(true);
  });

  test("validate's verdict", () => {
    expect(validateVerdict('{"valid": true, "error_count": 0, "diagnostics": []}')).toEqual({ valid: true, summary: null });
    expect(
      validateVerdict('{"valid": false, "diagnostics": [{"severity": "warning", "summary": "w"}, {"severity": "error", "summary": "Reference to undeclared resource"}]}'),
    ).toEqual({ valid: false, summary: 'Reference to undeclared resource' });
    expect(validateVerdict('not json')).toBeNull();
    expect(validateVerdict('{"diagnostics": []}')).toBeNull();
  });
});

describe('outputs as attributes', () => {
  test('strings as they are, other values as JSON, sensitive ones left out', () => {
    const out = JSON.stringify({
      url: { sensitive: false, type: 'string', value: 'http://127.0.0.1:1/' },
      ports: { sensitive: false, type: ['list', 'number'], value: [1, 2] },
      obj: { sensitive: false, type: ['object', {}], value: { a: 'b' } },
      nothing: { sensitive: false, type: 'string', value: null },
      password: { sensitive: true, type: 'string', value: 'hunter2' },
    });
    const r = outputAttributes(out);
    expect(r).toEqual({ ok: true, attributes: { url: 'http://127.0.0.1:1/', ports: '[1,2]', obj: '{"a":"b"}', nothing: 'null' }, sensitive: ['password'] });
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });

  test('no outputs, and output that is not an object', () => {
    expect(outputAttributes('{}\n')).toEqual({ ok: true, attributes: {}, sensitive: [] });
    expect(outputAttributes('')).toEqual({ ok: true, attributes: {}, sensitive: [] });
    expect(outputAttributes('[1]')).toEqual({ ok: false, reason: expect.stringMatching(/not an object/) });
    expect(outputAttributes('{"pw": {"sensitive": true, "value": "hunter2"')).toEqual({ ok: false, reason: 'terraform output -json printed something that is not JSON' });
  });
});

describe('working directories', () => {
  test('an instance id never names another directory', () => {
    expect(instanceDir('/r', 'inst-1')).toBe('/r/instances/inst-1');
    for (const bad of ['..', '.', '../x', 'a/b', '', '.hidden']) expect(() => instanceDir('/r', bad)).toThrow(/cannot name a working directory/);
  });

  test('the module is copied once, without the state and .terraform of a run in the module dir', () => {
    const src = module('with-junk', { 'main.tf': 'resource "terraform_data" "x" {}\n', 'terraform.tfstate': '{}', 'sub.tf': '' });
    fs.mkdirSync(path.join(src, '.terraform'));
    fs.mkdirSync(path.join(src, 'nested'));
    fs.writeFileSync(path.join(src, 'nested', 'mod.tf'), '');
    const dir = path.join(base, 'root', 'instances', 'i-1');
    // A staging directory left by a crash mid-copy is cleared.
    fs.mkdirSync(path.join(base, 'root', 'instances', '.i-1.staging-dead'), { recursive: true });
    prepare(src, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['.prewarm-module', 'main.tf', 'nested', 'sub.tf']);
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['i-1']);
    // Later changes to the module do not reach an instance that already has its copy.
    fs.writeFileSync(path.join(src, 'later.tf'), '');
    prepare(src, dir);
    expect(fs.existsSync(path.join(dir, 'later.tf'))).toBe(false);
  });

  test('a run record that is torn, or names a group that is gone, does not hold anything up', () => {
    const dir = fs.mkdtempSync(path.join(base, 'rec-'));
    fs.writeFileSync(path.join(dir, '.prewarm-run.json'), '{"pgid": 12');
    expect(readRunRecord(dir)).toBeNull();
    fs.writeFileSync(path.join(dir, '.prewarm-run.json'), '{"pgid": 1}');
    expect(readRunRecord(dir)).toBeNull();
    // A pid far above pid_max cannot be alive.
    expect(recordedGroupAlive({ pgid: 4_000_000_000, startTicks: null, op: 'apply', host: '', bootId: null, replica: null })).toBe(false);
    // Our own process group is alive; the same pid with another start time is someone else.
    const pgid = getPgid();
    expect(recordedGroupAlive({ pgid, startTicks: null, op: 'apply', host: '', bootId: null, replica: null })).toBe(true);
    // A live leader with another start time is someone else who got the id.
    expect(recordedGroupAlive({ pgid, startTicks: -1, op: 'apply', host: '', bootId: null, replica: null })).toBe(processStartTicks(pgid) === null);
  });

  test('a run record is read as written, bounded; messages show its names without control or bidi characters', () => {
    const dir = fs.mkdtempSync(path.join(base, 'rec-'));
    const file = path.join(dir, '.prewarm-run.json');
    const written = { pgid: 4242, startTicks: 17, op: 'apply', host: 'build-1', bootId: 'b-1', replica: 'build-1-4242-ab12' };
    fs.writeFileSync(file, JSON.stringify(written));
    expect(readRunRecord(dir)).toEqual(written);
    fs.writeFileSync(file, JSON.stringify({ pgid: 4242, op: 'apply\u001b[2J', host: 'h'.repeat(1000), replica: '' }));
    expect(readRunRecord(dir)).toEqual({ pgid: 4242, startTicks: null, op: 'unknown', host: 'h'.repeat(255), bootId: null, replica: null });
    fs.writeFileSync(file, JSON.stringify({ pgid: 4242, op: 'destroy', host: 'evil\u009b2J.example', replica: 'r\u202e1' }));
    const odd = readRunRecord(dir)!;
    // Compared as written, so a record of this host is still known as this host's whatever its name holds.
    expect(odd).toMatchObject({ op: 'destroy', host: 'evil\u009b2J.example', replica: 'r\u202e1' });
    expect(shownName(odd.host)).toBe('"evil 2J.example"');
    expect(shownName(odd.replica!)).toBe('"r 1"');
    expect(shownName('a\u001b[2J\nb')).toBe('"a [2J b"');
  });

  test('silence is measured on the file system\'s clock, from the newest of the run record and the output log', () => {
    const dir = fs.mkdtempSync(path.join(base, 'quiet-'));
    expect(silentForMs(dir)).toBe(Infinity);
    const record = path.join(dir, '.prewarm-run.json');
    const log = path.join(dir, '.prewarm-output.log');
    fs.writeFileSync(record, '{}');
    fs.writeFileSync(log, 'x');
    const ago = (ms: number) => new Date(Date.now() - ms);
    fs.utimesSync(record, ago(600_000), ago(600_000));
    fs.utimesSync(log, ago(120_000), ago(120_000));
    expect(silentForMs(dir)).toBeGreaterThanOrEqual(119_000);
    expect(silentForMs(dir)).toBeLessThan(180_000);
    fs.appendFileSync(log, 'more');
    expect(silentForMs(dir)).toBeLessThan(60_000);
    expect(fs.readdirSync(dir).sort()).toEqual(['.prewarm-output.log', '.prewarm-run.json']);
  });
});

function getPgid(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe('footprints', () => {
  test('old footprints of destroyed instances are pruned; created ones and recent ones stay', async () => {
    const root = fs.mkdtempSync(path.join(base, 'fp-'));
    writeFootprint(root, 'old-destroyed', 'destroyed');
    writeFootprint(root, 'old-created', 'created');
    writeFootprint(root, 'new-destroyed', 'destroyed');
    const old = new Date('2026-01-01T00:00:00Z');
    for (const id of ['old-destroyed', 'old-created']) fs.utimesSync(path.join(root, 'footprints', id), old, old);
    await pruneFootprints(root, Date.parse('2026-02-01T00:00:00Z'));
    expect(['old-destroyed', 'old-created', 'new-destroyed'].map((id) => readFootprint(root, id))).toEqual(['none', 'created', 'destroyed']);
  });
});

describe('whether a state holds anything to destroy', () => {
  test.each([
    [{}, false],
    [{ 'terraform.tfstate': '{"version": 4, "resources": []}' }, false],
    [{ 'terraform.tfstate': '{"version": 4, "resources": [{"type": "terraform_data"}]}' }, true],
    [{ 'terraform.tfstate': 'not json' }, true],
    [{ 'terraform.tfstate': '{"version": 4, "resources": []}', 'errored.tfstate': '{}' }, true],
    [{ 'terraform.tfstate.d/foo/terraform.tfstate': '{}' }, true],
  ])('%j: %s', (files, expected) => {
    const dir = fs.mkdtempSync(path.join(base, 'state-'));
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    expect(stateHasResources(dir)).toBe(expected);
  });
});

describe("terraform's environment", () => {
  test('module inputs from the request, the instance\'s own winning over a parameter of the same name; unattended settings', () => {
    const env = terraformEnvironment(
      driverRequest('stop', { parameters: { greeting: 'hi', prewarm_instance_id: 'spoofed' }, template: { name: 'devbox', version: 4 } }),
      '/r/plugin-cache',
      { PREWARM_STATE_DIR: '/srv/state' },
    );
    expect(env).toMatchObject({
      TF_VAR_greeting: 'hi',
      TF_VAR_prewarm_instance_id: 'inst-0001',
      TF_VAR_prewarm_instance_name: 'devbox-us-nix-1',
      TF_VAR_prewarm_template: 'devbox',
      TF_VAR_prewarm_template_version: '4',
      TF_VAR_prewarm_preset: 'us-nix',
      TF_VAR_prewarm_transition: 'stop',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_PLUGIN_CACHE_DIR: '/r/plugin-cache',
      PREWARM_STATE_DIR: '/srv/state',
      PREWARM_OP: 'stop',
    });
    expect(['create', 'start', 'stop', 'delete'].map((op) => transitionOf(op as 'create'))).toEqual(['start', 'start', 'stop', 'delete']);
  });

  test("the controller's secrets and settings that would move the state or change a command are left out", () => {
    const names = ['PREWARM_TOKEN', 'PREWARM_DATABASE', 'PREWARM_SECRET_KEY', 'PREWARM_SECRET_PLATFORM', 'TF_WORKSPACE', 'TF_DATA_DIR', 'TF_CLI_ARGS', 'TF_CLI_ARGS_destroy'];
    const saved = { ...process.env };
    for (const n of names) process.env[n] = 'x';
    process.env['TF_LOG'] = 'warn';
    try {
      const env = terraformEnvironment(driverRequest('delete'), '/r/plugin-cache', { TF_CLI_ARGS_apply: '-target=x' });
      for (const n of [...names, 'TF_CLI_ARGS_apply']) expect(env[n]).toBeUndefined();
      expect(env['TF_LOG']).toBe('warn');
    } finally {
      for (const n of [...names, 'TF_LOG']) if (!(n in saved)) delete process.env[n];
    }
  });
});
