/**
 * Workspaces with the real terraform CLI against the built provider (dev_overrides) and a real controller running the
 * example drivers: examples/preview-env end to end (plan-time errors with file and line for a bad duration and a bad
 * instant; apply of a template with a lifecycle_policy, a pool and a workspace claimed from it, whose preview server
 * answers; an in-place change of auto_destroy_inactivity; import by id; a delete outside Terraform with the CLI planned
 * as a re-creation; an instant in the past refused at apply; destroy archiving the workspace), the lifecycle_policy
 * block's own cases (a bad lead at its line, an empty block, an import that round-trips), and terraform validate of
 * every example.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { repoRoot, startTestController, type TestController } from '../helpers/controller';
import { runPrewarm } from '../helpers/prewarm-process';
import { skipping } from '../helpers/skip';
import { describeResult, TerraformWorkspace, terraformUnavailable, type TerraformResult } from '../helpers/terraform';
import { waitFor } from '../helpers/wait';

// Each test is a long terraform session against a real controller and real driver processes.
jest.setTimeout(600_000);

const skip = terraformUnavailable();

const ok = (r: TerraformResult, want: number, what: string) => assert.equal(r.code, want, `${what}: ${describeResult(r)}`);

/** The error's source excerpt: `on FILE line N, in resource …:` followed by the line itself, which must match `line`. */
function assertPointsAt(r: TerraformResult, file: string, line: RegExp): void {
  const text = r.stderr.replace(/│/g, '');
  const m = new RegExp(`on ${file.replace('.', '\\.')} line (\\d+)[^\\n]*:\\n\\s*(\\d+):([^\\n]*)`).exec(text);
  assert.ok(m, `no "on ${file} line N" excerpt in:\n${r.stderr}`);
  assert.equal(m[1], m[2]);
  assert.match(m[3], line, `the excerpt shows line ${m[1]}: ${m[3]}`);
}

async function outputs(tf: TerraformWorkspace): Promise<Record<string, string>> {
  const r = await tf.run('output', '-json', '-no-color');
  ok(r, 0, 'terraform output -json');
  return Object.fromEntries(Object.entries(JSON.parse(r.stdout) as Record<string, { value: string }>).map(([k, v]) => [k, v.value]));
}

