/**
 * The real terraform CLI against the built provider (dev_overrides) and a running controller: plan, apply,
 * a second plan with no changes, an update, import by CLI and by `import {}` block, drift, a bad value caught
 * at plan with file and line, and destroy — for every example.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { repoRoot, startTestController, type TestController } from '../helpers/controller';
import { skipping } from '../helpers/skip';
import { describeResult, TerraformWorkspace, terraformUnavailable } from '../helpers/terraform';

// Each test is a long terraform session (init-free plans and applies against a real controller).
jest.setTimeout(600_000);

const skip = terraformUnavailable();

// Lists from the controller's service are built from better-sqlite3 results in Node's realm, not the test's: they
// are compared with expect, which treats built-in types of both realms alike (node:assert compares prototypes).

(skipping(skip, 'the terraform end-to-end tests') ? describe.skip : describe)('terraform end to end', () => {
  let ctl: TestController;
  let work: string;
  beforeAll(async () => {
    ctl = await startTestController();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tf-'));
  });
  afterAll(async () => {
    await ctl?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const workspace = (name: string) => {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    return new TerraformWorkspace(dir, `127.0.0.1:${ctl.running.apiPort}`, ctl.token);
  };
  const ok = (r: { code: number }, want: number, what: string, full: Parameters<typeof describeResult>[0]) =>
    assert.equal(r.code, want, `${what}: ${describeResult(full)}`);

  test('quickstart: plan, apply, no-op plan, update, import, drift, bad value, destroy', async () => {
    const tf = workspace('quickstart');
    tf.useExample('quickstart');
    const svc = ctl.running.service;

    let r = await tf.run('validate', '-no-color');
    ok(r, 0, 'validate', r);

    // The checked-in schema export is exactly what terraform itself reports for the built provider.
    r = await tf.run('providers', 'schema', '-json');
    ok(r, 0, 'providers schema -json', r);
    const address = 'registry.terraform.io/prewarm/prewarm';
    const checkedIn = JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas/provider.json'), 'utf8'));
    assert.deepEqual(JSON.parse(r.stdout).provider_schemas[address], checkedIn.provider_schemas[address]);

    r = await tf.plan();
    ok(r, 2, 'first plan shows changes', r);
    assert.match(r.stdout, /Plan: 2 to add, 0 to change, 0 to destroy/);

    r = await tf.apply();
    ok(r, 0, 'apply', r);
    assert.match(r.stdout, /preset_id = "devbox\/quickstart"/);
    assert.equal((await svc.getPreset('devbox', 'quickstart')).prebuilds?.instances, 3);

    r = await tf.plan();
    ok(r, 0, 'second plan has no changes', r);

    // Another configuration declaring the same objects does not take them over.
    const other = workspace('quickstart-copy');
    other.useExample('quickstart');
    r = await other.apply('-var', 'instances=9');
    ok(r, 1, 'a second configuration cannot create what exists', r);
    assert.match(r.stderr, /already exists; import it/);
    assert.equal((await svc.getPreset('devbox', 'quickstart')).prebuilds?.instances, 3, 'the existing preset is untouched');

    r = await tf.apply('-var', 'instances=4');
    ok(r, 0, 'update', r);
    assert.equal((await svc.getPreset('devbox', 'quickstart')).prebuilds?.instances, 4);
    r = await tf.plan('-var', 'instances=4');
    ok(r, 0, 'no changes after the update', r);

    // Import with the CLI.
    r = await tf.run('state', 'rm', 'prewarm_preset.quickstart');
    ok(r, 0, 'state rm', r);
    r = await tf.run('import', '-no-color', '-var', 'instances=4', 'prewarm_preset.quickstart', 'devbox/quickstart');
    ok(r, 0, 'terraform import', r);
    r = await tf.plan('-var', 'instances=4');
    ok(r, 0, 'no changes after import', r);

    // Import with an import block.
    r = await tf.run('state', 'rm', 'prewarm_template.devbox');
    ok(r, 0, 'state rm template', r);
    fs.writeFileSync(path.join(tf.dir, 'import.tf'), 'import {\n  to = prewarm_template.devbox\n  id = "devbox"\n}\n');
    r = await tf.plan('-var', 'instances=4');
    ok(r, 2, 'plan with an import block', r);
    assert.match(r.stdout, /1 to import/);
    r = await tf.apply('-var', 'instances=4');
    ok(r, 0, 'apply the import', r);
    fs.rmSync(path.join(tf.dir, 'import.tf'));
    r = await tf.plan('-var', 'instances=4');
    ok(r, 0, 'no changes after the import block', r);

    // Drift: the preset is deleted behind Terraform's back.
    await svc.deletePreset('devbox', 'quickstart');
    r = await tf.plan('-var', 'instances=4');
    ok(r, 2, 'drift is planned for re-creation', r);
    assert.match(r.stdout, /prewarm_preset\.quickstart will be created/);
    r = await tf.apply('-var', 'instances=4');
    ok(r, 0, 'apply re-creates', r);
    await svc.getPreset('devbox', 'quickstart');

    // A bad value is caught at plan, pointing at the file and line.
    r = await tf.plan('-var', 'instances=-1');
    ok(r, 1, 'bad value fails the plan', r);
    assert.match(r.stderr, /on main\.tf line \d+/);
    assert.match(r.stderr, /instances/);

    r = await tf.run('destroy', '-auto-approve', '-no-color', '-var', 'instances=4');
    ok(r, 0, 'destroy', r);
    expect(await svc.listPresets('devbox')).toStrictEqual([]);
    expect(await svc.listTemplates()).toStrictEqual([]);
  });

  test('scheduled: windows in a time zone, a bad cron caught at plan with file and line, destroy', async () => {
    const tf = workspace('scheduled');
    tf.useExample('scheduled');
    const svc = ctl.running.service;

    let r = await tf.plan();
    ok(r, 2, 'first plan', r);
    r = await tf.apply();
    ok(r, 0, 'apply', r);
    const preset = await svc.getPreset('ci-runner', 'linux-amd64');
    assert.equal(preset.prebuilds?.scheduling?.timezone, 'America/New_York');
    assert.deepEqual(preset.prebuilds?.scheduling?.schedule.map((s) => s.cron), ['* 8-18 * * 1-5', '* 8-14 * * 6']);
    r = await tf.plan();
    ok(r, 0, 'no changes', r);

    r = await tf.apply('-var', 'weekday_runners=3');
    ok(r, 0, 'update a schedule', r);
    assert.equal((await svc.getPreset('ci-runner', 'linux-amd64')).prebuilds?.scheduling?.schedule[0].instances, 3);
    const vars = ['-var', 'weekday_runners=3'];

    // Import with the CLI, then with an import block.
    r = await tf.run('state', 'rm', 'prewarm_preset.linux');
    ok(r, 0, 'state rm', r);
    r = await tf.run('import', '-no-color', ...vars, 'prewarm_preset.linux', 'ci-runner/linux-amd64');
    ok(r, 0, 'terraform import', r);
    r = await tf.plan(...vars);
    ok(r, 0, 'no changes after import (nested schedule blocks read back exactly)', r);
    r = await tf.run('state', 'rm', 'prewarm_template.runner');
    ok(r, 0, 'state rm template', r);
    fs.writeFileSync(path.join(tf.dir, 'import.tf'), 'import {\n  to = prewarm_template.runner\n  id = "ci-runner"\n}\n');
    r = await tf.apply(...vars);
    ok(r, 0, 'apply an import block', r);
    assert.match(r.stdout, /1 imported/);
    fs.rmSync(path.join(tf.dir, 'import.tf'));
    r = await tf.plan(...vars);
    ok(r, 0, 'no changes after the import block', r);

    // Drift.
    await svc.deletePreset('ci-runner', 'linux-amd64');
    r = await tf.plan(...vars);
    ok(r, 2, 'drift is planned for re-creation', r);
    assert.match(r.stdout, /prewarm_preset\.linux will be created/);
    r = await tf.apply(...vars);
    ok(r, 0, 'apply re-creates', r);

    r = await tf.plan('-var', 'weekday_cron=0 8 * * 1-5');
    ok(r, 1, 'a minute other than * fails the plan', r);
    assert.match(r.stderr, /on main\.tf line \d+/);
    assert.match(r.stderr, /minute/);

    r = await tf.plan('-var', 'weekday_cron=* 8-18 * * 5-6', '-var', 'weekday_runners=3');
    ok(r, 1, 'overlapping schedules fail the plan', r);
    assert.match(r.stderr, /overlap/);

    r = await tf.plan('-var', 'timezone=Mars/Olympus_Mons');
    ok(r, 1, 'an unknown time zone fails the plan', r);
    assert.match(r.stderr, /timezone/);

    r = await tf.run('destroy', '-auto-approve', '-no-color', '-var', 'weekday_runners=3');
    ok(r, 0, 'destroy', r);
    expect(await svc.listPresets('ci-runner')).toStrictEqual([]);
  });
});
