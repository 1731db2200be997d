/**
 * The real terraform CLI destroying a template that presets made elsewhere (here: with the CLI's API) still use: the
 * controller refuses, and Terraform's error names those presets and says what to do, not just "conflict".
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import { startTestController, type TestController } from '../helpers/controller';
import { presetSpec } from '../helpers/fixtures';
import { skipping } from '../helpers/skip';
import { describeResult, TerraformWorkspace, terraformUnavailable } from '../helpers/terraform';

// A few terraform runs against a real controller.
jest.setTimeout(300_000);

const skip = terraformUnavailable();

const MAIN_TF = `terraform {
  required_providers {
    prewarm = { source = "registry.terraform.io/prewarm/prewarm" }
  }
}

provider "prewarm" {}

resource "prewarm_template" "devbox" {
  name   = "devbox"
  driver = "localdir"
}
`;

(skipping(skip, 'the terraform template-in-use test') ? describe.skip : describe)('terraform destroy of a template presets still use', () => {
  let ctl: TestController;
  let work: string;
  beforeAll(async () => {
    ctl = await startTestController();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tf-inuse-'));
  });
  afterAll(async () => {
    await ctl?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('fails naming the presets and what to do; succeeds once they are gone', async () => {
    const tf = new TerraformWorkspace(work, `127.0.0.1:${ctl.running.apiPort}`, ctl.token);
    fs.writeFileSync(path.join(work, 'main.tf'), MAIN_TF);
    const svc = ctl.running.service;

    let r = await tf.apply();
    assert.equal(r.code, 0, describeResult(r));
    // Presets made outside this configuration (as `prewarm preset put` makes them).
    await svc.putPreset(presetSpec({ name: 'by-cli' }));
    await svc.putPreset(presetSpec({ name: 'by-other-config' }));

    r = await tf.run('destroy', '-auto-approve', '-no-color');
    assert.equal(r.code, 1, describeResult(r));
    const text = r.stderr.replace(/│ ?/g, '').replace(/\s+/g, ' ');
    assert.match(text, /Error: Cannot delete template devbox: presets still use it/, describeResult(r));
    assert.match(text, /template "devbox" is still used by 2 presets: devbox\/by-cli, devbox\/by-other-config; delete those presets first/);
    assert.match(text, /prewarm preset delete devbox\/by-cli/);
    assert.match(text, /another Terraform configuration or were made with the prewarm CLI/);
    assert.doesNotMatch(text, /: conflict/);
    assert.equal((await svc.getTemplate('devbox')).name, 'devbox', 'the template is still there');

    await svc.deletePreset('devbox', 'by-cli');
    await svc.deletePreset('devbox', 'by-other-config');
    r = await tf.run('destroy', '-auto-approve', '-no-color');
    assert.equal(r.code, 0, describeResult(r));
    assert.deepEqual([...(await svc.listTemplates())], []);
  });
});