async function answers(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

(skipping(skip, 'the terraform workspace end-to-end tests') ? describe.skip : describe)('terraform workspaces end to end', () => {
  let ctl: TestController;
  let work: string;
  beforeAll(async () => {
    ctl = await startTestController({ lifecycleIntervalMs: 500 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tf-ws-'));
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

  test('preview-env: plan errors at their lines, apply, in-place update, import, drift, a past instant, destroy', async () => {
    const tf = workspace('preview-env');
    tf.useExample('preview-env');
    const svc = ctl.running.service;

    let r = await tf.run('validate', '-no-color');
    ok(r, 0, 'validate');

    // The checked-in schema export is what terraform reports for the built provider, workspace included.
    r = await tf.run('providers', 'schema', '-json');
    ok(r, 0, 'providers schema -json');
    const address = 'registry.terraform.io/prewarm/prewarm';
    const checkedIn = JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas/provider.json'), 'utf8'));
    assert.deepEqual(JSON.parse(r.stdout).provider_schemas[address], checkedIn.provider_schemas[address]);

    // Plan-time validation: a duration without a unit and an instant that is not RFC 3339, each at its line.
    r = await tf.plan('-var', 'idle=8');
    ok(r, 1, 'a duration without a unit fails the plan');
    assert.match(r.stderr, /Invalid value for "auto_destroy_inactivity"/);
    assert.match(r.stderr, /missing unit in "8"/);
    assertPointsAt(r, 'main.tf', /auto_destroy_inactivity\s*=\s*var\.idle/);
    r = await tf.plan('-var', 'destroy_at=2026-12-24 18:00');
    ok(r, 1, 'an instant without a time zone fails the plan');
    assert.match(r.stderr, /Invalid value for "auto_destroy_at"/);
    assert.match(r.stderr, /RFC 3339/);
    assertPointsAt(r, 'main.tf', /auto_destroy_at\s*=\s*var\.destroy_at/);
    // expect, not assert: the service's arrays come from better-sqlite3 in Node's realm, not the test's.
    expect(await svc.listTemplates()).toStrictEqual([]); // a failed plan changes nothing

    r = await tf.plan();
    ok(r, 2, 'first plan');
    assert.match(r.stdout, /Plan: 3 to add, 0 to change, 0 to destroy/);
    r = await tf.apply();
    ok(r, 0, 'apply');
    let out = await outputs(tf);
    const first = await svc.getWorkspace(out.workspace_id);
    expect(first).toMatchObject({ state: 'claimed', owner: 'ci/pr-1', template: 'preview', preset: 'pr', autoDestroyInactivityMs: 2 * 3_600_000, autoDestroyAt: null });
    expect(first.policy).toMatchObject({ autostopAfterMs: 8 * 3_600_000, stoppedTtlMs: 3 * 86_400_000, autoDestroyReminderMs: 15 * 60_000 });
    assert.ok(first.deadline !== null, 'autostop_after gives the running workspace a deadline');
    // The workspace is a real preview server on this machine.
    const page = await answers(out.preview_url);
    assert.ok(page?.includes(first.name), `the preview at ${out.preview_url} answers with its name: ${page}`);
    r = await tf.plan();
    ok(r, 0, 'no changes after apply');

    // In place: a new inactivity period, same workspace.
    r = await tf.apply('-var', 'idle=3h');
    ok(r, 0, 'update auto_destroy_inactivity');
    assert.match(r.stdout, /0 added, 1 changed, 0 destroyed/);
    assert.equal((await svc.getWorkspace(first.id)).autoDestroyInactivityMs, 3 * 3_600_000);
    assert.equal((await outputs(tf)).workspace_id, first.id);
    const vars = ['-var', 'idle=3h'];
    r = await tf.plan(...vars);
    ok(r, 0, 'no changes after the update');

    // Import by id. wait_ready lives only in configuration and state: the first apply records it, nothing else.
    r = await tf.run('state', 'rm', 'prewarm_workspace.preview');
    ok(r, 0, 'state rm');
    r = await tf.run('import', '-no-color', ...vars, 'prewarm_workspace.preview', first.id);
    ok(r, 0, 'terraform import');
    r = await tf.plan(...vars);
    ok(r, 2, 'after import only wait_ready is recorded');
    assert.match(r.stdout, /Plan: 0 to add, 1 to change, 0 to destroy/);
    assert.match(r.stdout, /\+ wait_ready\s+= "5m"/);
    r = await tf.apply(...vars);
    ok(r, 0, 'apply after import');
    r = await tf.plan(...vars);
    ok(r, 0, 'no changes after import');

    // Drift: deleted outside Terraform with the CLI; the archived workspace reads as gone and is claimed again.
    const env = { ...process.env, PREWARM_ENDPOINT: `127.0.0.1:${ctl.running.apiPort}`, PREWARM_TOKEN: ctl.token };
    const del = await runPrewarm(['workspace', 'delete', first.id], { env });
    assert.equal(del.code, 0, `prewarm workspace delete: ${del.stdout}${del.stderr}`);
    await waitFor('the workspace archived', async () => (await svc.getWorkspace(first.id)).state === 'archived', 30_000, 100);
    assert.equal(await answers(out.preview_url), undefined, 'its preview server is gone');
    r = await tf.plan(...vars);
    ok(r, 2, 'drift is planned for re-creation');
    assert.match(r.stdout, /prewarm_workspace\.preview will be created/);
    r = await tf.apply(...vars);
    ok(r, 0, 'apply claims a new workspace');
    out = await outputs(tf);
    assert.notEqual(out.workspace_id, first.id);
    const second = await svc.getWorkspace(out.workspace_id);
    expect(second).toMatchObject({ state: 'claimed', owner: 'ci/pr-1', autoDestroyInactivityMs: 3 * 3_600_000 });
    r = await tf.plan(...vars);
    ok(r, 0, 'no changes after the re-creation');

    // An instant in the past is valid at plan time and refused by the controller at apply, at its line.
    r = await tf.apply(...vars, '-var', 'destroy_at=2001-01-01T00:00:00Z');
    ok(r, 1, 'a past auto_destroy_at fails the apply');
    assert.match(r.stderr, /Invalid value for "auto_destroy_at"/);
    assert.match(r.stderr, /must be in the future/);
    assertPointsAt(r, 'main.tf', /auto_destroy_at\s*=\s*var\.destroy_at/);
    assert.equal((await svc.getWorkspace(second.id)).autoDestroyAt, null, 'nothing changed');
    const later = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    r = await tf.apply(...vars, '-var', `destroy_at=${later}`);
    ok(r, 0, 'a future auto_destroy_at is set in place');
    assert.equal((await svc.getWorkspace(second.id)).autoDestroyAt, Date.parse(later));
    r = await tf.plan(...vars, '-var', `destroy_at=${later}`);
    ok(r, 0, 'no changes after setting auto_destroy_at');

    // Destroy: the workspace is deleted through its driver and archived, then the pool and the template go.
    r = await tf.run('destroy', '-auto-approve', '-no-color', ...vars, '-var', `destroy_at=${later}`);
    ok(r, 0, 'destroy');
    assert.match(r.stdout, /3 destroyed/);
    expect(await svc.getWorkspace(second.id)).toMatchObject({ state: 'archived', destroyReason: 'user' });
    const archived = await svc.listWorkspaces({ archived: true });
    expect(archived.map((w) => w.id).sort()).toStrictEqual([first.id, second.id].sort());
    assert.equal(await answers(out.preview_url), undefined, 'the preview server is gone');
    expect(await svc.listPresets('preview')).toStrictEqual([]);
    expect(await svc.listTemplates()).toStrictEqual([]);
  });

  test('lifecycle_policy: a lead as long as its period fails at its line; an empty block and an import round-trip', async () => {
    const tf = workspace('policy');
    const svc = ctl.running.service;
    const write = (policy: string) =>
      fs.writeFileSync(
        path.join(tf.dir, 'main.tf'),
        [
          'terraform {',
          '  required_providers {',
          '    prewarm = { source = "registry.terraform.io/prewarm/prewarm" }',
          '  }',
          '}',
          '',
          'resource "prewarm_template" "devbox" {',
          '  name   = "policy-devbox"',
          '  driver = "localdir"',
          policy,
          '}',
          '',
        ].join('\n'),
      );

    write('  lifecycle_policy {\n    autostop_after    = "1h"\n    autostop_reminder = "60m"\n  }');
    let r = await tf.plan();
    ok(r, 1, 'a reminder as long as its period fails the plan');
    assert.match(r.stderr, /Invalid value for "lifecycle_policy\[0\]\.autostop_reminder"/);
    assert.match(r.stderr, /must be shorter than autostop_after/);
    assertPointsAt(r, 'main.tf', /autostop_reminder\s*=\s*"60m"/);

    write('  lifecycle_policy {\n    stopped_ttl = "400d"\n  }');
    r = await tf.plan();
    ok(r, 1, 'a duration over 365d fails the plan');
    assert.match(r.stderr, /at most 365d/);
    assertPointsAt(r, 'main.tf', /stopped_ttl\s*=\s*"400d"/);

    // An empty block turns nothing on (the controller stores no policy) and plans no change after apply.
    write('  lifecycle_policy {}');
    r = await tf.apply();
    ok(r, 0, 'apply with an empty block');
    assert.equal((await svc.getTemplate('policy-devbox')).lifecycle_policy, undefined);
    r = await tf.plan();
    ok(r, 0, 'an empty block plans no change');

    // A policy-only change: in place, the version kept (the pool is not rebuilt).
    const policy = '  lifecycle_policy {\n    autostop_after = "8h"\n    stopped_ttl    = "7d"\n  }';
    write(policy);
    r = await tf.apply();
    ok(r, 0, 'apply a policy');
    assert.match(r.stdout, /0 added, 1 changed, 0 destroyed/);
    const rec = await svc.getTemplate('policy-devbox');
    expect(rec.lifecycle_policy).toStrictEqual({ autostop_after: '8h', stopped_ttl: '7d' });
    assert.equal(rec.version, 1, 'a policy-only change keeps the version');
    r = await tf.plan();
    ok(r, 0, 'no changes after the policy');

    // Import of a template with a policy: the same configuration plans no change.
    r = await tf.run('state', 'rm', 'prewarm_template.devbox');
    ok(r, 0, 'state rm');
    r = await tf.run('import', '-no-color', 'prewarm_template.devbox', 'policy-devbox');
    ok(r, 0, 'terraform import');
    r = await tf.plan();
    ok(r, 0, 'no changes after importing a template with a policy');

    // Removing the block clears the policy.
    write('');
    r = await tf.apply();
    ok(r, 0, 'apply without the block');
    assert.equal((await svc.getTemplate('policy-devbox')).lifecycle_policy, undefined);
    r = await tf.plan();
    ok(r, 0, 'no changes without the block');

    r = await tf.run('destroy', '-auto-approve', '-no-color');
    ok(r, 0, 'destroy');
  });

  test('policy destroys (inactivity, and a scheduled instant) archive the workspace; the next plan claims a new one', async () => {
    const tf = workspace('policy-destroy');
    const svc = ctl.running.service;
    const at = new Date(Date.now() + 20_000).toISOString().replace(/\.\d+Z$/, 'Z');
    fs.writeFileSync(
      path.join(tf.dir, 'main.tf'),
      `terraform {
  required_providers {
    prewarm = { source = "registry.terraform.io/prewarm/prewarm" }
  }
}

resource "prewarm_template" "t" {
  name   = "short-lived"
  driver = "localdir"
}

resource "prewarm_preset" "p" {
  template = prewarm_template.t.name
  name     = "p"
  prebuilds {
    instances = 1
  }
}

resource "prewarm_workspace" "idle" {
  template                = prewarm_preset.p.template
  preset                  = prewarm_preset.p.name
  owner                   = "idle-user"
  auto_destroy_inactivity = "3s"
}

resource "prewarm_workspace" "scheduled" {
  template        = prewarm_preset.p.template
  preset          = prewarm_preset.p.name
  owner           = "scheduled-user"
  auto_destroy_at = "${at}"
}

output "ids" {
  value = [prewarm_workspace.idle.id, prewarm_workspace.scheduled.id]
}
`,
    );
    let r = await tf.apply();
    ok(r, 0, 'apply');
    const [idle, scheduled] = (await outputs(tf)).ids as unknown as string[];
    expect(await svc.getWorkspace(idle)).toMatchObject({ state: 'claimed', autoDestroyInactivityMs: 3000 });

    await waitFor('the idle workspace destroyed by its policy', async () => (await svc.getWorkspace(idle)).state === 'archived', 30_000, 200);
    expect(await svc.getWorkspace(idle)).toMatchObject({ destroyReason: 'auto_destroy_inactivity' });
    r = await tf.plan();
    ok(r, 2, 'the destroyed workspace is planned for re-creation');
    assert.match(r.stdout, /prewarm_workspace\.idle will be created/);
    assert.match(r.stdout, /Plan: 1 to add, 0 to change, 0 to destroy/);

    // The controller clears auto_destroy_at once it has run; the workspace is gone then, so nothing else shows.
    await waitFor('the scheduled destroy', async () => (await svc.getWorkspace(scheduled)).state === 'archived', 40_000, 200);
    expect(await svc.getWorkspace(scheduled)).toMatchObject({ destroyReason: 'auto_destroy_at', autoDestroyAt: null });
    r = await tf.plan();
    ok(r, 2, 'both are planned for re-creation');
    assert.match(r.stdout, /prewarm_workspace\.scheduled will be created/);
    assert.match(r.stdout, /Plan: 2 to add, 0 to change, 0 to destroy/);

    // Re-creating the scheduled one with its instant now in the past is refused, pointing at the line.
    r = await tf.apply();
    ok(r, 1, 'the past instant is refused at apply');
    assert.match(r.stderr, /must be in the future/);
    assertPointsAt(r, 'main.tf', /auto_destroy_at\s*=/);
    assert.match(r.stdout + r.stderr, /prewarm_workspace\.idle: Creation complete/);

    r = await tf.run('destroy', '-auto-approve', '-no-color');
    ok(r, 0, 'destroy');
  });

  test('every example with Terraform files validates', async () => {
    const examples = fs
      .readdirSync(path.join(repoRoot, 'examples'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.readdirSync(path.join(repoRoot, 'examples', d.name)).some((f) => f.endsWith('.tf')))
      .map((d) => d.name);
    expect(examples).toEqual(expect.arrayContaining(['preview-env', 'quickstart', 'scheduled']));
    for (const name of examples) {
      const tf = workspace(`validate-${name}`);
      tf.useExample(name);
      const r = await tf.run('validate', '-no-color');
      ok(r, 0, `terraform validate examples/${name}`);
    }
  });
});
